"""An in-process RocketMQ 5 broker for tests: ``MiniBroker`` starts in about a millisecond
on a free port and speaks the same gRPC protocol as Apache RocketMQ's proxy, so rmq and the
official clients can run against it. The ``rmq_broker`` pytest fixture gives one per test."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _args, _native
from ._config import ClientConfig

__all__ = ["MiniBroker", "MiniCluster"]

_GROUP_KEYS = {"fifo", "max_attempts", "retry_delays", "lite_topic"}


# The broker's settings are not client options, so this test helper checks their values
# itself.

def _count(value: Any, name: str) -> int:
    value = _args.count(value, name)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _seconds(value: Any, name: str, *, allow_zero: bool = False) -> float:
    value = _args.seconds(value, name)
    if value != value or value in (float("inf"), float("-inf")) or value < 0 or (
            value == 0 and not allow_zero):
        least = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {least} number of seconds, got {value!r}")
    return value


def _topics(topics: Optional[Mapping[str, str]]) -> List[Tuple[str, str]]:
    if topics is None:
        return []
    if not isinstance(topics, Mapping):
        raise TypeError("topics must be a dict of name to a type such as 'NORMAL', 'FIFO' or "
                        "'LITE'")
    out = []
    for name, kind in topics.items():
        if not isinstance(name, str) or not isinstance(kind, str):
            raise TypeError("topics must map str names to str types")
        # The type is the core's to check (it names the types it knows).
        out.append((name, kind))
    return out


_GroupSpec = Tuple[str, bool, int, List[float], Optional[str]]


def _group(name: str, spec: Optional[Mapping[str, Any]]) -> _GroupSpec:
    if not isinstance(name, str):
        raise TypeError("group names must be str")
    spec = spec or {}
    if not isinstance(spec, Mapping):
        raise TypeError(f"group {name!r}: settings must be a dict such as "
                        "{'fifo': True, 'max_attempts': 3}")
    unknown = set(spec) - _GROUP_KEYS
    if unknown:
        raise ValueError(f"group {name!r}: unknown settings {sorted(unknown)} "
                         f"(known: {sorted(_GROUP_KEYS)})")
    fifo = spec.get("fifo", False)
    if not isinstance(fifo, bool):
        raise TypeError(f"group {name!r}: fifo must be a bool")
    attempts = spec.get("max_attempts")
    attempts = 0 if attempts is None else _count(attempts, "max_attempts")
    delays = [_seconds(d, "each retry delay", allow_zero=True)
              for d in spec.get("retry_delays", ())]
    lite = spec.get("lite_topic")
    if lite is not None and not isinstance(lite, str):
        raise TypeError(f"group {name!r}: lite_topic must be a str (the parent topic)")
    return (name, fifo, attempts, delays, lite)


def _broker_args(topics: Optional[Mapping[str, str]],
                 groups: Optional[Mapping[str, Optional[Mapping[str, Any]]]],
                 data_dir: Union[str, "os.PathLike[str]", None], virtual_clock: bool,
                 strict: bool, transaction_check_delay: float, transaction_check_interval: float,
                 credentials: Optional[Mapping[str, str]], admin: bool,
                 retention: Optional[float], snapshot_every: Optional[int],
                 tls_cert: Union[str, "os.PathLike[str]", None],
                 tls_key: Union[str, "os.PathLike[str]", None],
                 tls_only: bool) -> Tuple[Any, ...]:
    """One broker's settings, checked, in the order the native start functions take them."""
    tls_files = None
    if tls_cert is not None and tls_key is not None:
        tls_files = (os.fspath(tls_cert), os.fspath(tls_key))
    elif tls_cert is not None or tls_key is not None:
        raise ValueError("tls_cert and tls_key go together")
    if groups is not None and not isinstance(groups, Mapping):
        raise TypeError("groups must be a dict of name to settings")
    group_specs = [_group(name, spec) for name, spec in (groups or {}).items()]
    creds = list((credentials or {}).items())
    for ak, sk in creds:
        if not isinstance(ak, str) or not isinstance(sk, str):
            raise TypeError("credentials must map str access keys to str secret keys")
    return (_topics(topics), group_specs, None if data_dir is None else os.fspath(data_dir),
            bool(virtual_clock), bool(strict),
            _seconds(transaction_check_delay, "transaction_check_delay"),
            _seconds(transaction_check_interval, "transaction_check_interval"), creds,
            bool(admin),
            None if retention is None else _seconds(retention, "retention", allow_zero=True),
            None if snapshot_every is None else _count(snapshot_every, "snapshot_every"),
            tls_files, bool(tls_only))


