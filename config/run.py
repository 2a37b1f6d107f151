"""`make run`: the web server, a Celery worker and Celery beat (plus a private Redis) in one terminal.

    python -m config.run

Without REDIS_URL a private Redis is started (config.embedded_redis). Each child runs in its own
process group and its output is prefixed with its name. Ctrl-C or SIGTERM stops them all (SIGTERM to
each group, SIGKILL a few seconds later), then the Redis; if any child dies, the rest are stopped
and the exit code is non-zero. Plain HTTP on 127.0.0.1, so HTTPS defaults to 0 here.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from config.embedded_redis import (
    BASE_DIR,
    EmbeddedRedisError,
    default_var_dir,
    die_with_parent,
    embedded_redis,
    stop_process_group,
)

STOP_TIMEOUT = 8.0
_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _pump(name: str, stream) -> None:
    for raw in iter(stream.readline, b""):
        say(f"{name:<6}| {raw.decode(errors='replace').rstrip()}")
    stream.close()


def _commands(port: int, var_dir: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [python, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2"],
        "beat": [
            python, "-m", "celery", "-A", "config", "beat", "-l", "info",
            "--schedule", str(var_dir / "celerybeat-schedule"),
        ],
    }  # fmt: skip


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _banner(port: int) -> None:
    password = os.environ.get("DEMO_PASSWORD", "demo12345")
    say("")
    say(f"  Linli is running: http://127.0.0.1:{port}/")
    say(f"  Demo logins: resident1 / mediator1 / supervisor1 / admin, password: {password}")
    if os.environ.get("LINLI_STAFF_MFA", "0").strip().lower() in {"0", "false", "no", "off", ""}:
        say("  Staff two-factor sign-in (MFA) is OFF for this demo; it is on in production.")
        say("  Turn it on here with LINLI_STAFF_MFA=1 make run.")
    else:
        say("  Staff two-factor sign-in (MFA) is ON: staff enrol an authenticator app at first sign-in.")
    say("  Press Ctrl-C to stop.")
    say("")


class _Stop(Exception):
    pass


def supervise(env: dict[str, str], port: int, var_dir: Path) -> int:
    children: dict[str, subprocess.Popen] = {}

    def on_signal(signum, frame):
        raise _Stop(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, command in _commands(port, var_dir).items():
            children[name] = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
                preexec_fn=die_with_parent,
            )
        # Threads start after the last fork: preexec_fn and threads don't mix well.
        for name, proc in children.items():
            threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
        announced = False
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    say(f"run   | {name} exited with code {proc.returncode}; stopping the others")
                    return 128 - proc.returncode if proc.returncode < 0 else proc.returncode or 1
            if not announced and _answers(port):
                _banner(port)
                announced = True
            time.sleep(0.2)
    except _Stop as stop:
        say(f"run   | {signal.Signals(stop.args[0]).name}: stopping")
        return 0
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proc in children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, proc in children.items():
            stop_process_group(proc, max(0.0, deadline - time.monotonic()), term=False)
            say(f"run   | {name} stopped ({proc.returncode})")


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    var_dir = default_var_dir()
    var_dir.mkdir(parents=True, exist_ok=True)
    # The demo logins are shared: staff MFA is off here unless LINLI_STAFF_MFA=1 (the banner says so).
    os.environ.setdefault("LINLI_STAFF_MFA", "0")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("HTTPS", "0")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")  # the links in emails point here
    if _answers(port):
        say(f"run   | something already listens on 127.0.0.1:{port}; stop it or set PORT")
        return 1
    try:
        if env.get("REDIS_URL"):
            return supervise(env, port, var_dir)
        with embedded_redis(var_dir) as url:
            say(f"run   | private Redis at {url}")
            try:
                return supervise({**env, "REDIS_URL": url}, port, var_dir)
            finally:
                say("run   | stopping Redis")
    except EmbeddedRedisError as exc:
        say(f"run   | {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
