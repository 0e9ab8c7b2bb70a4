from typing import Any, Callable

from . import _args, _callbacks, _native
from ._config import ClientConfig
from ._lifecycle import live as _live
from ._simple_consumer import Subscriptions

__all__ = ["PushConsumer"]


class PushConsumer:
    """Receives in the background and calls ``listener(view)`` for each message, on the
    consumer's own threads (``rmq-callback-N``), never on the network threads; other Python
    threads keep running meanwhile.

    The listener returns ``ConsumeResult.SUCCESS`` (the message is acked; returning None
    counts the same) or ``ConsumeResult.FAILURE`` (delivered again after the group's retry
    delay, up to its max attempts, then dead-lettered). An exception counts as FAILURE and
    is logged to the ``rmq`` logger. FIFO groups get each message group's messages in order,
    one at a time.

    Args:
        config, group, subscriptions: as for ``SimpleConsumer``.
        listener: ``listener(view) -> ConsumeResult``.
        max_cache_messages: messages received and not yet settled before receiving pauses
            (default 4096).
        max_cache_bytes: body bytes likewise (default 64 MiB).
        consumption_threads: listener calls at once (default 20).
    """

    def __init__(self, config: ClientConfig, group: str, subscriptions: Subscriptions,
                 listener: Callable[[Any], Any], *,
                 max_cache_messages: int = _args.DEFAULT_MAX_CACHE_MESSAGES,
                 max_cache_bytes: int = _args.DEFAULT_MAX_CACHE_BYTES,
                 consumption_threads: int = _args.DEFAULT_CONSUMPTION_THREADS) -> None:
        self._native = _native.PushConsumer.start(
            _args.config(config), _args.group(group), _args.subscriptions(subscriptions),
            _callbacks.listener(listener),
            _args.push_consumer_options(max_cache_messages, max_cache_bytes,
                                        consumption_threads))
        self._closed = False
        _live.add(self)

    @property
    def client_id(self) -> str:
        return self._native.client_id

    @property
    def cached_messages(self) -> int:
        """Messages received and not yet settled."""
        return self._native.cached_messages

    @property
    def assigned_queues(self) -> int:
        """Queues currently assigned to this consumer."""
        return self._native.assigned_queues

    def close(self) -> None:
        """Stops receiving and waits for listener calls in progress (and their acks).
        Idempotent. Do not call it from inside the listener."""
        name = _native.current_thread_name() or ""
        if name.startswith("rmq-callback"):
            raise RuntimeError("close() called from a listener would wait for that listener "
                               "to return; close the consumer from another thread")
        if not self._closed:
            self._closed = True
            _live.discard(self)
            self._native.close()

    def __enter__(self) -> "PushConsumer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
