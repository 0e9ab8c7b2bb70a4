"""Exceptions: one base class, ``RmqError``, and a subclass per core error kind."""

import builtins
from typing import Dict, Optional, Type

__all__ = [
    "RmqError",
    "InvalidArgumentError",
    "BadRequestError",
    "UnauthorizedError",
    "PaymentRequiredError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PayloadEmptyError",
    "TooManyRequestsError",
    "RequestHeaderFieldsTooLargeError",
    "InternalServerError",
    "ProxyTimeoutError",
    "UnsupportedError",
    "TimeoutError",
    "NetworkError",
    "ClosedError",
    "UnexpectedError",
]


class RmqError(Exception):
    """An error from rmq.

    Attributes:
        kind: the core's stable kind name (``"not_found"``, ``"timeout"``, ...).
        code: the server's status code (``apache.rocketmq.v2.Code`` value), when the server
            answered with one; otherwise None.
        operation: what was being done (``"send"``, ``"receive"``, ``"ack"``, ...).
        message: the text, as in ``str(error)``.
        topic: the topic the call was about, when known; otherwise None (read-only).
        group: the consumer group the call was about, when known; otherwise None (read-only).
        endpoint: the server (``"host:port"``) the call went to, when there was one;
            otherwise None (read-only).
    """

    kind = "unexpected"

    def __init__(self, message: str, *, kind: Optional[str] = None, code: Optional[int] = None,
                 operation: str = "", topic: Optional[str] = None, group: Optional[str] = None,
                 endpoint: Optional[str] = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.code = code
        self.operation = operation
        self.message = message
        self._topic = topic
        self._group = group
        self._endpoint = endpoint

    @property
    def topic(self) -> Optional[str]:
        return self._topic

    @property
    def group(self) -> Optional[str]:
        return self._group

    @property
    def endpoint(self) -> Optional[str]:
        return self._endpoint

    def __reduce__(self):  # keeps the keyword attributes through pickling
        return (_rebuild, (type(self), self.message, self.kind, self.code, self.operation,
                           self._topic, self._group, self._endpoint))


def _rebuild(cls, message, kind, code, operation, topic=None, group=None, endpoint=None):
    # The context arguments have defaults, so errors pickled by an older rmq still load.
    return cls(message, kind=kind, code=code, operation=operation, topic=topic, group=group,
               endpoint=endpoint)


class InvalidArgumentError(RmqError, ValueError):
    """The caller passed something invalid; raised before any I/O."""
    kind = "invalid_argument"


class BadRequestError(RmqError):
    """The server refused the request as malformed or illegal (codes 400xx), e.g. an
    expired receipt handle or an illegal topic name."""
    kind = "bad_request"


class UnauthorizedError(RmqError):
    """Authentication or authorization failed (401xx)."""
    kind = "unauthorized"


class PaymentRequiredError(RmqError):
    """Payment required (402xx; reserved by the protocol)."""
    kind = "payment_required"


class ForbiddenError(RmqError):
    """Forbidden, e.g. no readable or writable queue (403xx)."""
    kind = "forbidden"


class NotFoundError(RmqError):
    """Topic, consumer group, message or offset not found (404xx)."""
    kind = "not_found"


class PayloadTooLargeError(RmqError):
    """Message body too large (413xx, or the client's own size check)."""
    kind = "payload_too_large"


class PayloadEmptyError(RmqError):
    """Message body empty."""
    kind = "payload_empty"


class TooManyRequestsError(RmqError):
    """The server is throttling; retry later (429xx)."""
    kind = "too_many_requests"


class RequestHeaderFieldsTooLargeError(RmqError):
    """Message properties too large (431xx)."""
    kind = "request_header_fields_too_large"


class InternalServerError(RmqError):
    """The server failed internally (500xx)."""
    kind = "internal_server"


class ProxyTimeoutError(RmqError):
    """The server timed out talking to its storage (504xx)."""
    kind = "proxy_timeout"


class UnsupportedError(RmqError):
    """The server does not support the request (501xx, 505xx, gRPC UNIMPLEMENTED)."""
    kind = "unsupported"


class TimeoutError(RmqError, builtins.TimeoutError):  # noqa: A001 - the kind's own name
    """No answer within the request timeout."""
    kind = "timeout"


class NetworkError(RmqError, ConnectionError):
    """The connection failed or the server is unreachable."""
    kind = "network"


class ClosedError(RmqError):
    """The client was closed, or was created before a fork() in another process."""
    kind = "closed"


class UnexpectedError(RmqError):
    """Anything else; the message says what."""
    kind = "unexpected"


_BY_KIND: Dict[str, Type[RmqError]] = {
    cls.kind: cls
    for cls in (
        InvalidArgumentError, BadRequestError, UnauthorizedError, PaymentRequiredError,
        ForbiddenError, NotFoundError, PayloadTooLargeError, PayloadEmptyError,
        TooManyRequestsError, RequestHeaderFieldsTooLargeError, InternalServerError,
        ProxyTimeoutError, UnsupportedError, TimeoutError, NetworkError, ClosedError,
        UnexpectedError,
    )
}


def _from_native(message: str, *, kind: str, code: Optional[int], operation: str,
                 topic: Optional[str] = None, group: Optional[str] = None,
                 endpoint: Optional[str] = None) -> RmqError:
    # A kind added to the core before this file learns it is still an RmqError.
    cls = _BY_KIND.get(kind, UnexpectedError)
    return cls(message, kind=kind, code=code, operation=operation, topic=topic, group=group,
               endpoint=endpoint)
