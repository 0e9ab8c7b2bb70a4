from datetime import datetime
from typing import Any, Callable, List, Optional, Tuple, Union

from . import _args, _callbacks, _native
from ._config import ClientConfig
from ._lifecycle import live as _live
from ._push_consumer import PushConsumer

__all__ = ["LitePushConsumer", "OffsetOption"]


def _not_negative(n: Any, name: str) -> int:
    if _args.count(n, name) < 0:
        raise ValueError(f"{name} must be 0 or more")
    return n


class OffsetOption:
    """Where a new lite subscription starts reading: ``OffsetOption.LAST`` (the group's last
    position; a lite topic new to the group starts at its end, the default), ``MIN`` (the
    oldest message kept), ``MAX`` (only what arrives from now on), ``offset(n)``,
    ``tail_n(n)`` (n messages before the group's last position) or ``timestamp(at)`` (an
    aware datetime or epoch seconds; Apache 5.5.0 ignores it)."""

    LAST: "OffsetOption"
    MIN: "OffsetOption"
    MAX: "OffsetOption"

    def __init__(self, kind: str, value: int = 0) -> None:
        self._spec: Tuple[str, int] = (kind, value)

    @staticmethod
    def offset(n: int) -> "OffsetOption":
        return OffsetOption("offset", _not_negative(n, "offset"))

    @staticmethod
    def tail_n(n: int) -> "OffsetOption":
        return OffsetOption("tail_n", _not_negative(n, "tail_n"))

    @staticmethod
    def timestamp(at: Union[datetime, float]) -> "OffsetOption":
        seconds = at.timestamp() if isinstance(at, datetime) else at
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError("timestamp wants an aware datetime or epoch seconds")
        return OffsetOption("timestamp_ms", int(seconds * 1000))

    def __repr__(self) -> str:
        kind, value = self._spec
        return f"OffsetOption({kind}={value})" if kind not in ("last", "min", "max") \
            else f"OffsetOption.{kind.upper()}"


OffsetOption.LAST = OffsetOption("last")
OffsetOption.MIN = OffsetOption("min")
OffsetOption.MAX = OffsetOption("max")


class LitePushConsumer(PushConsumer):
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
        self._closed = False
        _live.add(self)

    def subscribe_lite(self, lite_topic: str, offset: Optional[OffsetOption] = None) -> None:
        """Subscribes ``lite_topic`` (1 to 64 of ``[A-Za-z0-9_-]``) on every broker of the
        topic; subscribing one already held does nothing. Raises ``RmqError`` with status
        42902 over the group's quota."""
        if not isinstance(lite_topic, str):
            raise TypeError("lite_topic must be a str")
        if offset is not None and not isinstance(offset, OffsetOption):
            raise TypeError("offset must be an rmq.OffsetOption")
        self._native.subscribe_lite(lite_topic, None if offset is None else offset._spec)

    def unsubscribe_lite(self, lite_topic: str) -> None:
        """Stops receiving ``lite_topic`` (messages already received are still consumed)."""
        if not isinstance(lite_topic, str):
            raise TypeError("lite_topic must be a str")
        self._native.unsubscribe_lite(lite_topic)

    @property
    def lite_topics(self) -> List[str]:
        """The lite topics subscribed now, in name order."""
        return self._native.lite_topics

    def __enter__(self) -> "LitePushConsumer":
        return self
