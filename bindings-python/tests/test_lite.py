"""Lite topics (Apache 5.5): LitePushConsumer and Message.lite_topic against in-process
mini-brokers."""

import threading
import time

import pytest

import rmq
from conftest import wait_for
from rmq.testing import MiniBroker


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []

    def __call__(self, view):
        with self.lock:
            self.seen.append((view.lite_topic, view.body.decode()))
        return rmq.ConsumeResult.SUCCESS

    def of(self, lite):
        with self.lock:
            return [body for (topic, body) in self.seen if topic == lite]


@pytest.fixture()
def broker():
    with MiniBroker(topics={"replies": "LITE"}) as broker:
        yield broker


def send(producer, lite, body):
    producer.send(rmq.Message("replies", body, lite_topic=lite))


def test_each_consumer_gets_only_its_lite_topics_in_order(broker):
    alice, bob = Recorder(), Recorder()
    with rmq.Producer(broker.config(), topics=["replies"]) as producer, \
            rmq.LitePushConsumer(broker.config(), "agents", "replies", alice) as a, \
            rmq.LitePushConsumer(broker.config(), "agents", "replies", bob) as b:
        a.subscribe_lite("session-a")
        b.subscribe_lite("session-b")
        assert a.lite_topics == ["session-a"]
        for i in range(10):
            for lite in ("session-a", "session-b", "session-c"):
                send(producer, lite, f"{lite}-{i}")
        assert wait_for(lambda: len(alice.of("session-a")) == 10 and
                        len(bob.of("session-b")) == 10)
        assert alice.of("session-a") == [f"session-a-{i}" for i in range(10)]
        assert bob.of("session-b") == [f"session-b-{i}" for i in range(10)]
        assert len(alice.seen) == 10 and len(bob.seen) == 10
        a.unsubscribe_lite("session-a")
        a.subscribe_lite("session-d")
        send(producer, "session-a", "late")
        send(producer, "session-d", "d")
        assert wait_for(lambda: alice.of("session-d") == ["d"])
        assert len(alice.of("session-a")) == 10


def test_an_offset_option_reads_the_backlog(broker):
    seen = Recorder()
    with rmq.Producer(broker.config(), topics=["replies"]) as producer:
        for i in range(3):
            send(producer, "backlog", f"old-{i}")
        with rmq.LitePushConsumer(broker.config(), "readers", "replies", seen) as consumer:
            consumer.subscribe_lite("backlog", rmq.OffsetOption.MIN)
            assert wait_for(lambda: seen.of("backlog") == ["old-0", "old-1", "old-2"])


def test_bad_lite_arguments_are_refused_before_any_io(broker):
    with pytest.raises(rmq.InvalidArgumentError):
        rmq.Message("replies", b"x", lite_topic="bad name!")
    with pytest.raises(rmq.InvalidArgumentError):
        rmq.Message("replies", b"x", lite_topic="l", message_group="g")
    with pytest.raises(TypeError):
        rmq.Message("replies", b"x", lite_topic=5)
    with pytest.raises(ValueError):
        rmq.OffsetOption.tail_n(-1)
    with rmq.LitePushConsumer(broker.config(), "agents", "replies", Recorder()) as consumer:
        with pytest.raises(rmq.InvalidArgumentError):
            consumer.subscribe_lite("x" * 65)
        with pytest.raises(TypeError):
            consumer.subscribe_lite("ok", offset="min")
        assert consumer.lite_topics == []
    assert rmq.Message("replies", b"x", lite_topic="ok").lite_topic == "ok"


def test_declared_lite_groups_and_the_regular_group_refusal():
    groups = {"plain": {}, "agents": {"lite_topic": "replies"}}
    with MiniBroker(topics={"replies": "LITE"}, groups=groups, strict=True) as broker:
        with pytest.raises(rmq.RmqError, match="regular group cannot use LITE mode"):
            rmq.LitePushConsumer(broker.config(), "plain", "replies", Recorder())
        seen = Recorder()
        with rmq.Producer(broker.config(), topics=["replies"]) as producer, \
                rmq.LitePushConsumer(broker.config(), "agents", "replies", seen) as consumer:
            consumer.subscribe_lite("s1")
            send(producer, "s1", "hello")
            assert wait_for(lambda: seen.of("s1") == ["hello"])
    with pytest.raises(TypeError):
        MiniBroker(groups={"g": {"lite_topic": 3}})


def receive(consumer, max_messages, want):
    got = []
    deadline = time.monotonic() + 20
    while len(got) < want and time.monotonic() < deadline:
        got.extend(consumer.receive(max_messages, 30))
    return got


def test_a_lite_simple_consumer_reads_its_lite_topics_one_batch_at_a_time(broker):
    with rmq.Producer(broker.config(), topics=["replies"]) as producer, \
            rmq.LiteSimpleConsumer(broker.config(), "readers", "replies",
                                   await_duration=1.0) as consumer:
        assert isinstance(consumer, rmq.SimpleConsumer)
        consumer.subscribe_lite("a")
        assert consumer.lite_topics == ["a"]
        for i in range(3):
            send(producer, "a", f"a-{i}")
            send(producer, "b", f"b-{i}")
        first = receive(consumer, 2, 2)
        assert [v.body for v in first] == [b"a-0", b"a-1"]
        assert {v.lite_topic for v in first} == {"a"}
        handle = first[1].receipt_handle
        consumer.change_invisible_duration(first[1], 30)
        assert first[1].receipt_handle != handle
        consumer.ack(first[0])
        consumer.ack(first[1])
        rest = receive(consumer, 32, 1)
        assert [v.body for v in rest] == [b"a-2"]
        assert consumer.ack_batch(rest) == [None]
        consumer.unsubscribe_lite("a")
        consumer.subscribe_lite("b", rmq.OffsetOption.MIN)
        assert [v.body for v in receive(consumer, 32, 3)] == [b"b-0", b"b-1", b"b-2"]
        assert consumer.lite_topics == ["b"]
        with pytest.raises(rmq.InvalidArgumentError):
            consumer.subscribe_lite("bad name!")
        with pytest.raises(TypeError):
            consumer.subscribe_lite("ok", offset=0)
    with pytest.raises(rmq.ClosedError):
        consumer.receive(1, 30)
    with pytest.raises(TypeError):
        rmq.LiteSimpleConsumer(broker.config(), "readers", 5)


def test_a_lite_simple_consumer_needs_a_lite_group():
    groups = {"plain": {}, "agents": {"lite_topic": "replies"}}
    with MiniBroker(topics={"replies": "LITE"}, groups=groups, strict=True) as broker:
        with pytest.raises(rmq.RmqError, match="regular group cannot use LITE mode"):
            rmq.LiteSimpleConsumer(broker.config(), "plain", "replies")
        with pytest.raises(rmq.RmqError, match="must use LITE mode"):
            rmq.SimpleConsumer(broker.config(), "agents", {"replies": "*"})
