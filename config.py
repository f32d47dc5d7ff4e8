"""Configuration, read from the environment.

DATABASE_URL selects the database (production). Without it, the project-local cluster that
`make run` starts under instance/ is used; instance/devdb.json holds its port and password.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent / "instance"


def local_database_url(name):
    """URL of a database in the project-local cluster, or None when there is none."""
    settings = INSTANCE / "devdb.json"
    if not settings.exists():
        return None
    s = json.loads(settings.read_text())
    return f"postgresql+psycopg2://seeclick:{s['password']}@127.0.0.1:{s['port']}/{name}"


def local_redis_url(db):
    """URL of a database in the project-local Redis (devredis.py), or None when there is none."""
    settings = INSTANCE / "devredis.json"
    if not settings.exists():
        return None
    s = json.loads(settings.read_text())
    return f"redis://:{s['password']}@127.0.0.1:{s['port']}/{db}"


def instance_secret() -> str:
    """A random key kept in instance/secret_key (0600), made on first use (by create_app, not on import).

    Without SECRET_KEY in the environment every host gets its own key, so nobody can sign a
    session with a value from this repository. Several hosts behind one name need SECRET_KEY.
    """
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def normalise(url):
    """Use the psycopg2 driver whatever scheme the URL names."""
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # without it, create_app() takes instance_secret()
    SQLALCHEMY_DATABASE_URI = normalise(os.environ.get("DATABASE_URL")) or local_database_url("seeclick")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    # With DATABASE_URL naming a pooler in transaction mode (PgBouncer), what needs a session of its own (the
    # job worker's LISTEN, migrations, backups) connects here, straight to PostgreSQL; without it, DATABASE_URL.
    DIRECT_DATABASE_URL = normalise(os.environ.get("SEECLICK_DIRECT_DATABASE_URL"))
    # A hot standby the public pages that only read are read from (seeclick/replicas.py); off when empty.
    REPLICA_DATABASE_URL = normalise(os.environ.get("SEECLICK_REPLICA_DATABASE_URL"))
    REPLICA_RETRY_SECONDS = 10  # the replica unreachable: read from the primary this long before trying again
    READ_OWN_WRITES_SECONDS = 60  # a browser that wrote reads the primary this long (past any replica's lag)
    CITY_NAME = os.environ.get("SEECLICK_CITY_NAME", "New York City")
    # Where the city is (min lon, min lat, max lon, max lat), to refuse boundary files read in the wrong CRS;
    # without it, the extent of the areas already imported.
    CITY_EXTENT = tuple(float(v) for v in os.environ["SEECLICK_CITY_EXTENT"].split(",")) \
        if os.environ.get("SEECLICK_CITY_EXTENT") else None
    # An outside geocoder for addresses the city's own points do not hold: "nominatim" or "pelias", and the URL
    # of its search API (Nominatim's /search, Pelias's /v1/search). Off when empty; asked only on an explicit
    # search, never for each key typed (seeclick/addresses/geocoder.py).
    GEOCODER = os.environ.get("SEECLICK_GEOCODER", "")
    GEOCODER_URL = os.environ.get("SEECLICK_GEOCODER_URL", "")
    GEOCODER_TIMEOUT = float(os.environ.get("SEECLICK_GEOCODER_TIMEOUT", "3"))
    # Phone numbers written without + are read as this country's (ISO 3166 code), to find them in free text.
    PHONE_REGION = os.environ.get("SEECLICK_PHONE_REGION", "US")
    # Map centre as (lat, lon) and the tile server; tiles are the only third-party request a page makes.
    MAP_CENTER = (40.7128, -73.9560)
    MAP_ZOOM = 11
    TILE_URL = os.environ.get("SEECLICK_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    TILE_ATTRIBUTION = os.environ.get(
        "SEECLICK_TILE_ATTRIBUTION",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    )
    # How long a browser or a cache (nginx, a CDN) may keep a public map tile, in seconds: a report a moderator
    # hides leaves every map within this, so keep it short (docs/production.md).
    MAP_TILE_MAX_AGE = int(os.environ.get("SEECLICK_MAP_TILE_MAX_AGE", "60"))
    # Staff sessions end after a working day; cookies are never readable by scripts.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SEECLICK_SESSION_HOURS", "10")))
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SEECLICK_SECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # Every throttle counts in one store shared by every worker and host (Redis); memory:// would count
    # per process, so each of N workers would allow N times the limit.
    RATELIMIT_STORAGE_URI = os.environ.get("SEECLICK_RATELIMIT_STORAGE") or local_redis_url(0) or "memory://"
    RATELIMIT_KEY_PREFIX = "seeclick"
    # Pages one worker draws for every worker and host (a neighbourhood's; seeclick.caching.Shared): a Redis
    # database holding nothing else. None: each process draws its own.
    SHARED_CACHE_URI = os.environ.get("SEECLICK_SHARED_CACHE") or local_redis_url(2)
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: count in each process for a while rather than refuse every request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Failed sign-ins allowed per address (generous: a city office is many people behind one address),
    # per account from browsers that never signed in to it, and per browser that did (its device cookie).
    LOGIN_LIMIT = "30 per minute;200 per hour"
    LOGIN_ACCOUNT_LIMIT = "10 per hour;30 per day"
    LOGIN_DEVICE_LIMIT = "5 per minute;30 per hour"
    PROXIES = int(os.environ.get("SEECLICK_PROXIES", "0"))  # reverse proxies in front that set X-Forwarded-For
    # Where new photos' bytes go (seeclick/photos/storage.py): "local" (a directory, never under static/), "s3" (a
    # private bucket of any S3-compatible store; credentials from boto3's chain: AWS_ACCESS_KEY_ID...), or
    # "database" (the photo rows, as before). `flask photos move --to ...` takes existing photos elsewhere.
    PHOTO_STORE = os.environ.get("SEECLICK_PHOTO_STORE", "local")
    PHOTO_DIR = os.environ.get("SEECLICK_PHOTO_DIR") or str(INSTANCE / "photos")
    PHOTO_S3_BUCKET = os.environ.get("SEECLICK_PHOTO_S3_BUCKET", "")
    PHOTO_S3_ENDPOINT_URL = os.environ.get("SEECLICK_PHOTO_S3_ENDPOINT_URL", "")  # empty: AWS itself
    PHOTO_S3_REGION = os.environ.get("SEECLICK_PHOTO_S3_REGION", "")
    # Public photos in the bucket answered by a redirect to a URL signed for this long, rather than through the app.
    PHOTO_SIGNED_URLS = os.environ.get("SEECLICK_PHOTO_SIGNED_URLS", "0") == "1"
    PHOTO_SIGNED_URL_SECONDS = int(os.environ.get("SEECLICK_PHOTO_SIGNED_URL_SECONDS", "300"))
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024  # an upload larger than this is refused (413) before it is read
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("SEECLICK_TIMEZONE", "America/New_York")  # times shown in city time
    # The languages pages can be read in (Babel's codes; seeclick/translations/<code>/ holds each catalogue),
    # each named in its own words on the switcher. Chinese (Simplified) covers the citizen's path so far:
    # its other pages fall back to English (docs/translating.md).
    LANGUAGES = ["en", "es", "zh_Hans"]
    LANGUAGE_NAMES = {"en": "English", "es": "Español", "zh_Hans": "中文（简体）"}
    # Each language's numbers and dates as written in the city's country (Babel locales; the words come from
    # the language's own catalogue): Spanish as in the United States, 1,000.5 and 9:05 p.m.
    LANGUAGE_LOCALES = {"es": "es_US"}
    WTF_I18N_ENABLED = True  # WTForms' own messages ("This field is required.") in the reader's language
    # Links in emails point here.
    PUBLIC_URL = os.environ.get("SEECLICK_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    # Mail goes through this SMTP server; without one (development) it is written to MAIL_DIRECTORY.
    MAIL_SMTP_HOST = os.environ.get("SEECLICK_SMTP_HOST", "")
    MAIL_SMTP_PORT = int(os.environ.get("SEECLICK_SMTP_PORT", "25"))
    MAIL_SMTP_USER = os.environ.get("SEECLICK_SMTP_USER", "")
    MAIL_SMTP_PASSWORD = os.environ.get("SEECLICK_SMTP_PASSWORD", "")
    MAIL_SMTP_STARTTLS = os.environ.get("SEECLICK_SMTP_STARTTLS", "0") == "1"
    MAIL_TIMEOUT = 20
    MAIL_DIRECTORY = str(INSTANCE / "mail")
    MAIL_FROM = os.environ.get("SEECLICK_MAIL_FROM", "seeclick <no-reply@seeclick.example>")
    MAIL_DOMAIN = os.environ.get("SEECLICK_MAIL_DOMAIN", "seeclick.example")
    # Open311 GeoReport v2: the one jurisdiction this endpoint serves, and who to ask.
    OPEN311_JURISDICTION = os.environ.get("SEECLICK_OPEN311_JURISDICTION", "nyc.gov")
    OPEN311_CONTACT = os.environ.get("SEECLICK_OPEN311_CONTACT", "open311@seeclick.example")
    OPEN311_KEY_SERVICE = os.environ.get("SEECLICK_OPEN311_KEY_SERVICE",
                                         "Ask the city's administrators for an API key: open311@seeclick.example")
    OPEN311_POST_LIMIT = os.environ.get("SEECLICK_OPEN311_POST_LIMIT", "600 per minute")  # per API key
    # The base URL of a test endpoint (a staging copy), listed in discovery beside this one when set.
    OPEN311_TEST_URL = os.environ.get("SEECLICK_OPEN311_TEST_URL", "")
    # Where people tell the city about a barrier on this site (the accessibility statement, /accessibility).
    ACCESSIBILITY_CONTACT = os.environ.get("SEECLICK_ACCESSIBILITY_CONTACT", "accessibility@seeclick.example")
    # Citizens: how far to look for the same problem already reported, and how many photos.
    # The share of reports closed by their target the city aims for: a week's score is its on-time share over this.
    ON_TIME_GOAL = float(os.environ.get("SEECLICK_ON_TIME_GOAL", "0.85"))
    NEARBY_METRES = 100
    MAX_PHOTOS = 3
    REPORT_LIMIT = "20 per hour;100 per day"  # new reports from one address
    # Reporters' contact details are removed from reports closed longer ago than this (0: kept).
    CONTACT_RETENTION_MONTHS = int(os.environ.get("SEECLICK_CONTACT_RETENTION_MONTHS", "24"))
    OWN_DATA_LINK_DAYS = 30  # a mailed link to someone's own data works this long; they can ask for a new one
    SUPPORT_LIMIT = "60 per hour"  # "me too" from one address
    FOLLOW_LIMIT = "10 per hour;20 per day"  # follow and watch requests (each may mail someone) from one address
    SUPPORT_REPORT_LIMIT = "5 per day"  # "me too" on one report from one address (a household, an office)
    CONFIRM_MAIL_LIMIT = "1 per day"  # confirmation links one email address is sent, whoever asks
    FLAG_LIMIT = "10 per hour;30 per day"  # "report a problem with this report" from one address


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = normalise(os.environ.get("TEST_DATABASE_URL")) or local_database_url("seeclick_test")
    DIRECT_DATABASE_URL = None  # the tests that use a pooler or a replica name their own (tests/topology.py)
    REPLICA_DATABASE_URL = None
    # The tests' own Redis database: each test starts from zero without touching the app's counts.
    RATELIMIT_STORAGE_URI = os.environ.get("TEST_RATELIMIT_STORAGE") or local_redis_url(1) or "memory://"
    RATELIMIT_SWALLOW_ERRORS = False  # a test must see Redis fail, not pass unthrottled
    SHARED_CACHE_URI = os.environ.get("TEST_SHARED_CACHE") or local_redis_url(3)
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = False
    # The tests' own directory (each test gets a temporary one of its own: tests/conftest.py).
    PHOTO_STORE = "local"
    PHOTO_DIR = str(INSTANCE / "test-photos")
    PHOTO_S3_BUCKET = ""
    PHOTO_SIGNED_URLS = False
