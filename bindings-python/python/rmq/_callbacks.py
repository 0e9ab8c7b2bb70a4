"""Wrappers that turn user callbacks into what the native side expects, so that no
exception ever crosses into Rust and every odd answer is logged."""

import logging
from typing import Any, Callable, Optional

from ._types import ConsumeResult, TransactionResolution

_log = logging.getLogger("rmq")

_DECISIONS = {
    TransactionResolution.COMMIT: 0,
    TransactionResolution.ROLLBACK: 1,
    TransactionResolution.UNKNOWN: 2,
}


def listener(fn: Callable[[Any], Any]) -> Callable[[Any], bool]:
    if not callable(fn):
        raise TypeError("listener must be callable: listener(view) -> ConsumeResult")

    def dispatch(view: Any) -> bool:
        try:
            result = fn(view)
        except Exception:
            _log.exception("message listener raised for message %s (topic %s); it counts as "
                           "FAILURE and will be delivered again", view.message_id, view.topic)
            return False
        if result is ConsumeResult.SUCCESS or result is None or result is True:
            return True
        if result is ConsumeResult.FAILURE or result is False:
            return False
        _log.error("message listener returned %r for message %s, not a ConsumeResult; it "
                   "counts as FAILURE", result, view.message_id)
        return False

    return dispatch


def checker(fn: Optional[Callable[[Any], Any]]) -> Optional[Callable[[Any], int]]:
    if fn is None:
        return None
    if not callable(fn):
        raise TypeError("transaction_checker must be callable: "
                        "checker(view) -> TransactionResolution")

    def check(view: Any) -> int:
        try:
            result = fn(view)
        except Exception:
            _log.exception("transaction checker raised for message %s; answered UNKNOWN, the "
                           "broker will ask again", view.message_id)
            return 2
        decided = _DECISIONS.get(result) if isinstance(result, TransactionResolution) else None
        if decided is None:
            _log.error("transaction checker returned %r for message %s, not a "
                       "TransactionResolution; answered UNKNOWN", result, view.message_id)
            return 2
        return decided

    return check
