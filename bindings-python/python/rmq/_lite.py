from datetime import datetime
from typing import Any, List, Optional, Tuple, Union

from . import _args

__all__ = ["OffsetOption"]


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


class _LiteSubscriber:
    """``subscribe_lite``, ``unsubscribe_lite`` and ``lite_topics`` of both lite consumers,
    over the native consumer in ``_lite``."""

    _lite: Any

    def subscribe_lite(self, lite_topic: str, offset: Optional[OffsetOption] = None) -> None:
        """Subscribes ``lite_topic`` (1 to 64 of ``[A-Za-z0-9_-]``) on every broker of the
        topic, from ``offset`` (default: where the group left it; a lite topic new to the
        group starts at its end); subscribing one already held does nothing. Raises
        ``RmqError`` with status 42902 over the group's quota."""
        if not isinstance(lite_topic, str):
            raise TypeError("lite_topic must be a str")
        if offset is not None and not isinstance(offset, OffsetOption):
            raise TypeError("offset must be an rmq.OffsetOption")
        self._lite.subscribe_lite(lite_topic, None if offset is None else offset._spec)

    def unsubscribe_lite(self, lite_topic: str) -> None:
        """Stops receiving ``lite_topic`` (messages already received can still be settled)."""
        if not isinstance(lite_topic, str):
            raise TypeError("lite_topic must be a str")
        self._lite.unsubscribe_lite(lite_topic)

    @property
    def lite_topics(self) -> List[str]:
        """The lite topics subscribed now, in name order."""
        return self._lite.lite_topics
