"""Clients with callback threads are closed before the interpreter shuts down, so no
callback thread tries to enter a finalizing interpreter."""

import atexit
import weakref
from typing import Any

live: "weakref.WeakSet[Any]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for client in list(live):
        try:
            client.close()
        except Exception:
            pass
