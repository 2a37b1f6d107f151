"""Publishing a Celery message without making a request wait on a broker that is down.

A publish is tried once (retry=False; the broker's socket timeout is short, see
CELERY_BROKER_TRANSPORT_OPTIONS) and a failure is logged, not raised: the caller's rows stay
pending in the database and a beat task publishes them again. After a failure the broker is
skipped for BROKER_BACKOFF_SECONDS, so while Redis is down or hangs, requests don't each wait
for the timeout. Used by the reminder sends and the ledger exports.
"""

import logging
import time

logger = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def publish(task, *, args: list, what: str, **options) -> bool:
    """Publish `task` with `args`; False (and `what` is logged as left for the dispatch) if the
    broker is marked down or the publish fails. Call it after commit."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.info("broker marked down, %s left for the dispatch", what)
        return False
    try:
        task.apply_async(args=args, retry=False, **options)
    except Exception as exc:  # kombu raises several types for a broker that is down or hangs
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("broker unavailable, %s left for the dispatch: %s", what, exc)
        return False
    return True
