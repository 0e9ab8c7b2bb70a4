"""Invalid arguments raise TypeError / ValueError before any I/O; errors are typed."""

import asyncio
import pickle

import pytest

import rmq


def test_message_checks_its_fields():
    with pytest.raises(TypeError):
        rmq.Message(1, b"x")
    with pytest.raises(TypeError):
        rmq.Message("t", 5)
    with pytest.raises(TypeError):
        rmq.Message("t", b"x", keys="k")
    with pytest.raises(TypeError):
        rmq.Message("t", b"x", properties={"a": 1})
    with pytest.raises(TypeError):
        rmq.Message("t", b"x", delivery_timestamp="tomorrow")
    with pytest.raises(TypeError):
        rmq.Message("t", b"x", priority=True)
    with pytest.raises(ValueError):
        rmq.Message("t", b"")
    with pytest.raises(ValueError):
        rmq.Message("bad topic", b"x")
    with pytest.raises(ValueError):
        rmq.Message("t", b"x", tag="a||b")
    with pytest.raises(ValueError):
        rmq.Message("t", b"x", delivery_timestamp=-1.0)
    # An InvalidArgumentError is both an RmqError and a ValueError.
    with pytest.raises(rmq.InvalidArgumentError) as caught:
        rmq.Message("t", b"")
    assert isinstance(caught.value, ValueError)
    assert caught.value.kind == "invalid_argument"
    assert caught.value.code is None


def test_message_keeps_what_it_was_given():
    from datetime import datetime, timezone
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    m = rmq.Message("t", "héllo", tag="a", keys=["k1", "k2"], properties={"p": "v"},
                    message_group="g")
    assert m.body == "héllo".encode()
    assert (m.topic, m.tag, m.keys, m.properties, m.message_group, m.priority) == (
        "t", "a", ("k1", "k2"), {"p": "v"}, "g", None)
    assert rmq.Message("t", b"x", delivery_timestamp=at).delivery_timestamp == at
    assert rmq.Message("t", b"x", priority=3).priority == 3
    # The protocol has one message type per message.
    with pytest.raises(ValueError):
        rmq.Message("t", b"x", message_group="g", priority=3)
    assert rmq.Message("t", bytearray(b"ab")).body == b"ab"
    assert rmq.Message("t", memoryview(b"cd")).body == b"cd"
    assert rmq.Message("t", b"x", delivery_timestamp=1.5e9).delivery_timestamp.timestamp() == 1.5e9


def test_client_config_checks_its_fields():
    with pytest.raises(TypeError):
        rmq.ClientConfig(42)
    with pytest.raises(ValueError):
        rmq.ClientConfig("127.0.0.1:1", request_timeout=0)
    with pytest.raises(TypeError):
        rmq.ClientConfig("127.0.0.1:1", request_timeout="3")
    with pytest.raises(ValueError):
        rmq.ClientConfig("127.0.0.1:1", tls="maybe")
    with pytest.raises(ValueError):
        rmq.ClientConfig("127.0.0.1:1", access_key="ak")  # the secret is missing
    with pytest.raises(ValueError):
        rmq.ClientConfig("")
    config = rmq.ClientConfig(["127.0.0.1:1", "127.0.0.1:2"], namespace="ns")
    assert config.endpoints == "127.0.0.1:1;127.0.0.1:2"


def test_clients_check_arguments_before_connecting():
    # Nothing listens on port 1: every call below must fail before trying to connect.
    config = rmq.ClientConfig("127.0.0.1:1")
    with pytest.raises(TypeError):
        rmq.Producer("127.0.0.1:1")
    with pytest.raises(TypeError):
        rmq.Producer(config, topics="t")
    with pytest.raises(ValueError):
        rmq.Producer(config, max_attempts=0)
    with pytest.raises(TypeError):
        rmq.Producer(config, transaction_checker=42)
    with pytest.raises(TypeError):
        rmq.SimpleConsumer(config, "g", ["t"])
    with pytest.raises(ValueError):
        rmq.SimpleConsumer(config, "", {"t": "*"})
    with pytest.raises(ValueError):
        rmq.SimpleConsumer(config, "g", {})
    with pytest.raises(TypeError):
        rmq.SimpleConsumer(config, "g", {"t": 5})
    with pytest.raises(TypeError):
        rmq.PushConsumer(config, "g", {"t": "*"}, listener="nope")
    with pytest.raises(ValueError):
        rmq.PushConsumer(config, "g", {"t": "*"}, lambda v: None, consumption_threads=0)
    with pytest.raises(ValueError):
        rmq.FilterExpression.sql(" ")


