"""Every message type, batches, recall, transactions and the server's refusals."""

import time

import pytest

import rmq
from conftest import receive_n, wait_for

TOPICS = {"normal": "NORMAL", "fifo": "FIFO", "delay": "DELAY", "tx": "TRANSACTION"}


@pytest.mark.rmq_broker(topics=TOPICS)
def test_normal_message_arrives_with_every_field(rmq_broker, rmq_config, unique):
    group = unique("g")
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, group, {"normal": "*"}, await_duration=5) as consumer:
        receipt = producer.send(rmq.Message("normal", b"body", tag="t1", keys=["k1", "k2"],
                                            properties={"region": "eu"}))
        assert receipt.message_id and receipt.topic == "normal" and receipt.recall_handle is None
        (view,) = receive_n(consumer, 1)
        assert view.message_id == receipt.message_id
        assert (view.topic, view.body, view.tag, view.keys, view.properties) == (
            "normal", b"body", "t1", ("k1", "k2"), {"region": "eu"})
        assert view.delivery_attempt == 1
        assert view.born_host and view.born_timestamp.tzinfo is not None
        assert view.message_group is None and view.delivery_timestamp is None
        assert view.priority is None
        consumer.ack(view)
    assert rmq_broker.messages("normal")[0][0] == receipt.message_id


@pytest.mark.rmq_broker(topics={"ranked": "PRIORITY"})
def test_priority_message_carries_its_priority(rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["ranked"]) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"ranked": "*"},
                               await_duration=5) as consumer:
        producer.send(rmq.Message("ranked", b"urgent", priority=7))
        (view,) = receive_n(consumer, 1)
        assert (view.body, view.priority) == (b"urgent", 7)
        consumer.ack(view)


@pytest.mark.rmq_broker(topics=TOPICS, groups={"ordered": {"fifo": True}})
def test_fifo_messages_keep_their_order_per_group(rmq_config):
    with rmq.Producer(rmq_config, topics=["fifo"]) as producer, \
            rmq.SimpleConsumer(rmq_config, "ordered", {"fifo": "*"}, await_duration=5) as c:
        for i in range(20):
            producer.send(rmq.Message("fifo", f"{i}".encode(), message_group=f"g{i % 2}"))
        seen = {"g0": [], "g1": []}
        while sum(len(v) for v in seen.values()) < 20:
            views = c.receive(32, 30)
            assert views, "all 20 messages arrive"
            for v in views:
                seen[v.message_group].append(int(v.body))
                c.ack(v)
        assert seen == {"g0": list(range(0, 20, 2)), "g1": list(range(1, 20, 2))}


@pytest.mark.rmq_broker(topics=TOPICS)
def test_scheduled_message_waits_and_can_be_recalled(rmq_broker, rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["delay"]) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"delay": "*"}, await_duration=5) as c:
        sent_at = time.time()
        kept = producer.send(rmq.Message("delay", b"later", delivery_timestamp=sent_at + 1.5))
        dropped = producer.send(rmq.Message("delay", b"never", delivery_timestamp=sent_at + 1.5))
        assert kept.recall_handle and dropped.recall_handle
        assert producer.recall("delay", dropped.recall_handle) == dropped.message_id
        (view,) = receive_n(c, 1)
        assert time.time() >= sent_at + 1.4
        assert view.body == b"later"
        assert abs(view.delivery_timestamp.timestamp() - (sent_at + 1.5)) < 0.01
        c.ack(view)
    assert [body for _, body in rmq_broker.messages("delay")] == [b"later"]


@pytest.mark.rmq_broker(topics=TOPICS)
def test_batch_sends_in_one_request(rmq_broker, rmq_config):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        before = rmq_broker.rpc_calls("SendMessage")
        receipts = producer.send_batch([rmq.Message("normal", f"m{i}".encode())
                                        for i in range(10)])
        assert rmq_broker.rpc_calls("SendMessage") == before + 1
        assert len({r.message_id for r in receipts}) == 10
        with pytest.raises(rmq.InvalidArgumentError):
            producer.send_batch([rmq.Message("normal", b"a"), rmq.Message("fifo", b"b")])


@pytest.mark.rmq_broker(topics=TOPICS, transaction_check_delay=0.2,
                        transaction_check_interval=0.2)
