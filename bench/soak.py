"""The soak: citizens keep reporting through the web form and Open311 while PostgreSQL is crashed and
restarted and the job worker is killed with kill -9. Nothing acknowledged may be lost or made twice.

    make soak                     # or: .venv/bin/python bench/soak.py [--seconds 90] [--web 4] [--api 3]
    make soak SOAK_SERVERS=2      # across two app servers behind nginx (--servers 2, seeclick/devbalancer.py)

What runs, all on loopback, started here and stopped at the end:
- a PostGIS cluster of its own under instance/soak-pgdata with the durable settings production uses
  (fsync, synchronous_commit and full_page_writes on: PostgreSQL's defaults), the demo city loaded;
- the project-local Redis (the throttles' shared counts, database 2);
- an SMTP server (aiosmtpd) that keeps every message it is sent;
- gunicorn (3 workers) and the job worker beside it under seeclick/supervise.py, as `make run` does;
  with --servers N, N gunicorn instances behind nginx instead (seeclick/devbalancer.py, as `make cluster`
  runs them, in instance/soak-balancer/): every citizen goes through the balancer.

Citizens are threads: --web of them fill in /reports/new (the page, then Send, as a browser does),
--api of them POST Open311 requests with an API key each and an Idempotency-Key per request. Each
report carries a description no other has, and an email address for its receipt. A citizen who
gets a 503 or no answer sends the very same form again (same key) until it is acknowledged: a
303 to the report's page, or Open311's service_request_id. Each citizen's reports come from
addresses of their own in 127.0.0.0/8, as many citizens' would (the per-address limits are not
what this measures). The faults: at a third of the run PostgreSQL is stopped as a crash
(immediate), kept down 3 s and started again (recovery from the WAL); at half the worker is killed
with kill -9 (the supervisor starts it again); at two thirds PostgreSQL is restarted again (fast:
every session closed). Then the queue is drained and everything counted from the database and the
SMTP server. It exits 0 only if nothing was lost or duplicated, no 500 was answered, 503s came only
during the outages, each outage was recovered from within 5 s, every receipt was sent and the worker
is still running.
"""

import argparse
import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from seeclick import devredis  # noqa: E402
from seeclick.devbalancer import Balancer  # noqa: E402
from seeclick.devdb import INSTANCE, Cluster, free_port  # noqa: E402

BIN = ROOT / ".venv" / "bin"
DATABASE = "seeclick_soak"
RECOVERY_LIMIT = 5.0
RUN = uuid.uuid4().hex[:6]  # this run's reports, among those of earlier runs kept in the same cluster
# Tax-lot points in Brooklyn and Queens, where potholes are taken.
PLACES = [(40.6782, -73.9442), (40.6501, -73.9496), (40.6892, -73.9857), (40.7282, -73.7949), (40.7021, -73.8860),
          (40.6602, -73.9690), (40.6195, -73.9859), (40.7454, -73.9030)]


class Sink:
    """An SMTP server's handler that keeps every message: (recipient, Message-ID)."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient.lower(), message["Message-ID"], message["Subject"]))
        return "250 OK"


class Log:
    """Every answer the citizens got: when, which kind, what status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []  # (monotonic time, channel, status or 0 for no answer)
        self.acknowledged = {}  # description -> public id
        self.errors = []  # (channel, status, the start of the body) of every 5xx other than 503

    def answer(self, channel, status, body=b""):
        with self.lock:
            self.answers.append((time.monotonic(), channel, status))
            if status >= 500 and status != 503:
                self.errors.append((channel, status, body[:200]))


def flask(env, *args, check=True):
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True)


def psql(cluster, sql):
    return cluster.psql(sql, database=DATABASE)


