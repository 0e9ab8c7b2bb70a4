"""Type checks and conversions shared by the sync and asyncio classes (TypeError before any
I/O). Values are checked by the core (`client-core/OPTIONS.md`), which refuses a bad one with
``InvalidArgumentError`` (a ``ValueError``) before any I/O, with the same words in every
language."""

from typing import Any, Dict, Iterable, List, Optional

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


def count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    return float(value)


def group(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"group must be a str, not {type(value).__name__}")
    return value


def subscriptions(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError("subscriptions must be a dict of topic to a tag expression "
                        "or FilterExpression")
    return value


# Client options as the core's string keys take them.

def option_count(value: Any, name: str) -> str:
    return str(count(value, name))


def option_seconds(value: Any, name: str) -> str:
    # repr() of a float reads back exactly; the core takes plain seconds ("0.005", "1e-05").
    return repr(seconds(value, name))


def producer_options(topic_names: Iterable[str], max_attempts: Any,
                     linger: Optional[Any], max_sends_in_flight: Any = 1024) -> Dict[str, str]:
    options = {"max_attempts": option_count(max_attempts, "max_attempts"),
               "max_sends_in_flight": option_count(max_sends_in_flight, "max_sends_in_flight")}
    names = topics(topic_names)
    if names:
        options["topics"] = ",".join(names)
    if linger is not None:
        options["linger"] = option_seconds(linger, "linger")
    return options


def simple_consumer_options(await_duration: Any) -> Dict[str, str]:
    return {"await_duration": option_seconds(await_duration, "await_duration")}


def push_consumer_options(max_cache_messages: Any, max_cache_bytes: Any,
                          consumption_threads: Any) -> Dict[str, str]:
    return {
        "max_cache_messages": option_count(max_cache_messages, "max_cache_messages"),
        "max_cache_bytes": option_count(max_cache_bytes, "max_cache_bytes"),
        "consumption_threads": option_count(consumption_threads, "consumption_threads"),
    }
