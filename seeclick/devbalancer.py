"""Run seeclick on several app servers behind a load balancer: nginx in front of gunicorn instances, under instance/.

Run with the system Python (standard library only; the app servers are the virtualenv's gunicorn):

    python3 seeclick/devbalancer.py start    # write nginx.conf, start two gunicorns and nginx in front
    python3 seeclick/devbalancer.py stop
    python3 seeclick/devbalancer.py run      # start, stay in the foreground, stop on Ctrl-C (make cluster)
    python3 seeclick/devbalancer.py conf [--production]   # print the nginx configuration it writes
    (--servers N: that many app servers; --name NAME: another set of them, in instance/NAME/, as the soak runs)

Like devdb.py and devredis.py beside it: loopback only, ports of its own (nginx on SEECLICK_BALANCER_PORT,
by default 5080 or a free port if that one is taken; each app server on the next free one), kept in
instance/balancer.json; configuration, logs and nginx's tile cache in instance/balancer/.

Each app server is `gunicorn wsgi:app --workers 3` as docs/production.md runs it, with SEECLICK_PROXIES=1
(nginx sets X-Forwarded-For, so throttles count the citizen's address, not the balancer's). They share
nothing but what every host would: the database, Redis (every throttle's count), the photo store and
SECRET_KEY (a session signed by one is read by the other). nginx spreads requests over them, takes one
that refuses connections out for a while and sends the request to the other (passive health checks:
open-source nginx has no active ones; a monitor watches /healthz), streams exports unbuffered, gzips
text, and caches public map tiles as a CDN would, for no longer than their own max-age.
"""

import argparse
import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

NGINX_CONF = """\
# seeclick behind nginx, written by seeclick/devbalancer.py: the model for production (docs/production.md).
{process}
events {{
    worker_connections 1024;
}}

http {{
    log_format seeclick '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time '
                        'upstream=$upstream_addr $upstream_status $upstream_response_time cache=$upstream_cache_status';
    access_log {access_log} seeclick;
{temp_paths}
    server_tokens off;
    default_type application/octet-stream;
    # Above the app's MAX_CONTENT_LENGTH (32 MB), so the app refuses a large upload with its own message.
    client_max_body_size 40m;

    # Text compresses five to ten times; images and photos are compressed already.
    gzip on;
    gzip_proxied any;
    gzip_vary on;
    gzip_min_length 1024;
    gzip_comp_level 5;
    gzip_types application/json application/geo+json application/xml application/atom+xml text/css
               text/javascript application/javascript text/plain image/svg+xml
               application/vnd.mapbox-vector-tile;

    # Public map tiles only (location /map/tiles/ below), each kept as long as its own Cache-Control says.
    proxy_cache_path {cache} levels=1:2 keys_zone=tiles:10m max_size=1g inactive=10m use_temp_path=off;

    upstream seeclick {{
        # Passive health checks: two failed connections within 10 s take a server out for 10 s.
{servers}
    }}

    server {{
        listen {listen};

        proxy_set_header Host $http_host;
        # The app trusts one proxy (SEECLICK_PROXIES=1) and reads the citizen's address from the last entry.
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # A server that refuses the connection or does not answer in time: the request goes to the other.
        # nginx never repeats a POST it had delivered, so a report is never made twice by a retry.
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        proxy_connect_timeout 2s;
        proxy_read_timeout 60s;

        location / {{
            proxy_pass http://seeclick;
{reveal}
        }}

        # The CSV and GeoJSON exports stream for minutes: passed on as they come, never held in nginx.
        location /export/ {{
            proxy_pass http://seeclick;
            proxy_buffering off;
            proxy_read_timeout 600s;
            proxy_send_timeout 600s;
            gzip off;
{reveal}
        }}

        # Tiles are the same for everyone: sent without the visitor's cookies, so the app answers as to
        # anyone, and kept only when it marks the answer public with a max-age (never with Set-Cookie).
        # The app's own Date goes out with a cached tile, so a browser counts its max-age from when the
        # app drew it: a report a moderator hides is off every map within that max-age, cache or not.
        location /map/tiles/ {{
            proxy_pass http://seeclick;
            proxy_set_header Cookie "";
            proxy_ignore_headers Vary;
            proxy_pass_header Date;
            proxy_cache tiles;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 5s;
            add_header X-Cache-Status $upstream_cache_status always;
{reveal}
        }}
    }}
}}
"""

# The process: run by devbalancer.py itself, or by the distribution's nginx.service.
PROCESS = """\
daemon on;
pid {pid};
worker_processes 2;
error_log {error_log} warn;
{user}"""
PRODUCTION_PROCESS = """\
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log warn;
"""
# Behind HTTPS in production (SEECLICK_SECURE_COOKIES=1): the certificate's paths are the host's.
PRODUCTION_LISTEN = """443 ssl;
        server_name 311.example.gov;
        ssl_certificate /etc/ssl/certs/311.example.gov.pem;
        ssl_certificate_key /etc/ssl/private/311.example.gov.key"""

