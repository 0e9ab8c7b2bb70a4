"""rmq: a RocketMQ 5 client over a Rust core.

Sync classes (``Producer``, ``SimpleConsumer``, ``PushConsumer``) release the GIL while they
wait; ``AsyncProducer`` and ``AsyncSimpleConsumer`` are their asyncio twins. Errors are
``RmqError`` subclasses; invalid arguments raise ``TypeError`` / ``ValueError`` before any
I/O. The core's log events go to the ``rmq`` logger. ``rmq.testing.MiniBroker`` is an
in-process broker for tests.
"""

import os as _os

from . import _native
from ._config import ClientConfig
from ._errors import *  # noqa: F401,F403 - the exception classes are part of the API
from ._errors import __all__ as _error_names
from ._lite import OffsetOption
from ._lite_push_consumer import LitePushConsumer
from ._lite_simple_consumer import LiteSimpleConsumer
from ._producer import Producer, Transaction
from ._push_consumer import PushConsumer
from ._simple_consumer import SimpleConsumer
from ._types import ConsumeResult, TransactionResolution

Message = _native.Message
MessageView = _native.MessageView
SendReceipt = _native.SendReceipt
FilterExpression = _native.FilterExpression
__version__: str = _native.__version__

_ASYNC = ("AsyncProducer", "AsyncSimpleConsumer", "AsyncTransaction")

__all__ = [
    "ClientConfig", "Message", "MessageView", "SendReceipt", "FilterExpression",
    "Producer", "Transaction", "SimpleConsumer", "PushConsumer", "LitePushConsumer",
    "LiteSimpleConsumer", "OffsetOption", "ConsumeResult",
    "TransactionResolution", *_ASYNC, *_error_names,
]


def __getattr__(name: str):
    # asyncio is imported only by programs that use it (it costs ~20 ms at import).
    if name in _ASYNC:
        from . import _aio
        return getattr(_aio, name)
    raise AttributeError(f"module 'rmq' has no attribute {name!r}")


def refresh_log_level() -> None:
    """Makes the ``rmq`` logger's level apply to the core now (it is re-read every second)."""
    _native.refresh_log_level()


if hasattr(_os, "register_at_fork"):
    # The log thread does not survive fork(); the child starts its own.
    _os.register_at_fork(after_in_child=_native.reinstall_after_fork)
