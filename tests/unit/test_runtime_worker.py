"""Waiting for a worker through Ctrl-C: the first sets the stop event, the worker finishes its step, nothing is cut."""

from __future__ import annotations

import _thread
import threading

from op_trading.runtime.worker import STILL_STOPPING, STOPPING, Worker, wait_for


def ctrl_c_after(seconds: float) -> threading.Timer:
    """KeyboardInterrupt in the main thread (where the test and the wait run), as a real Ctrl-C gives."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_stops_the_worker_in_order_and_the_wait_goes_on_until_it_is_done():
    stop, steps = threading.Event(), []

    def work() -> str:
        while not stop.wait(0.01):
            pass
        steps.append("finishing the current step")
        threading.Event().wait(0.3)  # the step's writes take a while; a second Ctrl-C arrives meanwhile
        steps.append("done")
        return "summary"

    worker = Worker(work, "test-worker").start()
    notes: list[str] = []
    timers = [ctrl_c_after(0.1), ctrl_c_after(0.25)]
    interrupted = wait_for(worker, stop, notes.append)
    for timer in timers:
        timer.join()
    assert interrupted and worker.done.is_set() and worker.result == "summary"
    assert steps == ["finishing the current step", "done"]
    assert notes == [STOPPING, STILL_STOPPING]


def test_an_error_in_the_worker_is_kept_for_the_owner():
    worker = Worker(lambda: 1 / 0, "test-worker").start()
    assert wait_for(worker, threading.Event()) is False
    assert isinstance(worker.error, ZeroDivisionError) and worker.result is None


def test_the_wait_can_be_bounded():
    stop = threading.Event()
    worker = Worker(lambda: stop.wait(5), "test-worker").start()
    assert wait_for(worker, stop, timeout=0.05) is False and worker.is_alive()
    stop.set()
    assert wait_for(worker, stop, timeout=5) is False and not worker.is_alive()
