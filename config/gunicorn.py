"""The production web server: `python -m gunicorn -c config/gunicorn.py` (README, "Deploying").

Sync workers, as many as the machine's cores allow (2 × cores + 1, or WEB_CONCURRENCY): each
handles one request at a time, and every request of the site is short (a large ledger is a job,
disputes/services/ledger_exports.py). A worker silent for WEB_TIMEOUT seconds (30) is killed and
replaced; SIGHUP reloads the code with graceful restarts (old workers finish their requests,
up to 30 s), and each worker is recycled after about 2,000 requests so that no leak grows. The
access log goes to stdout with phone numbers masked (config/access_log.py).
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

from config.access_log import mask_numbers

wsgi_app = "config.wsgi:application"
bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"


class MaskedLogger(Logger):
    """The access log with every logged value (request line, query string, referer, headers)
    masked; the time stamp is left alone."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: mask_numbers(v) if isinstance(v, str) and k != "t" else v for k, v in atoms.items()}


logger_class = MaskedLogger
# The client's address from the reverse proxy in front (HTTPS ends there; see SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
