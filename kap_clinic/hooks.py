"""Named extension points, so an earlier app can let a later one react without importing it.

The apps depend one way (``kap_clinic`` ← ``patients`` ← ``scheduling`` ← ``sessions``). When a
write in an earlier app must be followed by work in a later one — a contact change re-plans the
schedule's reminders, a rescheduled visit moves the planned dosing session — the earlier app
declares a ``Hook`` and calls it inside its transaction; the later app registers its service in
its ``AppConfig.ready()``. Explicit calls, in order of registration, in the caller's transaction:
unlike a signal, the call site says that something else happens here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Receiver = Callable[..., Any]


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Receiver] = []

    def register(self, receiver: Receiver) -> Receiver:
        """Add ``receiver`` (once; ``ready()`` may run twice in tests)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def __call__(self, **kwargs: Any) -> None:
        for receiver in self._receivers:
            receiver(**kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"
