from typing import Any, Callable

from . import _args, _callbacks, _native
from ._config import ClientConfig
from ._lifecycle import live as _live
from ._lite import _LiteSubscriber
from ._push_consumer import PushConsumer

__all__ = ["LitePushConsumer"]


class LitePushConsumer(_LiteSubscriber, PushConsumer):
    """A push consumer of lite topics (Apache RocketMQ 5.5, RIP-83): lightweight ordered
    sub-topics of one LITE parent ``topic``, e.g. one reply channel per session. It receives
    only the lite topics it subscribed with ``subscribe_lite``, each in order (different lite
    topics side by side), and calls ``listener(view)`` as ``PushConsumer`` does
    (``view.lite_topic`` names the lite topic).

    ``group`` must be a lite group bound to ``topic`` (on Apache: ``updateSubGroup
    --attributes +lite.bind.topic=TOPIC``; the mini-broker creates one on first use unless
    strict). Options as for ``PushConsumer``.
    """

    def __init__(self, config: ClientConfig, group: str, topic: str,
                 listener: Callable[[Any], Any], *,
                 max_cache_messages: int = _args.DEFAULT_MAX_CACHE_MESSAGES,
                 max_cache_bytes: int = _args.DEFAULT_MAX_CACHE_BYTES,
                 consumption_threads: int = _args.DEFAULT_CONSUMPTION_THREADS) -> None:
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        self._native = _native.LitePushConsumer.start(  # type: ignore[assignment]
            _args.config(config), _args.group(group), topic, _callbacks.listener(listener),
            _args.push_consumer_options(max_cache_messages, max_cache_bytes,
                                        consumption_threads))
        self._lite = self._native
        self._closed = False
        _live.add(self)

    def __enter__(self) -> "LitePushConsumer":
        return self
