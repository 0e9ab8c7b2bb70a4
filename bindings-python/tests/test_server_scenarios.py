"""Scenarios that run against any RocketMQ 5 server: a real Apache RocketMQ when
``RMQ_PY_SERVER_ENDPOINT`` names one (the test command does that with the Apache server it
starts), otherwise an in-process strict mini-broker with the same topics and groups.

The server must have the topics of ``TOPICS`` and the FIFO group ``py-fifo``. Scenarios
share it, so each uses run-unique tags and groups.
"""

import asyncio
import os
import threading
import time
import uuid

import pytest

import rmq
from conftest import receive_n

TOPICS = {"sc-normal": "NORMAL", "sc-fifo": "FIFO", "sc-delay": "DELAY",
          "sc-tx": "TRANSACTION"}
FIFO_GROUP = "py-fifo"
RUN = uuid.uuid4().hex[:8]
# A receive waits this long on one broker before the next receive asks the next broker (a
# cluster has several), so the scenarios' deadlines cover several receives.
AWAIT = 5.0


@pytest.fixture(scope="module")
def server():
    endpoint = os.environ.get("RMQ_PY_SERVER_ENDPOINT")
    if endpoint:
        yield rmq.ClientConfig(endpoint, request_timeout=5.0)
        return
    from rmq.testing import MiniBroker
    with MiniBroker(topics=TOPICS, groups={FIFO_GROUP: {"fifo": True}}, strict=True) as broker:
        yield broker.config()


def simple_consumer(server, group, subscriptions):
    return rmq.SimpleConsumer(server, group, subscriptions, await_duration=AWAIT)


def unique(what: str) -> str:
    return f"py-{what}-{RUN}-{uuid.uuid4().hex[:6]}"


def test_message_fields_and_filters(server):
    tag, other = unique("tag"), unique("other")
    with rmq.Producer(server, topics=["sc-normal"]) as producer:
        sent = producer.send(rmq.Message("sc-normal", b"fields", tag=tag, keys=["k1", "k2"],
                                         properties={"n": "1", "region": "eu"}))
        producer.send(rmq.Message("sc-normal", b"big n", tag=other, properties={"n": "7"}))
    with simple_consumer(server, unique("g"), {"sc-normal": tag}) as consumer:
        (view,) = receive_n(consumer, 1)
        assert view.message_id == sent.message_id
        assert (view.body, view.tag, view.keys) == (b"fields", tag, ("k1", "k2"))
        assert view.properties["region"] == "eu" and view.delivery_attempt == 1
        assert view.born_host and view.born_timestamp is not None
        consumer.ack(view)
    sql = rmq.FilterExpression.sql(f"TAGS IN ('{tag}', '{other}') AND n > 3")
    with simple_consumer(server, unique("g"), {"sc-normal": sql}) as consumer:
        views = receive_n(consumer, 1)
        assert [v.body for v in views] == [b"big n"]
        assert consumer.ack_batch(views) == [None]


def test_batch_arrives_as_separate_messages(server):
    tag = unique("tag")
    with rmq.Producer(server, topics=["sc-normal"]) as producer:
        receipts = producer.send_batch([rmq.Message("sc-normal", b"b%d" % i, tag=tag)
                                        for i in range(5)])
    assert len(receipts) == 5
    with simple_consumer(server, unique("g"), {"sc-normal": tag}) as consumer:
        views = receive_n(consumer, 5)
        # Bodies only: a local-mode Apache proxy gives every message of a batch the first
        # message's id and keys (interop/FIDELITY.md).
        assert sorted(v.body for v in views) == [b"b0", b"b1", b"b2", b"b3", b"b4"]
        consumer.ack_batch(views)


def test_fifo_order_within_a_message_group(server):
    tag = unique("tag")
    with rmq.Producer(server, topics=["sc-fifo"]) as producer:
        for i in range(6):
            producer.send(rmq.Message("sc-fifo", str(i).encode(), tag=tag,
                                      message_group=f"one-{RUN}"))
    with simple_consumer(server, FIFO_GROUP, {"sc-fifo": tag}) as consumer:
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 6 and time.monotonic() < deadline:
            for view in consumer.receive(32, 20):
                got.append(int(view.body))
                consumer.ack(view)
        assert got == list(range(6))