def test_values_are_checked_by_the_core_with_its_words():
    # Nothing listens on port 1: each value is refused before any I/O, by the core, as an
    # InvalidArgumentError (a ValueError) with the words of client-core/OPTIONS.md.
    config = rmq.ClientConfig("127.0.0.1:1")

    def listener(view):
        return None

    cases = [
        (lambda: rmq.Producer(config, max_attempts=0),
         'option max_attempts must be an integer from 1 to 100, not "0"'),
        (lambda: rmq.Producer(config, max_attempts=2 ** 40), "option max_attempts"),
        (lambda: rmq.Producer(config, max_sends_in_flight=0),
         'option max_sends_in_flight must be an integer from 1 to 65536, not "0"'),
        (lambda: rmq.Producer(config, linger=-1), "option linger"),
        (lambda: rmq.Producer(config, linger=float("nan")), "option linger"),
        (lambda: rmq.SimpleConsumer(config, "g", {"t": "*"}, await_duration=float("inf")),
         "option await_duration"),
        (lambda: rmq.PushConsumer(config, "g", {"t": "*"}, listener, max_cache_bytes=0),
         "option max_cache_bytes"),
        (lambda: rmq.PushConsumer(config, "g", {"t": "*"}, listener, consumption_threads=1025),
         "option consumption_threads"),
        (lambda: rmq.ClientConfig("127.0.0.1:1", request_timeout=0), "option request_timeout"),
        (lambda: rmq.ClientConfig("127.0.0.1:1", tls="trust-all", tls_ca_pem="pem"),
         "tls_ca_pem"),
        (lambda: rmq.SimpleConsumer(config, " ", {"t": "*"}), "consumer group must not be empty"),
        (lambda: rmq.SimpleConsumer(config, "g", {}), "subscribe to at least one topic"),
        (lambda: rmq.SimpleConsumer(config, "g", {"t": ""}), "a tag expression cannot be empty"),
        (lambda: rmq.PushConsumer(config, "g", {}, listener), "subscribe to at least one topic"),
        (lambda: rmq.FilterExpression.tag(" "), "a tag expression cannot be empty"),
        (lambda: rmq.FilterExpression.sql(""), "an SQL expression cannot be empty"),
        (lambda: rmq.Message("t", b"x", delivery_timestamp=float("inf")), "delivery_timestamp"),
    ]
    for make, words in cases:
        with pytest.raises(rmq.InvalidArgumentError) as caught:
            make()
        assert isinstance(caught.value, ValueError)
        assert words in str(caught.value), (words, str(caught.value))


def test_wrong_types_are_type_errors():
    config = rmq.ClientConfig("127.0.0.1:1")
    with pytest.raises(TypeError):
        rmq.Producer(config, max_attempts="3")
    with pytest.raises(TypeError):
        rmq.Producer(config, max_attempts=True)
    with pytest.raises(TypeError):
        rmq.Producer(config, linger="5ms")
    with pytest.raises(TypeError):
        rmq.SimpleConsumer(config, 7, {"t": "*"})
    with pytest.raises(TypeError):
        rmq.SimpleConsumer(config, "g", {"t": "*"}, await_duration=None)
    with pytest.raises(TypeError):
        rmq.PushConsumer(config, "g", {"t": "*"}, lambda v: None, max_cache_messages=1.5)
    with pytest.raises(TypeError):
        rmq.ClientConfig("127.0.0.1:1", tls=1)
    with pytest.raises(TypeError):
        rmq.FilterExpression.tag(5)


def test_async_clients_check_types_when_made_and_values_when_started():
    config = rmq.ClientConfig("127.0.0.1:1")
    with pytest.raises(TypeError):
        rmq.AsyncProducer(config, linger="soon")
    with pytest.raises(TypeError):
        rmq.AsyncSimpleConsumer(config, "g", {"t": "*"}, await_duration="30s")

    async def main():
        producer = rmq.AsyncProducer(config, max_attempts=0)
        with pytest.raises(rmq.InvalidArgumentError, match="option max_attempts"):
            await producer.start()
        consumer = rmq.AsyncSimpleConsumer(config, "", {"t": "*"})
        with pytest.raises(rmq.InvalidArgumentError, match="consumer group must not be empty"):
            await consumer.start()
        # Not started: a bad argument is still reported as such.
        with pytest.raises(rmq.InvalidArgumentError, match="max_messages must be 1 to 32, got 33"):
            await consumer.receive(33)
        with pytest.raises(rmq.InvalidArgumentError, match="invisible_duration"):
            await consumer.receive(1, invisible_duration=-1)
        with pytest.raises(rmq.ClosedError):
            await consumer.receive(1)

    asyncio.run(main())


def test_error_classes_cover_every_kind_and_pickle():
    kinds = {cls.kind for cls in rmq.RmqError.__subclasses__()}
    assert {"invalid_argument", "bad_request", "unauthorized", "forbidden", "not_found",
            "payload_too_large", "too_many_requests", "internal_server", "timeout",
            "network", "closed", "unexpected"} <= kinds
    assert issubclass(rmq.TimeoutError, TimeoutError)
    assert issubclass(rmq.NetworkError, ConnectionError)
    error = rmq.NotFoundError("send failed", kind="not_found", code=40402, operation="send")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.code, again.operation, str(again)) == (
        rmq.NotFoundError, 40402, "send", "send failed")
    assert (again.topic, again.group, again.endpoint) == (None, None, None)
    error = rmq.NotFoundError("receive failed", kind="not_found", code=40402,
                              operation="receive", topic="t", group="g", endpoint="h:1")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.topic, again.group, again.endpoint) == (
        rmq.NotFoundError, "t", "g", "h:1")
    with pytest.raises(AttributeError):
        again.topic = "other"  # read-only
    # A kind the Python side does not know yet still maps to an RmqError.
    assert type(rmq._errors._from_native("x", kind="new_kind", code=None, operation="o")) \
        is rmq.UnexpectedError
