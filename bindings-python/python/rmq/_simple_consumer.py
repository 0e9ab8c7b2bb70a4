from typing import Any, Dict, List, Optional, Sequence, Union

from . import _args, _native
from ._config import ClientConfig

__all__ = ["SimpleConsumer"]

MessageView = _native.MessageView
FilterExpression = _native.FilterExpression
Subscriptions = Dict[str, Union[str, FilterExpression]]


class SimpleConsumer:
    """Receives messages when asked, and acks each one.

    Args:
        config: the client configuration.
        group: the consumer group.
        subscriptions: topic to a tag expression (``"*"``, ``"a||b"``) or a
            ``FilterExpression.tag(...)`` / ``FilterExpression.sql(...)``.
        await_duration: seconds a receive waits for messages to arrive (default 30.0; the
            server may cap it).

    Starting fetches routes (a missing topic raises ``NotFoundError``). All methods release
    the GIL while they wait.
    """

    def __init__(self, config: ClientConfig, group: str, subscriptions: Subscriptions, *,
                 await_duration: float = 30.0) -> None:
        self._native = _native.SimpleConsumer.start(
            _args.config(config), _args.group(group), _args.subscriptions(subscriptions),
            _args.simple_consumer_options(await_duration))
        self._closed = False

    def receive(self, max_messages: int = 32, invisible_duration: float = 30.0
                ) -> List[MessageView]:
        """Up to ``max_messages`` (1 to 32), hidden from the group for ``invisible_duration``
        seconds; ack each before then or it is delivered again. An empty list means nothing
        arrived within ``await_duration``."""
        return self._native.receive(_args.count(max_messages, "max_messages"),
                                    _args.seconds(invisible_duration, "invisible_duration"))

    def ack(self, view: MessageView) -> None:
        """Acknowledges a message: consumed for the group."""
        self._native.ack(view)

    def ack_batch(self, views: Sequence[MessageView]) -> List[Optional[Exception]]:
        """Acknowledges several messages with one request per broker and topic; returns, in
        order, None for each acked message or the ``RmqError`` of one that was not."""
        return self._native.ack_batch(list(views))

    def change_invisible_duration(self, view: MessageView, seconds: float) -> None:
        """Hides the message for ``seconds`` from now. ``view`` takes the new receipt handle,
        so ack the same object afterwards."""
        self._native.change_invisible_duration(view, _args.seconds(seconds, "seconds"))

    @property
    def client_id(self) -> str:
        return self._native.client_id

    def close(self) -> None:
        """Stops the consumer. Idempotent."""
        if not self._closed:
            self._closed = True
            self._native.close()

    def __enter__(self) -> "SimpleConsumer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