def test_delayed_message_arrives_late_and_recall_cancels(server):
    tag = unique("tag")
    with rmq.Producer(server, topics=["sc-delay"]) as producer, \
            simple_consumer(server, unique("g"), {"sc-delay": tag}) as consumer:
        at = time.time() + 3
        recalled = producer.send(rmq.Message("sc-delay", b"recalled", tag=tag,
                                             delivery_timestamp=at))
        assert producer.recall("sc-delay", recalled.recall_handle) == recalled.message_id
        kept = producer.send(rmq.Message("sc-delay", b"kept", tag=tag, delivery_timestamp=at))
        views = receive_n(consumer, 1, timeout=30)
        # Apache's timer wheel has 1 s precision.
        assert time.time() >= at - 1.0
        assert [v.message_id for v in views] == [kept.message_id]
        consumer.ack(views[0])


def test_transactions_commit_roll_back_and_are_checked(server):
    tag = unique("tag")
    checked = []

    def checker(view):
        checked.append(view.body)
        return rmq.TransactionResolution.COMMIT

    with rmq.Producer(server, topics=["sc-tx"], transaction_checker=checker) as producer, \
            simple_consumer(server, unique("g"), {"sc-tx": tag}) as consumer:
        for body, end in ((b"committed", "commit"), (b"rolled back", "rollback"),
                          (b"orphan", None)):
            tx = producer.begin_transaction()
            producer.send(rmq.Message("sc-tx", body, tag=tag), transaction=tx)
            if end:
                getattr(tx, end)()
        # On a cluster the orphan's check waits for the proxy's transaction heartbeat to the
        # brokers (every 20 s by Apache's default, 1 s in our harness).
        got = sorted(v.body for v in receive_n(consumer, 2, timeout=90))
        assert got == [b"committed", b"orphan"]
        assert b"orphan" in checked


def test_push_consumer_retries_a_failed_message(server):
    tag = unique("tag")
    attempts = []
    done = threading.Event()

    def listener(view):
        attempts.append(view.delivery_attempt)
        if view.delivery_attempt == 1:
            return rmq.ConsumeResult.FAILURE
        done.set()
        return rmq.ConsumeResult.SUCCESS

    with rmq.PushConsumer(server, unique("g"), {"sc-normal": tag}, listener), \
            rmq.Producer(server, topics=["sc-normal"]) as producer:
        producer.send(rmq.Message("sc-normal", b"retry me", tag=tag))
        assert done.wait(60)
    assert attempts[:2] == [1, 2]


def test_asyncio_round_trip(server):
    tag = unique("tag")

    async def main():
        async with rmq.AsyncProducer(server, topics=["sc-normal"]) as producer, \
                rmq.AsyncSimpleConsumer(server, unique("g"), {"sc-normal": tag}) as consumer:
            sent = await asyncio.gather(*(producer.send(rmq.Message("sc-normal", b"a", tag=tag))
                                          for _ in range(50)))
            seen = set()
            deadline = time.monotonic() + 30
            while len(seen) < 50 and time.monotonic() < deadline:
                views = await consumer.receive(32, 20)
                await consumer.ack_batch(views)
                seen.update(v.message_id for v in views)
            assert seen == {r.message_id for r in sent}

    asyncio.run(main())


def test_server_refusals_are_typed(server):
    with pytest.raises(rmq.NotFoundError):
        rmq.Producer(server, topics=[unique("missing")])
    with rmq.Producer(server, topics=["sc-normal"]) as producer:
        with pytest.raises(rmq.PayloadTooLargeError):
            producer.send(rmq.Message("sc-normal", b"x" * (4 * 1024 * 1024 + 1)))
    with simple_consumer(server, unique("g"), {"sc-normal": unique("tag")}) as consumer:
        with pytest.raises(rmq.BadRequestError):
            consumer.receive(1, invisible_duration=0.5)  # below the server's minimum
