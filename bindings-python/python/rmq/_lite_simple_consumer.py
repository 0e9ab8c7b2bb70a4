from . import _args, _native
from ._config import ClientConfig
from ._lite import _LiteSubscriber
from ._simple_consumer import SimpleConsumer

__all__ = ["LiteSimpleConsumer"]


class LiteSimpleConsumer(_LiteSubscriber, SimpleConsumer):
    """A simple consumer of lite topics (RIP-83) under one LITE parent ``topic``: it receives
    only the lite topics it subscribed with ``subscribe_lite`` and settles them as
    ``SimpleConsumer`` does (``receive``, ``ack``, ``ack_batch``,
    ``change_invisible_duration``; ``view.lite_topic`` names the lite topic). The broker keeps
    one batch in flight per lite topic, so a lite topic's next messages come once the batch
    before them is acked (or its invisible time runs out): each lite topic is read in order.

    ``group`` must be a lite group bound to ``topic``. Apache serves this consumer from 5.5.1;
    the mini-broker serves it.
    """

    def __init__(self, config: ClientConfig, group: str, topic: str, *,
                 await_duration: float = 30.0) -> None:
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        self._lite = _native.LiteSimpleConsumer.start(
            _args.config(config), _args.group(group), topic,
            _args.simple_consumer_options(await_duration))
        self._native = self._lite.simple()
        self._closed = False

    def __enter__(self) -> "LiteSimpleConsumer":
        return self
