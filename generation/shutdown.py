"""How a worker process stops: on SIGTERM it takes no new work and gives the task in hand
WORKER_STOP_GRACE_SECONDS to finish; after that the task is interrupted with WorkerStopping,
and the task hands its page (or batch) back to the queue.

Installed in each django-q2 worker by `manage.py runworkers` (generation/cluster.py) through
django-q2's `post_spawn` signal, which is sent inside the new worker process.
"""

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator

from django.conf import settings
from django.db import connections

logger = logging.getLogger("nanodeck.workers")

# The grace timer interrupts the main thread with this signal (SIGALRM is django-q2's timeout).
INTERRUPT_SIGNAL = signal.SIGUSR1


class WorkerStopping(BaseException):
    """The worker is stopping and the grace period is over. A BaseException, like
    KeyboardInterrupt, so that the pipeline's `except Exception` does not record it as the
    page's failure: it unwinds to the task, which hands the work back."""


class _State:
    stopping = False
    busy = False  # inside `interruptible()`: the only place WorkerStopping is raised
    timer: threading.Timer | None = None


def install_in_worker(**_kwargs) -> None:
    """django-q2's post_spawn receiver: runs in each new worker process."""
    _State.stopping = _State.busy = False
    signal.signal(INTERRUPT_SIGNAL, _on_grace_over)
    signal.signal(signal.SIGTERM, _on_sigterm)


def stop_requested() -> bool:
    return _State.stopping


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Work in here may be interrupted by WorkerStopping once the grace period is over."""
    _State.busy = True
    try:
        yield
    finally:
        _State.busy = False


def fresh_connections() -> None:
    """After an interruption a database connection may be mid-query: start over with new ones."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):
            connection.close()


def _on_sigterm(signum: int, frame: object) -> None:
    if _State.stopping:
        return  # the group's SIGTERM and the sentinel's forwarded one: one grace period
    _State.stopping = True
    grace = settings.NANODECK["WORKER_STOP_GRACE_SECONDS"]
    logger.info("worker_stopping busy=%s grace_s=%s", _State.busy, grace)
    main = threading.main_thread().ident
    _State.timer = threading.Timer(grace, signal.pthread_kill, (main, INTERRUPT_SIGNAL))
    _State.timer.daemon = True
    _State.timer.start()


def _on_grace_over(signum: int, frame: object) -> None:
    if _State.stopping and _State.busy:
        _State.busy = False
        raise WorkerStopping("the worker is stopping and its grace period is over")
