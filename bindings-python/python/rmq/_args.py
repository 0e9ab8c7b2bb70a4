"""Argument checks shared by the sync and asyncio classes (TypeError / ValueError before
any I/O)."""

from typing import Any, Iterable, List, Optional

DEFAULT_MAX_CACHE_MESSAGES = 4096
DEFAULT_MAX_CACHE_BYTES = 64 * 1024 * 1024
DEFAULT_CONSUMPTION_THREADS = 20


def config(value: Any) -> Any:
    from ._config import ClientConfig  # _config uses the checks below

    if not isinstance(value, ClientConfig):
        raise TypeError(f"config must be a ClientConfig, not {type(value).__name__}")
    return value._native


def topics(value: Iterable[str]) -> List[str]:
    if isinstance(value, str):
        raise TypeError("topics must be a sequence of str, not a str (use topics=[\"t\"])")
    out = list(value)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"each topic must be a str, not {type(t).__name__}")
    return out


def count(value: Any, name: str, low: int = 1, high: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def seconds(value: Any, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")) or value < 0 or (
            value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return value


def optional_seconds(value: Any, name: str) -> Optional[float]:
    return None if value is None else seconds(value, name, allow_zero=True)


def group(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"group must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError("group must not be empty")
    return value


def subscriptions(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError("subscriptions must be a dict of topic to a tag expression "
                        "or FilterExpression")
    if not value:
        raise ValueError("subscriptions must name at least one topic")
    return value