class MiniBroker:
    """rmq's mini-broker, in this process, on ``127.0.0.1`` and a free port.

    Args:
        topics: name to ``"NORMAL"``, ``"FIFO"``, ``"DELAY"``, ``"TRANSACTION"``,
            ``"PRIORITY"`` or ``"LITE"``. Topics not declared are created on first use
            accepting every type, unless ``strict``.
        groups: name to settings: ``fifo`` (bool, default False), ``max_attempts``
            (deliveries before the dead-letter queue, default 17), ``retry_delays`` (seconds
            before each redelivery to push consumers, default Apache's 1 s, 5 s, 10 s, ...),
            ``lite_topic`` (makes it a lite group of that LITE parent topic). Groups not
            declared are created on first use as non-FIFO groups (a lite consumer's as a lite
            group of its topic, unless ``strict``).
        data_dir: keep everything on disk there and recover it at start (default: memory).
        virtual_clock: time moves only with ``advance()`` (redeliveries, scheduled messages,
            transaction checks), so tests of time need not sleep.
        transaction_check_delay / transaction_check_interval: seconds before the first and
            between later checks of an undecided transaction (default 1.0 each).
        strict: refuse undeclared topics with ``TOPIC_NOT_FOUND``, like a production proxy.
        credentials: access key to secret key; requests must then be signed.
        admin: also serve the admin facade (RocketMQ remoting, what ``mqadmin`` and Java's
            ``DefaultMQAdminExt`` speak) on a free port; ``admin_endpoint`` gives it.
        retention: seconds a message every group has consumed is kept (default one hour);
            ``None`` keeps every message. Unconsumed messages are always kept.
        snapshot_every: with ``data_dir``, journal entries between snapshots of the whole state
            (default 100000; also at close), after which the covered journal is deleted;
            ``None`` keeps the whole journal.
        tls_cert / tls_key: PEM certificate chain and private key files to serve TLS with
            (default: a self-signed certificate for ``localhost`` and ``127.0.0.1``).
        tls_only: close cleartext connections, as an Apache proxy with
            ``tlsMode=enforcing`` (default: TLS and cleartext share the port).
    """

    def __init__(self, *, topics: Optional[Mapping[str, str]] = None,
                 groups: Optional[Mapping[str, Optional[Mapping[str, Any]]]] = None,
                 data_dir: Union[str, "os.PathLike[str]", None] = None,
                 virtual_clock: bool = False, transaction_check_delay: float = 1.0,
                 transaction_check_interval: float = 1.0, strict: bool = False,
                 credentials: Optional[Mapping[str, str]] = None, admin: bool = False,
                 retention: Optional[float] = 3600.0,
                 snapshot_every: Optional[int] = 100_000,
                 tls_cert: Union[str, "os.PathLike[str]", None] = None,
                 tls_key: Union[str, "os.PathLike[str]", None] = None,
                 tls_only: bool = False) -> None:
        self._native = _native.MiniBroker.start(*_broker_args(
            topics, groups, data_dir, virtual_clock, strict, transaction_check_delay,
            transaction_check_interval, credentials, admin, retention, snapshot_every,
            tls_cert, tls_key, tls_only))

    @property
    def endpoint(self) -> str:
        """``"127.0.0.1:port"``, for ``ClientConfig(endpoints=...)``."""
        return self._native.endpoint

    @property
    def admin_endpoint(self) -> Optional[str]:
        """``"127.0.0.1:port"`` of the admin facade, to give Apache's tools as their name
        server (``mqadmin ... -n``); ``None`` unless started with ``admin=True``."""
        return self._native.admin_endpoint

    @property
    def tls_certificate_pem(self) -> str:
        """The PEM certificate the broker presents to TLS clients (unless ``tls_cert`` was
        given, self-signed for ``localhost`` and ``127.0.0.1``)."""
        return self._native.tls_certificate_pem

    def config(self, **kwargs: Any) -> ClientConfig:
        """A ``ClientConfig`` for this broker (keyword arguments as ``ClientConfig``'s)."""
        return ClientConfig(self.endpoint, **kwargs)

    def advance(self, seconds: float) -> None:
        """Moves the virtual clock forward and fires what became due. Needs
        ``virtual_clock=True``."""
        if not self._native.advance(_seconds(seconds, "seconds", allow_zero=True)):
            raise RuntimeError("advance() needs MiniBroker(virtual_clock=True)")

    def create_topic(self, name: str, kind: str = "NORMAL") -> None:
        ((name, kind),) = _topics({name: kind})
        self._native.create_topic(name, kind)

    def create_group(self, name: str, **settings: Any) -> None:
        self._native.create_group(_group(name, settings))

    def messages(self, topic: str) -> List[Tuple[str, bytes]]:
        """``(message_id, body)`` of every message stored in ``topic`` (scheduled ones once
        due, transactional ones once committed)."""
        return self._native.messages(topic)

    def dead_letters(self, group: str) -> List[Tuple[str, bytes]]:
        """``(message_id, body)`` of every message in the group's dead-letter queue."""
        return self._native.dead_letters(group)

    def rpc_calls(self, rpc: str) -> int:
        """How many calls of ``rpc`` (e.g. ``"AckMessage"``) the broker received."""
        return self._native.rpc_calls(rpc)

    def fail_rpc(self, rpc: str, code: str, times: Optional[int] = None) -> None:
        """Makes ``rpc`` answer with status ``code`` (e.g. ``"TOO_MANY_REQUESTS"``) for the
        next ``times`` calls, or until ``clear_faults()``."""
        self._native.fail_rpc(rpc, code, times)

    def push_rpc_errors(self, rpc: str, codes: Sequence[str]) -> None:
        """Makes the coming calls of ``rpc`` answer with ``codes`` (status names such as
        ``"TOO_MANY_REQUESTS"``), one per call in order. An unknown RPC or code raises
        ``ValueError``."""
        self._native.push_rpc_errors(rpc, list(codes))

    def clear_faults(self) -> None:
        self._native.clear_faults()

    def close(self) -> None:
        """Stops serving. Idempotent."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __enter__(self) -> "MiniBroker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MiniBroker(endpoint={self.endpoint!r}{', closed' if self.closed else ''})"


def _index(value: Any, name: str = "broker") -> int:
    value = _args.count(value, name)
    if value < 0:
        raise ValueError(f"{name} must be a broker index (0, 1, ...), got {value}")
    return value


class MiniCluster:
    """Several mini-brokers in this process that answer as one cluster: a route asked of any
    of them lists the queues of all, each under its broker's name (``broker-0``, ...) and
    address, as Apache proxies in local mode do. For tests of what a real cluster does to
    clients: one broker down, one slow.

    Args:
        brokers: how many (default 3).
        Other arguments as ``MiniBroker``'s, applied to every broker (with ``data_dir``,
        broker ``i`` keeps its journal in ``data_dir/broker-i``).
    """

    def __init__(self, brokers: int = 3, *, topics: Optional[Mapping[str, str]] = None,
                 groups: Optional[Mapping[str, Optional[Mapping[str, Any]]]] = None,
                 data_dir: Union[str, "os.PathLike[str]", None] = None,
                 virtual_clock: bool = False, transaction_check_delay: float = 1.0,
                 transaction_check_interval: float = 1.0, strict: bool = False,
                 credentials: Optional[Mapping[str, str]] = None, admin: bool = False,
                 retention: Optional[float] = 3600.0,
                 snapshot_every: Optional[int] = 100_000,
                 tls_cert: Union[str, "os.PathLike[str]", None] = None,
                 tls_key: Union[str, "os.PathLike[str]", None] = None,
                 tls_only: bool = False) -> None:
        self._native = _native.MiniCluster.start(_count(brokers, "brokers"), *_broker_args(
            topics, groups, data_dir, virtual_clock, strict, transaction_check_delay,
            transaction_check_interval, credentials, admin, retention, snapshot_every,
            tls_cert, tls_key, tls_only))

    @property
    def endpoints(self) -> str:
        """Every broker's ``host:port`` joined with ``;``, for ``ClientConfig``."""
        return ";".join(self._native.endpoints)

    @property
    def admin_endpoint(self) -> Optional[str]:
        """The admin facade's ``host:port`` (any broker's lists the whole cluster); ``None``
        unless started with ``admin=True``."""
        return self._native.admin_endpoint

    def endpoint(self, broker: int) -> str:
        """Broker ``broker``'s own ``host:port``."""
        return self._native.endpoints[_index(broker)]

    def config(self, **kwargs: Any) -> ClientConfig:
        """A ``ClientConfig`` listing every broker (keyword arguments as ``ClientConfig``'s)."""
        return ClientConfig(self.endpoints, **kwargs)

    def broker_down(self, broker: int) -> None:
        """Takes a broker off the network with its state kept: its port refuses connections
        and its open connections (streams, long polls) are cut. Routes still list it."""
        self._native.broker_down(_index(broker))

    def broker_up(self, broker: int) -> None:
        """Brings a broker back on its port."""
        self._native.broker_up(_index(broker))

    def set_listed(self, broker: int, listed: bool) -> None:
        """Stops (``False``) or resumes listing a broker in the routes and assignments every
        broker answers, while it keeps serving: a proxy whose route dropped a broker."""
        if not isinstance(listed, bool):
            raise TypeError(f"listed must be a bool, not {type(listed).__name__}")
        self._native.set_listed(_index(broker), listed)

    def set_latency(self, broker: int, seconds: float) -> None:
        """Adds ``seconds`` to every call the broker serves; 0 removes it."""
        self._native.set_latency(_index(broker), _seconds(seconds, "latency", allow_zero=True))

    def messages(self, topic: str, broker: Optional[int] = None) -> List[Tuple[str, bytes]]:
        """``(message_id, body)`` of the messages stored in ``topic``, on one broker or on
        all (broker after broker)."""
        return self._native.messages(topic, None if broker is None else _index(broker))

    def rpc_calls(self, rpc: str, broker: Optional[int] = None) -> int:
        """Calls of ``rpc`` received by one broker, or by all together."""
        return self._native.rpc_calls(rpc, None if broker is None else _index(broker))

    def fail_rpc(self, rpc: str, code: str, times: Optional[int] = None,
                 broker: Optional[int] = None) -> None:
        """As ``MiniBroker.fail_rpc``, on one broker or on each."""
        self._native.fail_rpc(rpc, code, times, None if broker is None else _index(broker))

    def clear_faults(self) -> None:
        """Removes every injected fault and latency."""
        self._native.clear_faults()

    def create_topic(self, name: str, kind: str = "NORMAL") -> None:
        ((name, kind),) = _topics({name: kind})
        self._native.create_topic(name, kind)

    def create_group(self, name: str, **settings: Any) -> None:
        self._native.create_group(_group(name, settings))

    def advance(self, seconds: float) -> None:
        """Moves every broker's virtual clock. Needs ``virtual_clock=True``."""
        if not self._native.advance(_seconds(seconds, "seconds", allow_zero=True)):
            raise RuntimeError("advance() needs MiniCluster(virtual_clock=True)")

    def close(self) -> None:
        """Stops every broker. Idempotent."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __enter__(self) -> "MiniCluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MiniCluster(endpoints={self.endpoints!r}{', closed' if self.closed else ''})"
