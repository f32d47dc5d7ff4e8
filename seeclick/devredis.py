"""Manage the project-local Redis under instance/, where every throttle counts.

Run with the system Python before the virtualenv exists (standard library only):

    python3 seeclick/devredis.py start      # write its configuration once, start it
    python3 seeclick/devredis.py stop
    python3 seeclick/devredis.py url [DB]   # print the URL of a database (0: the app, 1: the tests)

Like the PostgreSQL cluster beside it (devdb.py): loopback only, its own port (SEECLICK_REDIS_PORT;
by default 63790, or a free port if that one is taken, then or at a later start), a generated
password, both kept in instance/devredis.json, which config.py reads when SEECLICK_RATELIMIT_STORAGE
is not set. It keeps nothing on disk: rate-limit counts last minutes to a day, and starting from zero
is harmless.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DIRECTORY = INSTANCE / "redis"
SETTINGS = INSTANCE / "devredis.json"
CONF = DIRECTORY / "redis.conf"
PIDFILE = DIRECTORY / "redis.pid"
LOG = INSTANCE / "redis.log"


def server():
    found = shutil.which("redis-server")
    if not found:
        sys.exit("devredis: redis-server not found; install it (make system)")
    return found


def free_port(preferred):
    """The preferred port if nothing listens there, otherwise one the system picks."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return spare.getsockname()[1]


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def settings():
    return json.loads(SETTINGS.read_text())


def url(db=0):
    s = settings()
    return f"redis://:{s['password']}@127.0.0.1:{s['port']}/{db}"


def configure():
    port = int(os.environ.get("SEECLICK_REDIS_PORT") or free_port(63790))
    password = secrets.token_urlsafe(18)
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    write_private(SETTINGS, json.dumps({"port": port, "password": password}) + "\n")
    write_private(CONF, (
        "# seeclick local Redis: rate-limit counts only, nothing kept on disk\n"
        f"port {port}\nbind 127.0.0.1\nprotected-mode yes\nunixsocket \"\"\n"
        f"requirepass {password}\n"
        f"dir {DIRECTORY}\npidfile {PIDFILE}\nlogfile {LOG}\n"
        "daemonize yes\nsave \"\"\nappendonly no\nmaxmemory 256mb\nmaxmemory-policy volatile-ttl\n"
    ))


def ping():
    """Whether our server answers on its port (PING with our password)."""
    s = settings()
    try:
        with socket.create_connection(("127.0.0.1", s["port"]), timeout=1) as conn:
            conn.sendall(f"AUTH {s['password']}\r\nPING\r\n".encode())
            reply = b""
            while b"PONG" not in reply and len(reply) < 200:
                chunk = conn.recv(200)
                if not chunk:
                    break
                reply += chunk
            return b"+PONG" in reply
    except OSError:
        return False


def move_off_a_taken_port():
    """A free port, if another server (another checkout's Redis, say) now listens on the saved one."""
    saved = settings()
    port = free_port(saved["port"])
    if port == saved["port"]:
        return
    write_private(CONF, CONF.read_text().replace(f"\nport {saved['port']}\n", f"\nport {port}\n"))
    write_private(SETTINGS, json.dumps({**saved, "port": port}) + "\n")
    print(f"devredis: port {saved['port']} is taken by another server; this Redis now listens on {port}")


def start():
    if not SETTINGS.exists() or not CONF.exists():
        print(f"devredis: configuring Redis in {DIRECTORY}")
        configure()
    if ping():
        return
    move_off_a_taken_port()
    subprocess.run([server(), str(CONF)], check=True, stdout=subprocess.DEVNULL)
    for _ in range(100):
        if ping():
            print(f"devredis: Redis running on 127.0.0.1:{settings()['port']}")
            return
        time.sleep(0.05)
    sys.exit(f"devredis: Redis did not start; see {LOG}")


def stop():
    if not PIDFILE.exists() or not ping():
        print("devredis: not running")
        return
    pid = int(PIDFILE.read_text().strip())
    os.kill(pid, 15)
    for _ in range(100):
        if not ping():
            return
        time.sleep(0.05)


def main(argv):
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        start()
    elif command == "stop":
        stop()
    elif command == "url":
        print(url(int(argv[2]) if len(argv) > 2 else 0))
    else:
        sys.exit(f"devredis: unknown command {command!r} (start, stop, url)")


if __name__ == "__main__":
    main(sys.argv)
