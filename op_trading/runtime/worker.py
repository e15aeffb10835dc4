"""Background work that the terminal waits for, so that Ctrl-C while waiting is an orderly stop.

Ctrl-C raises KeyboardInterrupt in the main thread, which is the one waiting. `Thread.join()` must not be that
wait: Python 3.11 marks a thread whose join() was interrupted as finished (it releases the running thread's state
lock), so a second join returns at once and the worker is killed at interpreter exit in the middle of its cycle.
A `Worker` signals its end with an Event instead, and `wait_for` keeps waiting through any number of Ctrl-Cs: the
first one sets the stop event (the worker finishes or rolls back what it is doing and ends), later ones only say
that the stop is under way.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

WAIT_SLICE = 0.2  # seconds between looks at the worker: Ctrl-C is handled at once whatever the slice
STOPPING = "Stopping after the current cycle (finishing its writes) ..."
STILL_STOPPING = "Still finishing the current cycle; it ends by itself shortly (files are never left half-written)."


class Worker:
    """Runs `target()` in a daemon thread; `done` is set when it returns or raises (`result` / `error`)."""

    def __init__(self, target: Callable[[], Any], name: str) -> None:
        self.name = name
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._target = target
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Worker":
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.ident is not None and not self.done.is_set()

    def _run(self) -> None:
        try:
            self.result = self._target()
        except BaseException as error:  # reported by the owner through `error`; the log has the traceback
            self.error = error
            log.exception("%s stopped with an error", self.name)
        finally:
            self.done.set()


def wait_for(worker: Worker, stop: threading.Event, notify: Callable[[str], None] | None = None,
             timeout: float | None = None) -> bool:
    """Wait until `worker` is done (or `timeout` seconds passed); True when Ctrl-C was pressed meanwhile.

    Ctrl-C does not end the wait: the first sets `stop` (and says so through `notify`), later ones are answered
    with a note. Never uses Thread.join (see the module text).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    interrupted = False
    while not worker.done.is_set():
        remaining = WAIT_SLICE if deadline is None else min(WAIT_SLICE, deadline - time.monotonic())
        if remaining <= 0:
            break
        try:
            worker.done.wait(remaining)
        except KeyboardInterrupt:
            _say(notify, STILL_STOPPING if interrupted or stop.is_set() else STOPPING)
            interrupted = True
            stop.set()
    return interrupted


def _say(notify: Callable[[str], None] | None, text: str) -> None:
    if notify is None:
        return
    try:
        notify(text)
    except KeyboardInterrupt:  # a Ctrl-C while printing the note must not end the wait either
        pass
