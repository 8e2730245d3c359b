"""Loaded only under ``FAKETIME=… ./scripts/test``: a work-around for libfaketime 0.9.10, not product code.

The suite runs with ``FAKETIME_DONT_FAKE_MONOTONIC=1``: a faked monotonic clock makes every timed wait
(``Event.wait``, ``Thread.join(timeout)``, lock timeouts) sleep for the whole offset. With the real
monotonic clock, libfaketime's ``clock_nanosleep`` wrapper still shifts absolute deadlines, so CPython's
``time.sleep`` (an absolute monotonic deadline) fails with EINVAL. ``select`` takes a relative timeout.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


time.sleep = _sleep
