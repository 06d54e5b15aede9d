"""One computation shared by concurrent callers (threads): the Python twin of a shared Promise."""
from __future__ import annotations

import threading
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class _Pending(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Optional[T] = None
        self.error: Optional[BaseException] = None


class Coalesced(Generic[T]):
    """``run(work)``: if another thread is already running work, wait for its outcome instead of
    starting a second one. Outcomes are not remembered: the next call after completion runs again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Optional[_Pending[T]] = None

    def run(self, work: Callable[[], T]) -> T:
        with self._lock:
            pending = self._pending
            leader = pending is None
            if pending is None:
                pending = self._pending = _Pending()
        if leader:
            try:
                pending.value = work()
            except BaseException as error:  # handed to every waiter, re-raised below
                pending.error = error
            finally:
                with self._lock:
                    self._pending = None
                pending.done.set()
        else:
            pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.value  # type: ignore[return-value]
