from typing import Any, Callable, Iterable, List, Optional, Sequence

from . import _args, _callbacks, _native
from ._lifecycle import live as _live
from ._config import ClientConfig

__all__ = ["Producer", "Transaction"]

Message = _native.Message
SendReceipt = _native.SendReceipt


class Producer:
    """Sends messages: normal, FIFO (with ``message_group``), scheduled (with
    ``delivery_timestamp``) and transactional (with a ``Transaction``).

    Args:
        config: the client configuration.
        topics: topics whose routes are fetched at start, so the first send is fast and a
            missing topic fails here rather than at the first send.
        transaction_checker: ``checker(view) -> TransactionResolution``; needed for
            transactions. The broker asks it about transactions left undecided (by a crashed
            producer, say). It runs on a dedicated thread; an exception answers UNKNOWN.
        max_attempts: attempts per send, retries included (default 3; FIFO messages are not
            retried on another queue).
        linger: seconds concurrent sends of normal messages to one topic may wait to leave
            together in one request (default None: each send leaves at once). Raises
            throughput of many concurrent sends (threads or asyncio) by an order of magnitude.
        max_sends_in_flight: send requests in flight at once (default 1024); more concurrent
            sends wait for a turn holding only their message, so memory stays bounded.

    Starting fetches routes and may raise ``RmqError``. All methods release the GIL while
    they wait. Use it as a context manager, or call ``close()``.
    """

    def __init__(self, config: ClientConfig, *, topics: Iterable[str] = (),
                 transaction_checker: Optional[Callable[[Any], Any]] = None,
                 max_attempts: int = 3, linger: Optional[float] = None,
                 max_sends_in_flight: int = 1024) -> None:
        self._native = _native.Producer.start(
            _args.config(config),
            _args.producer_options(topics, max_attempts, linger, max_sends_in_flight),
            _callbacks.checker(transaction_checker))
        self._closed = False
        if transaction_checker is not None:
            _live.add(self)

    def send(self, message: Message, transaction: Optional["Transaction"] = None) -> SendReceipt:
        """Sends one message; with ``transaction``, as that transaction's half message."""
        if transaction is not None:
            if not isinstance(transaction, Transaction):
                raise TypeError("transaction must come from this producer's begin_transaction()")
            return transaction._native.send(message)
        return self._native.send(message)

    def send_batch(self, messages: Sequence[Message]) -> List[SendReceipt]:
        """Sends messages of one topic and type in one request; receipts in order."""
        return self._native.send_batch(list(messages))

    def begin_transaction(self) -> "Transaction":
        """Starts a transaction (needs ``transaction_checker``)."""
        return Transaction(self._native.begin_transaction())

    def recall(self, topic: str, recall_handle: str) -> str:
        """Cancels a scheduled message not yet delivered, with its receipt's
        ``recall_handle``. Returns the message id."""
        return self._native.recall(topic, recall_handle)

    @property
    def client_id(self) -> str:
        return self._native.client_id

    def close(self) -> None:
        """Finishes sends in progress and stops. Idempotent."""
        if not self._closed:
            self._closed = True
            _live.discard(self)
            self._native.close()

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transaction:
    """A transaction: send at most one message in it, then ``commit()`` or ``rollback()``.
    Also a context manager: commits on a normal exit, rolls back on an exception."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    def commit(self) -> None:
        self._native.commit()

    def rollback(self) -> None:
        self._native.rollback()

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.commit()
            return
        try:
            self.rollback()
        except Exception:  # nothing was sent, or the broker is gone: the body's error wins
            pass
