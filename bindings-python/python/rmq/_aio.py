"""asyncio twins of Producer and SimpleConsumer.

Work runs on rmq's own threads; results reach the event loop through one socket per loop
(watched with ``loop.add_reader``), so no rmq thread ever waits for the GIL to wake the loop.
Cancelling an await does not withdraw a request already sent.
"""

import asyncio
import weakref
from typing import Any, Callable, Iterable, List, Optional, Sequence

from . import _args, _callbacks, _native
from ._config import ClientConfig
from ._lifecycle import live as _live
from ._simple_consumer import Subscriptions

__all__ = ["AsyncProducer", "AsyncSimpleConsumer", "AsyncTransaction"]

Message = _native.Message
MessageView = _native.MessageView
SendReceipt = _native.SendReceipt

_completions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = (
    weakref.WeakKeyDictionary())


def _for(loop: asyncio.AbstractEventLoop) -> Any:
    completions = _completions.get(loop)
    if completions is None:
        completions = _native.Completions()
        loop.add_reader(completions.fileno(), completions.drain)
        _completions[loop] = completions
    return completions


def _submit(method: Callable[..., None], *args: Any) -> "asyncio.Future[Any]":
    """Starts a native ``*_async`` method; the returned future resolves with its result."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    method(*args, _for(loop), future)
    return future


class AsyncProducer:
    """``Producer`` for asyncio: the same arguments; ``await start()`` or ``async with``.
    Argument types are checked when it is made, their values when it starts (before any I/O).

    ``linger=0`` is worth knowing here: normal messages to one topic whose sends are made at
    the same moment (many tasks sending at once) then leave together in one request, and no
    send waits for company; throughput rises several times. It is off by default because an
    Apache proxy in local mode delivers every message of a batch with the first message's
    id and keys.
    """

    def __init__(self, config: ClientConfig, *, topics: Iterable[str] = (),
                 transaction_checker: Optional[Callable[[Any], Any]] = None,
                 max_attempts: int = 3, linger: Optional[float] = None,
                 max_sends_in_flight: int = 1024) -> None:
        self._args = (_args.config(config),
                      _args.producer_options(topics, max_attempts, linger, max_sends_in_flight),
                      _callbacks.checker(transaction_checker))
        self._native: Any = None
        self._closed = False

    async def start(self) -> "AsyncProducer":
        """Starts the producer (checks the options, then fetches routes). Idempotent."""
        if self._native is None:
            self._native = await _submit(_native.Producer.start_async, *self._args)
            if self._args[2] is not None:
                _live.add(self._native)
        return self

    def _started(self) -> Any:
        if self._native is None:
            raise _not_started("AsyncProducer")
        return self._native

    async def send(self, message: Message,
                   transaction: Optional["AsyncTransaction"] = None) -> SendReceipt:
        native = self._started()
        if transaction is not None:
            if not isinstance(transaction, AsyncTransaction):
                raise TypeError("transaction must come from this producer's begin_transaction()")
            return await _submit(transaction._native.send_async, message)
        return await _submit(native.send_async, message)

    async def send_batch(self, messages: Sequence[Message]) -> List[SendReceipt]:
        native = self._started()
        return await _submit(native.send_batch_async, list(messages))

    def begin_transaction(self) -> "AsyncTransaction":
        return AsyncTransaction(self._started().begin_transaction())

    async def recall(self, topic: str, recall_handle: str) -> str:
        native = self._started()
        return await _submit(native.recall_async, topic, recall_handle)

    @property
    def client_id(self) -> str:
        return self._started().client_id

    async def close(self) -> None:
        """Finishes sends in progress and stops. Idempotent."""
        if self._native is not None and not self._closed:
            self._closed = True
            _live.discard(self._native)
            await _submit(self._native.close_async)

    async def __aenter__(self) -> "AsyncProducer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncTransaction:
    """A transaction of an ``AsyncProducer``; ``await commit()`` or ``await rollback()``."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    async def commit(self) -> None:
        await _submit(self._native.commit_async)

    async def rollback(self) -> None:
        await _submit(self._native.rollback_async)


class AsyncSimpleConsumer:
    """``SimpleConsumer`` for asyncio: the same arguments; ``await start()`` or
    ``async with``. Argument types are checked when it is made, their values when it starts
    (before any I/O)."""

    def __init__(self, config: ClientConfig, group: str, subscriptions: Subscriptions, *,
                 await_duration: float = 30.0) -> None:
        self._args = (_args.config(config), _args.group(group),
                      _args.subscriptions(subscriptions),
                      _args.simple_consumer_options(await_duration))
        self._native: Any = None
        self._closed = False

    async def start(self) -> "AsyncSimpleConsumer":
        if self._native is None:
            self._native = await _submit(_native.SimpleConsumer.start_async, *self._args)
        return self

    def _started(self) -> Any:
        if self._native is None:
            raise _not_started("AsyncSimpleConsumer")
        return self._native

    async def receive(self, max_messages: int = 32, invisible_duration: float = 30.0
                      ) -> List[MessageView]:
        _args.count(max_messages, "max_messages")
        invisible = _args.seconds(invisible_duration, "invisible_duration")
        if self._native is None:
            # Bad arguments are reported before "not started", as by a started consumer.
            _native.SimpleConsumer.check_receive(max_messages, invisible)
        native = self._started()
        return await _submit(native.receive_async, max_messages, invisible)

    async def ack(self, view: MessageView) -> None:
        native = self._started()
        await _submit(native.ack_async, view)

    async def ack_batch(self, views: Sequence[MessageView]) -> List[Optional[Exception]]:
        native = self._started()
        return await _submit(native.ack_batch_async, list(views))

    async def change_invisible_duration(self, view: MessageView, seconds: float) -> None:
        invisible = _args.seconds(seconds, "seconds")
        native = self._started()
        await _submit(native.change_invisible_duration_async, view, invisible)

    @property
    def client_id(self) -> str:
        return self._started().client_id

    async def close(self) -> None:
        if self._native is not None and not self._closed:
            self._closed = True
            await _submit(self._native.close_async)

    async def __aenter__(self) -> "AsyncSimpleConsumer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _not_started(what: str) -> Exception:
    from ._errors import ClosedError
    return ClosedError(f"{what} is not started: await start() or use 'async with'",
                       kind="closed", operation="use")
