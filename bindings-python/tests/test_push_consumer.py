"""Push consumers: listeners on their own threads, retries, FIFO order, dead letters."""

import logging
import threading

import pytest

import rmq
from conftest import wait_for

TOPICS = {"normal": "NORMAL", "fifo": "FIFO"}
FAST_RETRY = {"retry_delays": [0.05]}


@pytest.mark.rmq_broker(topics=TOPICS)
def test_listener_runs_on_callback_threads_and_may_send(rmq_config, unique):
    seen = []
    sent_back = threading.Event()
    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        def listener(view):
            seen.append((view.body, rmq._native.current_thread_name()))
            if view.body == b"ping":
                # The sync API works inside a listener: it is not a runtime thread.
                producer.send(rmq.Message("normal", b"pong"))
            else:
                sent_back.set()
            return rmq.ConsumeResult.SUCCESS

        with rmq.PushConsumer(rmq_config, unique("g"), {"normal": "*"}, listener,
                              consumption_threads=4) as consumer:
            producer.send(rmq.Message("normal", b"ping"))
            assert sent_back.wait(20)
            assert consumer.assigned_queues > 0
    assert [body for body, _ in seen] == [b"ping", b"pong"]
    assert all(name.startswith("rmq-callback-") for _, name in seen)


@pytest.mark.rmq_broker(topics=TOPICS, groups={"retry": FAST_RETRY})
def test_failures_and_exceptions_are_retried(rmq_config, caplog):
    attempts = []
    done = threading.Event()

    def listener(view):
        attempts.append(view.delivery_attempt)
        if view.delivery_attempt == 1:
            return rmq.ConsumeResult.FAILURE
        if view.delivery_attempt == 2:
            raise RuntimeError("listener bug")
        done.set()
        return rmq.ConsumeResult.SUCCESS

    with caplog.at_level(logging.ERROR, logger="rmq"), \
            rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.PushConsumer(rmq_config, "retry", {"normal": "*"}, listener):
        producer.send(rmq.Message("normal", b"flaky"))
        assert done.wait(20)
    assert attempts == [1, 2, 3]
    logged = [r for r in caplog.records if "listener raised" in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError


@pytest.mark.rmq_broker(topics=TOPICS, groups={"ordered": {"fifo": True, **FAST_RETRY}})
def test_fifo_group_is_consumed_in_order_through_a_failure(rmq_config):
    bodies = []
    failed_once = []
    lock = threading.Lock()

    def listener(view):
        with lock:
            if view.body == b"3" and not failed_once:
                failed_once.append(True)
                return rmq.ConsumeResult.FAILURE
            bodies.append(int(view.body))
        return rmq.ConsumeResult.SUCCESS

    with rmq.Producer(rmq_config, topics=["fifo"]) as producer, \
            rmq.PushConsumer(rmq_config, "ordered", {"fifo": "*"}, listener):
        for i in range(10):
            producer.send(rmq.Message("fifo", str(i).encode(), message_group="one"))
        assert wait_for(lambda: len(bodies) == 10)
    assert bodies == list(range(10))


@pytest.mark.rmq_broker(topics=TOPICS,
                        groups={"doomed": {"max_attempts": 2, "retry_delays": [0.05]}})
def test_messages_that_always_fail_reach_the_dead_letter_queue(rmq_broker, rmq_config):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.PushConsumer(rmq_config, "doomed", {"normal": "*"},
                             lambda view: rmq.ConsumeResult.FAILURE):
        receipt = producer.send(rmq.Message("normal", b"poison"))
        assert wait_for(lambda: len(rmq_broker.dead_letters("doomed")) == 1)
    assert rmq_broker.dead_letters("doomed")[0][0] == receipt.message_id


@pytest.mark.rmq_broker(topics=TOPICS)
def test_odd_listener_answers_count_as_failure(rmq_config, unique, caplog):
    answers = iter(["yes", None])
    done = threading.Event()

    def listener(view):
        answer = next(answers)
        if answer is None:
            done.set()
        return answer

    group = unique("g")
    with caplog.at_level(logging.ERROR, logger="rmq"), \
            rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.PushConsumer(rmq_config, group, {"normal": "*"}, listener):
        producer.send(rmq.Message("normal", b"x"))
        assert done.wait(30)  # "yes" failed it; the redelivery returned None (success)
    assert any("not a ConsumeResult" in r.getMessage() for r in caplog.records)


@pytest.mark.rmq_broker(topics=TOPICS)
def test_close_from_the_listener_is_refused(rmq_config, unique):
    errors = []
    done = threading.Event()
    holder = {}

    def listener(view):
        try:
            holder["consumer"].close()
        except RuntimeError as e:
            errors.append(e)
        done.set()
        return rmq.ConsumeResult.SUCCESS

    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        consumer = rmq.PushConsumer(rmq_config, unique("g"), {"normal": "*"}, listener)
        holder["consumer"] = consumer
        producer.send(rmq.Message("normal", b"x"))
        assert done.wait(20)
        consumer.close()
    assert len(errors) == 1