TEMP_PATHS = """\
    client_body_temp_path {temp}/client;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;"""


def nginx():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        sys.exit("devbalancer: nginx not found; install it (make system)")
    return found


def free_port(preferred, taken=()):
    """The preferred port if nothing listens there (and it is not taken), otherwise one the system picks."""
    if preferred not in taken:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", preferred)) != 0:
                return preferred
    while True:
        with socket.socket() as spare:
            spare.bind(("127.0.0.1", 0))
            port = spare.getsockname()[1]
        if port not in taken:
            return port


def answers(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serves(port):
    """Whether an app server answers /healthz (any status: a worker has loaded the app), not only listens."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status > 0
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def alive(pid):
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def read_pid(path):
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


class Balancer:
    """nginx on `port` in front of `servers` gunicorn instances, each in a process group of its own.

    `env` is what the app servers run with (on top of this process's environment); `reveal_upstream`
    adds the server that answered as X-Upstream on every response, for tests only (it names internal
    addresses). Ports, once chosen, are kept in `<name>.json` beside the directory.
    """

    def __init__(self, directory=INSTANCE, name="balancer", servers=2, workers=3, env=None, preferred_port=5080,
                 reveal_upstream=False):
        self.root = Path(directory) / name
        self.settings_file = Path(directory) / f"{name}.json"
        self.count, self.workers, self.env = servers, workers, dict(env or {})
        self.preferred_port, self.reveal_upstream = preferred_port, reveal_upstream
        self.conf_file = self.root / "nginx.conf"
        self.processes = {}  # the app servers this process started, reaped when they stop
        self.nginx_pidfile = self.root / "nginx.pid"

    # --- settings --------------------------------------------------------------------------------

    def settings(self):
        return json.loads(self.settings_file.read_text())

    def configure(self):
        chosen = os.environ.get("SEECLICK_BALANCER_PORT") if self.root == INSTANCE / "balancer" else None
        port = int(chosen or free_port(self.preferred_port))
        servers = []
        for i in range(self.count):
            servers.append(free_port(port + 1 + i, taken={port, *servers}))
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps({"port": port, "servers": servers}) + "\n")

    @property
    def port(self):
        return self.settings()["port"]

    @property
    def servers(self):
        return self.settings()["servers"]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def server_pidfile(self, i):
        return self.root / f"app-{i}.pid"

    def server_log(self, i, kind):
        """app-<i>.access.log (one line a request) or app-<i>.log (gunicorn's own)."""
        return self.root / f"app-{i}.{kind}.log" if kind == "access" else self.root / f"app-{i}.log"

    def conf(self, production=False, upstreams=None):
        """The nginx configuration: this one's, or (`production`) the model docs/production.md shows, in front
        of `upstreams` ("host:port" of each app server; by default this one's)."""
        upstreams = upstreams or [f"127.0.0.1:{p}" for p in self.settings()["servers"]]
        reveal = "            add_header X-Upstream $upstream_addr always;" if self.reveal_upstream else ""
        user = ""
        if os.geteuid() == 0:
            user = f"user {self.worker_user()};\n"
        return NGINX_CONF.format(
            process=PRODUCTION_PROCESS if production else PROCESS.format(
                pid=self.nginx_pidfile, error_log=self.root / "error.log", user=user),
            access_log="/var/log/nginx/seeclick.access.log" if production else self.root / "access.log",
            temp_paths="" if production else TEMP_PATHS.format(temp=self.root / "temp"),
            cache="/var/cache/nginx/seeclick" if production else self.root / "cache",
            servers="\n".join(f"        server {u} max_fails=2 fail_timeout=10s;" for u in upstreams),
            listen=PRODUCTION_LISTEN if production else f"127.0.0.1:{self.port}",
            reveal=reveal,
        ).replace("\n\n\n", "\n\n").replace("\n\n        }", "\n        }")

    @staticmethod
    def worker_user():
        """nginx's workers do not run as root: as the distribution's www-data (or nobody)."""
        for name in ("www-data", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        return "nobody"

    # --- the app servers -------------------------------------------------------------------------

    def start_server(self, i):
        self.wait_for_server(i, self.launch_server(i))

    def launch_server(self, i):
        """Start app server i unless it runs; the process (None if it was running already)."""
        pid = read_pid(self.server_pidfile(i))
        if pid and alive(pid):
            return None
        if not GUNICORN.exists():
            sys.exit("devbalancer: gunicorn not found in .venv; run make venv")
        env = {**os.environ, "SEECLICK_PROXIES": "1", **self.env}
        with self.server_log(i, "error").open("ab") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [str(GUNICORN), "wsgi:app", "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.servers[i]}",
                 "--no-control-socket", "--pid", str(self.server_pidfile(i)),
                 "--access-logfile", str(self.server_log(i, "access"))],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.processes[i] = process
        self.server_pidfile(i).write_text(f"{process.pid}\n")  # before gunicorn writes it itself
        return process

    def wait_for_server(self, i, process):
        """Until app server i answers /healthz (its workers have loaded the app)."""
        if process is None:
            return
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"devbalancer: app server {i} exited; see {self.server_log(i, 'error')}")
            if serves(self.servers[i]):
                print(f"devbalancer: app server {i} (gunicorn, pid {process.pid}) on 127.0.0.1:{self.servers[i]}")
                return
            time.sleep(0.1)
        self.stop_server(i)
        sys.exit(f"devbalancer: app server {i} did not start; see {self.server_log(i, 'error')}")

    def stop_server(self, i, number=signal.SIGTERM, wait=30):
        """Stop app server i: its master and every worker (its process group)."""
        pid = read_pid(self.server_pidfile(i))
        if pid and alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, number)
            deadline = time.monotonic() + wait
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
        if i in self.processes:  # started here: reaped, whether stopped now or dead already
            self.processes.pop(i).wait()
        self.server_pidfile(i).unlink(missing_ok=True)

    # --- nginx -----------------------------------------------------------------------------------

    def prepare_directories(self):
        """Cache and temporary files are written by nginx's workers, which run as www-data under root."""
        for sub in ("cache", "temp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        account = pwd.getpwnam(self.worker_user())
        for parent in reversed(self.root.parents):
            mode = parent.stat().st_mode
            if not mode & 0o001:
                print(f"devbalancer: allowing nginx's workers to traverse {parent} (o+x)")
                parent.chmod(mode | 0o001)
        self.root.chmod(self.root.stat().st_mode | 0o001)
        for sub in ("cache", "temp"):
            for path in [self.root / sub, *(self.root / sub).rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)

    def nginx_running(self):
        pid = read_pid(self.nginx_pidfile)
        return bool(pid and alive(pid))

    def start_nginx(self):
        if self.nginx_running():
            return
        self.conf_file.write_text(self.conf())
        self.prepare_directories()
        command = [nginx(), "-p", str(self.root), "-c", str(self.conf_file), "-e", str(self.root / "error.log")]
        checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if checked.returncode != 0:
            sys.exit(f"devbalancer: nginx refuses {self.conf_file}:\n{checked.stderr}")
        subprocess.run(command, check=True)
        for _ in range(100):
            if answers(self.port):
                print(f"devbalancer: nginx on {self.url} in front of {len(self.servers)} app servers")
                return
            time.sleep(0.05)
        sys.exit(f"devbalancer: nginx did not start; see {self.root / 'error.log'}")

    def stop_nginx(self):
        pid = read_pid(self.nginx_pidfile)
        if not pid or not alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            if not alive(pid):
                return
            time.sleep(0.05)

    # --- all of it -------------------------------------------------------------------------------

    def start(self):
        if not self.settings_file.exists() or len(self.servers) != self.count:
            self.configure()
        self.root.mkdir(parents=True, exist_ok=True)
        launched = [self.launch_server(i) for i in range(self.count)]  # booting side by side
        for i, process in enumerate(launched):
            self.wait_for_server(i, process)
        self.start_nginx()

    def stop(self):
        if not self.settings_file.exists():
            print("devbalancer: not running")
            return
        self.stop_nginx()
        for i in range(len(self.servers)):
            self.stop_server(i)


def run(balancer):
    """Start, then wait in the foreground until SIGINT or SIGTERM, and stop everything."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        balancer.start()
        print(f"devbalancer: seeclick is on {balancer.url}; Ctrl-C stops it", flush=True)
        while not stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C (or one passed on again) waits for the stop
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        balancer.stop()


def main(argv):
    parser = argparse.ArgumentParser(prog="devbalancer", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="start", choices=("start", "stop", "run", "conf"))
    parser.add_argument("--servers", type=int, default=2, help="how many app servers (gunicorn instances)")
    parser.add_argument("--name", default="balancer", help="its directory and settings under instance/")
    parser.add_argument("--production", action="store_true", help="conf: without what only a local nginx needs")
    args = parser.parse_args(argv[1:])
    balancer = Balancer(INSTANCE, name=args.name, servers=args.servers)
    if args.command == "start":
        balancer.start()
    elif args.command == "stop":
        balancer.stop()
    elif args.command == "run":
        run(balancer)
    else:
        if not balancer.settings_file.exists():
            balancer.configure()
        print(balancer.conf(production=args.production), end="")


if __name__ == "__main__":
    main(sys.argv)
