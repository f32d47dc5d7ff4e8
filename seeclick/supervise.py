"""Run the web server with the job worker beside it, and start the worker again whenever it dies.

    python -m seeclick.supervise --keep 'flask --app wsgi jobs worker' -- gunicorn wsgi:app

What `make run` and `make soak` use; in production systemd does the same (docs/production.md).
The command after `--` runs in the foreground: when it ends, the kept ones are stopped and its
exit status is ours (0 when we were asked to stop). Each `--keep` command is started again after
it exits for any reason (a crash, `kill -9`, an exit status of 0), after 1 s, then 2, 4 ... up to
30 s while it keeps dying at once; SIGINT and SIGTERM are passed on to every command. Standard
library only.
"""

import argparse
import shlex
import signal
import subprocess
import sys
import time

FIRST_WAIT, LONGEST_WAIT, STEADY = 1.0, 30.0, 60.0


def log(message):
    print(f"supervise: {message}", file=sys.stderr, flush=True)


class Kept:
    """A command that is started again whenever it exits."""

    def __init__(self, argv):
        self.argv = argv
        self.process = None
        self.started = 0.0
        self.wait = FIRST_WAIT
        self.due = 0.0  # when to start it again

    def start(self):
        self.process = subprocess.Popen(self.argv)
        self.started = time.monotonic()
        log(f"started {shlex.join(self.argv)} (pid {self.process.pid})")

    def check(self, now):
        if self.process is None:
            if now >= self.due:
                self.start()
            return
        status = self.process.poll()
        if status is None:
            return
        if now - self.started > STEADY:
            self.wait = FIRST_WAIT  # it had been running: a new failure, not the same one again
        log(f"{shlex.join(self.argv)} exited with status {status}; starting it again in {self.wait:.0f} s")
        self.process, self.due = None, now + self.wait
        self.wait = min(self.wait * 2, LONGEST_WAIT)

    def stop(self, number):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="append", default=[], help="a command to keep running (repeatable)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the foreground command, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the foreground command after --")
    kept = [Kept(shlex.split(k)) for k in args.keep]
    stopping = []

    def forward(number, frame):
        stopping.append(number)
        for k in kept:
            k.stop(number)
        if main_process.poll() is None:
            main_process.send_signal(number)

    main_process = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for k in kept:
        k.start()
    while main_process.poll() is None:
        if not stopping:
            now = time.monotonic()
            for k in kept:
                k.check(now)
        time.sleep(0.2)
    for k in kept:  # the web server ended: so does everything beside it
        k.stop(signal.SIGTERM)
    for k in kept:
        if k.process is not None:
            try:
                k.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                k.process.kill()
    return 0 if stopping else main_process.returncode  # asked to stop: a clean stop


if __name__ == "__main__":
    sys.exit(main())