def test_transactions_commit_roll_back_and_are_checked(rmq_broker, rmq_config, unique):
    checked = []
    threads = set()

    def checker(view):
        checked.append(view.body)
        threads.add(rmq._native.current_thread_name())
        return rmq.TransactionResolution.COMMIT

    with rmq.Producer(rmq_config, topics=["tx"], transaction_checker=checker) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"tx": "*"}, await_duration=5) as c:
        committed = producer.begin_transaction()
        producer.send(rmq.Message("tx", b"committed"), transaction=committed)
        committed.commit()
        with pytest.raises(rmq.InvalidArgumentError):
            committed.commit()
        rolled_back = producer.begin_transaction()
        producer.send(rmq.Message("tx", b"rolled back"), transaction=rolled_back)
        rolled_back.rollback()
        # Left undecided: the broker asks the checker, which commits.
        orphan = producer.begin_transaction()
        producer.send(rmq.Message("tx", b"orphan"), transaction=orphan)
        with producer.begin_transaction() as in_block:
            producer.send(rmq.Message("tx", b"context manager"), transaction=in_block)
        got = sorted(v.body for v in receive_n(c, 3))
        assert got == [b"committed", b"context manager", b"orphan"]
        assert b"orphan" in checked
        assert all(name.startswith("rmq-callback-") for name in threads), threads
        assert b"rolled back" not in [b for _, b in rmq_broker.messages("tx")]


@pytest.mark.rmq_broker(topics=TOPICS)
def test_transactions_need_a_checker(rmq_config):
    with rmq.Producer(rmq_config) as producer:
        with pytest.raises(rmq.InvalidArgumentError):
            producer.begin_transaction()


@pytest.mark.rmq_broker(topics=TOPICS, strict=True)
def test_server_refusals_are_typed(rmq_broker, rmq_config):
    with pytest.raises(rmq.NotFoundError) as missing:
        rmq.Producer(rmq_config, topics=["missing"])
    assert missing.value.code == 40402 and missing.value.operation
    with rmq.Producer(rmq_config, topics=["normal", "fifo"]) as producer:
        with pytest.raises(rmq.PayloadTooLargeError):
            producer.send(rmq.Message("normal", b"x" * (4 * 1024 * 1024 + 1)))
        # The route says which types a topic takes; the client checks before sending.
        with pytest.raises(rmq.InvalidArgumentError):
            producer.send(rmq.Message("normal", b"x", message_group="not on a normal topic"))
        rmq_broker.fail_rpc("SendMessage", "TOO_MANY_REQUESTS")
        with pytest.raises(rmq.TooManyRequestsError) as throttled:
            producer.send(rmq.Message("normal", b"x"))
        assert throttled.value.code == 42900
        rmq_broker.clear_faults()
        producer.send(rmq.Message("normal", b"x"))
    with pytest.raises(rmq.ClosedError):
        producer.send(rmq.Message("normal", b"x"))


@pytest.mark.rmq_broker(topics=TOPICS, strict=True)
def test_errors_name_their_topic_group_and_endpoint(rmq_broker, rmq_config, unique):
    with pytest.raises(rmq.NotFoundError) as missing:
        rmq.Producer(rmq_config, topics=["missing"])
    assert (missing.value.topic, missing.value.group) == ("missing", None)
    assert missing.value.endpoint == rmq_broker.endpoint
    group = unique("g")
    with pytest.raises(rmq.NotFoundError) as unknown:
        rmq.SimpleConsumer(rmq_config, group, {"missing": "*"})
    assert (unknown.value.topic, unknown.value.group) == ("missing", group)
    # Found before any I/O: no server is named.
    with pytest.raises(rmq.InvalidArgumentError) as invalid:
        rmq.Message("normal", b"")
    assert (invalid.value.topic, invalid.value.group, invalid.value.endpoint) == (
        None, None, None)


def test_unreachable_server_is_a_network_or_timeout_error():
    config = rmq.ClientConfig("127.0.0.1:1", request_timeout=0.5)
    with pytest.raises((rmq.NetworkError, rmq.TimeoutError)):
        rmq.Producer(config, topics=["t"])


@pytest.mark.rmq_broker(topics=TOPICS)
def test_linger_batches_concurrent_sends(rmq_broker, rmq_config):
    from concurrent.futures import ThreadPoolExecutor
    with rmq.Producer(rmq_config, topics=["normal"], linger=0.02) as producer:
        before = rmq_broker.rpc_calls("SendMessage")
        with ThreadPoolExecutor(16) as pool:
            receipts = list(pool.map(lambda i: producer.send(rmq.Message("normal", b"x")),
                                     range(64)))
        assert len({r.message_id for r in receipts}) == 64
        assert rmq_broker.rpc_calls("SendMessage") - before < 64
    assert wait_for(lambda: len(rmq_broker.messages("normal")) == 64)