class Citizen(threading.Thread):
    """Sends reports until the end, each again and again until it is acknowledged."""

    addresses = itertools.count(1)
    numbers = itertools.count(1)

    def __init__(self, channel, port, log, deadline, category, api_key=None):
        super().__init__(daemon=True)
        self.number = next(self.numbers)
        self.channel, self.port, self.log, self.deadline = channel, port, log, deadline
        self.category, self.api_key = category, api_key
        self.made = 0

    def address(self):
        n = next(self.addresses)
        return f"127.{1 + n // 62500 % 200}.{n // 250 % 250}.{n % 250 + 1}"

    def request(self, method, path, body=None, headers=None, source=None):
        """(status, headers, body) or (0, {}, b"") when the server did not answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                source_address=(source, 0) if source else None)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except (OSError, http.client.HTTPException):
            return 0, {}, b""
        finally:
            connection.close()

    def run(self):
        while time.monotonic() < self.deadline:
            self.made += 1
            description = f"soak-{RUN}-{self.channel}-{self.number}-{self.made}"
            lat, lon = PLACES[self.made % len(PLACES)]
            if self.channel == "web":
                self.report_on_the_form(description, lat, lon)
            else:
                self.report_through_open311(description, lat, lon)

    def until_acknowledged(self, send):
        """Send again after a 503 or no answer, as a person pressing Send again (or a client retrying) would."""
        while time.monotonic() < self.deadline + 60:
            status, headers, body = send()
            self.log.answer(self.channel, status, body)
            if status in (0, 502, 503, 504):
                time.sleep(0.2)
                continue
            return status, headers, body
        return None, {}, b""

    def report_on_the_form(self, description, lat, lon):
        source = self.address()
        cookies = {}

        def get_form():
            status, headers, body = self.request("GET", "/reports/new", source=source)
            if status == 200:
                cookies["session"] = re.search(r"session=([^;]+)", headers.get("Set-Cookie", ""))[1]
            return status, headers, body

        status, _, page = self.until_acknowledged(get_form)
        if status != 200:
            return
        page = page.decode()
        fields = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1],
                  "submission_key": re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page)[1],
                  "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "category": str(self.category["id"]),
                  "description": description, "email": f"{description}@example.org", "step": "send",
                  **{f"answer-{code}": value for code, value in self.category["answers"].items()}}
        body = urlencode(fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookies['session']}"}
        status, answer, _ = self.until_acknowledged(lambda: self.request("POST", "/reports/new", body, headers, source))
        if status == 303 and "/sent" in answer.get("Location", ""):
            with self.log.lock:
                self.log.acknowledged[description] = answer["Location"].split("/reports/")[1].split("/")[0]

    def report_through_open311(self, description, lat, lon):
        source = self.address()
        fields = {"api_key": self.api_key, "service_code": self.category["code"], "lat": f"{lat:.6f}",
                  "long": f"{lon:.6f}", "description": description, "email": f"{description}@example.org",
                  **{f"attribute[{code}]": value for code, value in self.category["answers"].items()}}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": uuid.uuid4().hex}
        body = urlencode(fields)
        status, _, answer = self.until_acknowledged(
            lambda: self.request("POST", "/open311/v2/requests.json", body, headers, source))
        if status == 200:
            with self.log.lock:
                self.log.acknowledged[description] = json.loads(answer)[0]["service_request_id"]


def served(balancer):
    """Requests each app server behind the balancer has logged so far (nothing without one)."""
    if balancer is None:
        return []
    return [len(path.read_text().splitlines()) if path.exists() else 0
            for path in (balancer.server_log(i, "access") for i in range(balancer.count))]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001  (a server still starting)
            pass
        time.sleep(0.2)
    return False


def worker_pid(supervisor):
    found = subprocess.run(["pgrep", "-f", "-P", str(supervisor.pid), "jobs worker"], capture_output=True, text=True)
    pids = found.stdout.split()
    return int(pids[0]) if pids else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=90, help="how long the citizens report")
    parser.add_argument("--web", type=int, default=4, help="citizens on the web form")
    parser.add_argument("--api", type=int, default=3, help="Open311 clients")
    parser.add_argument("--drain", type=int, default=240, help="most seconds to wait for the mail afterwards")
    parser.add_argument("--servers", type=int, default=1,
                        help="app servers: 1 is gunicorn alone, more are gunicorn instances behind nginx")
    args = parser.parse_args()

    cluster = Cluster(INSTANCE, name="soak-pgdata", durable=True, databases=(DATABASE,), preferred_port=54349)
    cluster.start()
    settings = (cluster.pgdata / "postgresql.conf").read_text()
    assert "fsync = off" not in settings, "the soak's cluster must be durable"
    devredis.start()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(2525))
    smtp.start()
    balancer = None
    if args.servers > 1:
        balancer = Balancer(INSTANCE, name="soak-balancer", servers=args.servers, preferred_port=5090)
        balancer.configure()
        port = balancer.port
        web = [str(BIN / "python"), str(ROOT / "seeclick" / "devbalancer.py"), "run", "--name", "soak-balancer",
               "--servers", str(args.servers)]
    else:
        port = free_port(5077)
        web = [str(BIN / "gunicorn"), "wsgi:app", "--workers", "3", "--bind", f"127.0.0.1:{port}",
               "--no-control-socket", "--log-level", "warning"]
    env = dict(os.environ, DATABASE_URL=cluster.url(DATABASE), SEECLICK_RATELIMIT_STORAGE=devredis.url(2),
               SEECLICK_SMTP_HOST="127.0.0.1", SEECLICK_SMTP_PORT=str(smtp.port),
               SEECLICK_PUBLIC_URL=f"http://127.0.0.1:{port}", PYTHONPATH=str(ROOT))
    print(f"soak: PostgreSQL {cluster.url(DATABASE).rsplit('@', 1)[1]} (durable), SMTP 127.0.0.1:{smtp.port}, "
          f"web 127.0.0.1:{port}" + (f" (nginx in front of {args.servers} app servers)" if balancer else ""))
    flask(env, "db", "upgrade")
    flask(env, "demo", "load", "--if-empty", "--reports", "2000")
    psql(cluster, "DELETE FROM procrastinate_jobs; UPDATE notification SET sent_at = now() WHERE sent_at IS NULL")
    keys = [flask(env, "apikeys", "create", f"soak client {i}").stdout for i in range(args.api)]
    keys = [re.search(r"([A-Za-z0-9_\-]{30,})", k)[1] for k in keys]
    row = psql(cluster, "SELECT c.id, c.code, coalesce((SELECT json_object_agg(q.code, q.values->0->>'key') "
                        "FROM category_question q WHERE q.category_id = c.id AND q.required), '{}') "
                        "FROM category c WHERE c.code = 'pothole'")
    category_id, code, answers = row.split("|")
    category = {"id": int(category_id), "code": code, "answers": json.loads(answers)}

    supervisor = subprocess.Popen(
        [str(BIN / "python"), "-m", "seeclick.supervise", "--keep", f"{BIN / 'flask'} --app wsgi jobs worker", "--",
         *web], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=open(INSTANCE / "soak.log", "w"))  # noqa: SIM115  (open for the whole run)
    log = Log()
    outages, worker_killed = [], None
    try:
        probe = Citizen("web", port, log, 0, category)
        if not wait_for(lambda: probe.request("GET", "/healthz")[0] == 200, 60 * args.servers):
            sys.exit("soak: the service did not start; see instance/soak.log")
        wait_for(lambda: worker_pid(supervisor) is not None, 30)
        served_before = served(balancer)
        start = time.monotonic()
        deadline = start + args.seconds
        citizens = [Citizen("web", port, log, deadline, category) for _ in range(args.web)]
        citizens += [Citizen("api", port, log, deadline, category, api_key=keys[i]) for i in range(args.api)]
        for citizen in citizens:
            citizen.start()

        time.sleep(args.seconds / 3)
        down = time.monotonic()
        cluster.stop("immediate")  # as a crash
        time.sleep(3)
        cluster.pg_ctl("-w", "-t", "60", "start")
        outages.append((down, time.monotonic(), "crash, 3 s down, recovery from the WAL"))

        time.sleep(max(0.0, start + args.seconds / 2 - time.monotonic()))
        worker_killed = worker_pid(supervisor)
        os.kill(worker_killed, signal.SIGKILL)

        time.sleep(max(0.0, start + 2 * args.seconds / 3 - time.monotonic()))
        down = time.monotonic()
        cluster.restart("fast")
        outages.append((down, time.monotonic(), "restart, every session closed"))

        for citizen in citizens:
            citizen.join()
        traffic_end = time.monotonic()

        expected = set(log.acknowledged)
        wait_for(lambda: len({r for r, _, s in sink.received if r.split("@")[0] in expected}) >= len(expected),
                 args.drain)
        drained = time.monotonic() - traffic_end
        worker_now = worker_pid(supervisor)
        heartbeat = psql(cluster, "SELECT coalesce(extract(epoch FROM now() - max(last_heartbeat))::int, -1) "
                                  "FROM procrastinate_workers")
        stored = defaultdict(int)
        ours = f"SELECT description FROM report WHERE description LIKE 'soak-{RUN}-%'"
        for line in psql(cluster, ours).splitlines():
            stored[line] += 1
        spread = [after - before for before, after in zip(served_before, served(balancer), strict=True)]
    finally:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
        smtp.stop()
        cluster.stop()  # kept in instance/soak-pgdata for the next run

    answers = log.answers
    statuses = Counter(status for _, _, status in answers)
    successes = sum(n for status, n in statuses.items() if 200 <= status < 400)
    found_once = sum(1 for d in log.acknowledged if stored.get(d) == 1)
    lost = sum(1 for d in log.acknowledged if stored.get(d, 0) == 0)
    duplicated = sum(1 for n in stored.values() if n > 1)
    made_unacknowledged = sum(1 for d in stored if d not in log.acknowledged)

    def in_an_outage(t):
        return any(down <= t <= up + RECOVERY_LIMIT for down, up, _ in outages)

    stray_503 = sum(1 for t, _, status in answers if status == 503 and not in_an_outage(t))
    recoveries = []
    for down, up, what in outages:
        after = [t for t, _, status in answers if t >= up and 200 <= status < 400]
        recoveries.append((what, (min(after) - up) if after else None, up - down))
    by_recipient = Counter(r for r, _, _ in sink.received)
    receipts_to = {r for r in by_recipient if r.split("@")[0] in log.acknowledged}
    # Each receipt goes to an address of its own: one delivered twice is a receipt sent twice.
    sent_twice = sum(1 for r in receipts_to if by_recipient[r] > 1)
    worker_alive = worker_now is not None and worker_now != worker_killed and int(heartbeat) in range(0, 30)

    print(f"soak: {args.seconds} s of traffic, {args.web} web citizens and {args.api} Open311 clients; "
          f"{len(stored)} reports of this run stored")
    print(f"requests:                         {len(answers)}")
    print(f"successes:                        {successes}")
    print(f"answers by status:                {dict(sorted(statuses.items()))}  (0: no answer, connection refused)")
    print(f"acknowledged reports:             {len(log.acknowledged)}")
    print(f"acknowledged found exactly once:  {found_once}")
    print(f"lost:                             {lost}")
    print(f"duplicated:                       {duplicated}")
    print(f"stored but never acknowledged:    {made_unacknowledged}  (the citizen's last try was cut off at the end)")
    print(f"500s:                             {statuses.get(500, 0)}")
    print(f"other 5xx, 503 aside (502, 504): {len(log.errors) - statuses.get(500, 0)}")
    if balancer:
        print(f"requests per app server:          {spread}  (each one's own access log)")
    print(f"503s:                             {statuses.get(503, 0)}  ({stray_503} outside an outage)")
    for what, recovered, length in recoveries:
        shown = f"{recovered:.2f}" if recovered is not None else "never"
        print(f"seconds to recover:               {shown}  (after {length:.1f} s of {what})")
    print(f"receipts expected / sent / sent twice: {len(log.acknowledged)} / {len(receipts_to)} / {sent_twice}"
          f"  (drained {drained:.0f} s after the traffic; one sent twice has the same Message-ID both times)")
    for channel, status, body in log.errors[:5]:
        print(f"  a {status} on {channel}: {body!r}")
    print(f"worker: killed pid {worker_killed}, running now as pid {worker_now}, last heartbeat {heartbeat} s ago")

    ok = (lost == 0 and duplicated == 0 and not log.errors and stray_503 == 0
          and (balancer is None or all(n > 0 for n in spread))
          and all(r is not None and r < RECOVERY_LIMIT for _, r, _ in recoveries)
          and len(receipts_to) == len(log.acknowledged) and worker_alive and found_once == len(log.acknowledged)
          and len(log.acknowledged) > 0)
    print("soak: PASSED" if ok else "soak: FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
