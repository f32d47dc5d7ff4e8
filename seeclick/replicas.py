"""Public reads from a read replica; writes, and what a person must see at once, from the primary.

With REPLICA_DATABASE_URL set (a hot standby streaming from the primary), the public pages that only
read (READ_ENDPOINTS: the home page, the map and its tiles, exports and feeds, statistics,
neighbourhood pages, a report's page and Open311's GETs) read from it, so that the primary keeps its
work for citizens' submissions and the staff. A replica is behind by its replay lag, so:

- every write goes to the primary, and once a request wrote, all it reads after does too;
- a browser that just wrote (a citizen who sent a report, a moderator who hid one) reads the primary
  for READ_OWN_WRITES_SECONDS, marked in its signed session cookie: the citizen sees their own new
  report at once, on its confirmation (which never reads the replica) and everywhere else;
- staff pages, forms and everything not listed read the primary;
- a replica that cannot be reached is replaced by the primary for a while (logged), so a page
  answers rather than fails; connections try the replica again after REPLICA_RETRY_SECONDS.

Routing is SQLAlchemy's own mechanism: a second engine (Flask-SQLAlchemy's bind "replica") chosen by
Session.get_bind, which the raw cursor path (seeclick/dbapi.py) goes through as well.
"""

import logging
import re
import time

from flask import current_app, g, has_request_context, request, session
from flask_sqlalchemy.session import Session
from sqlalchemy import Delete, Insert, Select, TextClause, Update, event, exc

log = logging.getLogger(__name__)

BIND = "replica"
READ_ENDPOINTS = frozenset({
    "home.index",
    "publicmap.index", "publicmap.tile",
    "opendata.export_csv", "opendata.export_geojson", "opendata.feed",
    "stats.index", "stats.figures_csv",
    "neighbourhoods.show",
    "reports.show",
    "open311.services", "open311.service_definition", "open311.requests", "open311.request_one",
    "open311.request_updates",
})
MARKER = "read_primary_until"  # in the signed session cookie: until when (epoch seconds) this browser reads the primary
READS = re.compile(r"\s*(SELECT|WITH|SHOW|VALUES)\b", re.IGNORECASE)
WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|nextval|setval|procrastinate_\w+)\b", re.IGNORECASE)


def configure(app):
    """Before the engines are made: the replica as a second bind, with the primary's engine options."""
    url = app.config.get("REPLICA_DATABASE_URL")
    if url:
        # Flask-SQLAlchemy gives SQLALCHEMY_ENGINE_OPTIONS to the default engine only (pre-ping, timeouts).
        options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "url": url}
        app.config["SQLALCHEMY_BINDS"] = {**app.config.get("SQLALCHEMY_BINDS", {}), BIND: options}


def init_app(app, db):
    """After the engines are made: fall back to the primary when the replica is away."""
    if not app.config.get("REPLICA_DATABASE_URL"):
        return
    app.after_request(mark_own_writes)
    with app.app_context():
        fall_back_to_primary(db.engines[BIND], db.engines[None], app.config["REPLICA_RETRY_SECONDS"],
                             app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}))


def reads_replica() -> bool:
    """Whether this request may read from the replica: a listed public page, to a browser that did not just write."""
    if not has_request_context():
        return False
    chosen = g.get("_reads_replica")
    if chosen is None:
        chosen = request.method in ("GET", "HEAD") and request.endpoint in READ_ENDPOINTS
        if chosen and current_app.config["SESSION_COOKIE_NAME"] in request.cookies:  # else no session to look in
            chosen = session.get(MARKER, 0) < time.time()
        g._reads_replica = chosen
    return chosen


def writes(clause, sql) -> bool:
    """Whether a statement (an ORM construct, text, or the raw cursor's SQL) may change something."""
    if isinstance(clause, (Insert, Update, Delete)):
        return True
    if isinstance(clause, Select):
        return clause._for_update_arg is not None
    if isinstance(clause, TextClause):
        sql = clause.text
    return sql is not None and (not READS.match(sql) or WRITES.search(sql) is not None)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, choosing between the primary and the replica statement by statement."""

    def get_bind(self, mapper=None, clause=None, bind=None, sql=None, **kwargs):
        if bind is None and not self.info.get("wrote"):
            replica = self._db.engines.get(BIND)  # None without a replica: nothing to choose
            if replica is not None:
                if self._flushing or writes(clause, sql):
                    self.info["wrote"] = True
                elif reads_replica():
                    return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def mark_own_writes(response):
    """A browser whose request wrote reads the primary for a while (not an Open311 client: it has no cookies)."""
    from seeclick.extensions import db

    if db.session.registry.has() and db.session.info.get("wrote") and request.blueprint != "open311":
        session[MARKER] = int(time.time()) + current_app.config["READ_OWN_WRITES_SECONDS"]
    return response


def fall_back_to_primary(replica, primary, retry_seconds, connect_args):
    """Connections of the replica's engine that reach the primary instead while the replica is away.

    A connection made to the primary is dropped when it is next taken from the pool after
    retry_seconds, so the pool goes back to the replica once it answers again.
    """
    primary_args, primary_params = primary.dialect.create_connect_args(primary.url)
    primary_params = {**connect_args, **primary_params}
    away_until = [0.0]

    @event.listens_for(replica, "do_connect")
    def connect(dialect, record, cargs, cparams):
        if time.monotonic() >= away_until[0]:
            try:
                connection = dialect.connect(*cargs, **cparams)
                record.info.pop("primary_since", None)
                return connection
            except dialect.loaded_dbapi.OperationalError as error:
                away_until[0] = time.monotonic() + retry_seconds
                log.warning("replica unreachable (%s); reading from the primary for %d s",
                            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                            retry_seconds)
        record.info["primary_since"] = time.monotonic()
        return dialect.connect(*primary_args, **primary_params)

    @event.listens_for(replica, "checkout")
    def try_replica_again(dbapi_connection, record, proxy):
        if "primary_since" in record.info and time.monotonic() >= away_until[0]:
            raise exc.DisconnectionError()  # the pool makes a new connection, to the replica if it answers
