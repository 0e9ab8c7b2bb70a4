"""Filters, redelivery, invisible time, batch acks and the dead-letter queue."""

import pytest

import rmq
from conftest import receive_n

TOPICS = {"normal": "NORMAL"}


@pytest.mark.rmq_broker(topics=TOPICS)
def test_tag_and_sql_filters_select_messages(rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        producer.send(rmq.Message("normal", b"a", tag="a", properties={"n": "1"}))
        producer.send(rmq.Message("normal", b"b", tag="b", properties={"n": "5"}))
        producer.send(rmq.Message("normal", b"c", tag="c", properties={"n": "9"}))
    with rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "a||c"},
                            await_duration=5) as by_tag:
        assert sorted(v.body for v in receive_n(by_tag, 2)) == [b"a", b"c"]
    sql = rmq.FilterExpression.sql("n > 3")
    assert (sql.kind, sql.expression) == ("SQL92", "n > 3")
    with rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": sql},
                            await_duration=5) as by_sql:
        assert sorted(v.body for v in receive_n(by_sql, 2)) == [b"b", b"c"]


@pytest.mark.rmq_broker(topics=TOPICS, virtual_clock=True)
def test_unacked_message_comes_back_and_old_handle_is_refused(rmq_broker, rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                               await_duration=5) as consumer:
        producer.send(rmq.Message("normal", b"again"))
        (first,) = receive_n(consumer, 1, invisible=10)
        assert first.delivery_attempt == 1
        rmq_broker.advance(11)
        (second,) = receive_n(consumer, 1, invisible=10)
        assert (second.message_id, second.delivery_attempt) == (first.message_id, 2)
        with pytest.raises(rmq.BadRequestError) as stale:
            consumer.ack(first)
        assert stale.value.code == 40013  # INVALID_RECEIPT_HANDLE
        consumer.ack(second)


@pytest.mark.rmq_broker(topics=TOPICS, virtual_clock=True)
def test_change_invisible_duration_keeps_the_view_usable(rmq_broker, rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                               await_duration=5) as consumer:
        producer.send(rmq.Message("normal", b"slow"))
        (view,) = receive_n(consumer, 1, invisible=10)
        handle = view.receipt_handle
        consumer.change_invisible_duration(view, 60)
        assert view.receipt_handle != handle
        rmq_broker.advance(30)  # past the first invisible time, within the new one
        assert consumer.receive(32, 10) == []
        consumer.ack(view)  # the same object carries the new handle


@pytest.mark.rmq_broker(topics=TOPICS, virtual_clock=True)
def test_ack_batch_answers_each_message(rmq_broker, rmq_config, unique):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                               await_duration=5) as consumer:
        for i in range(3):
            producer.send(rmq.Message("normal", f"{i}".encode()))
        views = receive_n(consumer, 3, invisible=10)
        consumer.change_invisible_duration(views[0], 20)
        results = consumer.ack_batch(views)
        assert results == [None, None, None]
        before = rmq_broker.rpc_calls("AckMessage")
        assert consumer.ack_batch([]) == []
        assert rmq_broker.rpc_calls("AckMessage") == before


@pytest.mark.rmq_broker(topics=TOPICS, virtual_clock=True,
                        groups={"two-tries": {"max_attempts": 2}})
def test_messages_out_of_attempts_go_to_the_dead_letter_queue(rmq_broker, rmq_config):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, "two-tries", {"normal": "*"},
                               await_duration=5) as consumer:
        receipt = producer.send(rmq.Message("normal", b"poison"))
        attempts = []
        for _ in range(2):
            (view,) = receive_n(consumer, 1, invisible=10)
            attempts.append(view.delivery_attempt)
            rmq_broker.advance(11)
        assert attempts == [1, 2]
        assert [mid for mid, _ in rmq_broker.dead_letters("two-tries")] == [receipt.message_id]


@pytest.mark.rmq_broker(topics=TOPICS)
def test_receive_arguments_are_checked_and_closed_consumers_refuse(rmq_config, unique):
    with rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                            await_duration=5) as consumer:
        with pytest.raises(ValueError):
            consumer.receive(0)
        with pytest.raises(ValueError):
            consumer.receive(33)
        with pytest.raises(ValueError):
            consumer.receive(1, invisible_duration=-1)
        with pytest.raises(TypeError):
            consumer.ack("not a view")
    with pytest.raises(rmq.ClosedError):
        consumer.receive(1)
