"""Threads, the GIL, fork and logging."""

import logging
import os
import threading
import time

import pytest

import rmq


@pytest.mark.rmq_broker(topics={"normal": "NORMAL"})
def test_a_blocked_call_lets_other_python_threads_run(rmq_config, unique):
    with rmq.SimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                            await_duration=5) as consumer:
        counted = [0]
        stop = threading.Event()

        def count():
            while not stop.is_set():
                counted[0] += 1

        counter = threading.Thread(target=count)
        counter.start()
        started = time.monotonic()
        try:
            assert consumer.receive(1, 30) == []  # waits the full await duration
        finally:
            stop.set()
            counter.join()
        waited = time.monotonic() - started
    assert waited >= 4.5
    # With the GIL held for the whole wait the counter would barely move (it gets the GIL
    # only at the switch interval if the waiting thread released it; never otherwise).
    assert counted[0] > 100_000, counted[0]


@pytest.mark.rmq_broker(topics={"normal": "NORMAL"})
def test_threads_share_one_producer(rmq_config):
    from concurrent.futures import ThreadPoolExecutor
    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        with ThreadPoolExecutor(8) as pool:
            receipts = list(pool.map(lambda i: producer.send(rmq.Message("normal", b"x")),
                                     range(400)))
    assert len({r.message_id for r in receipts}) == 400


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
# Python 3.12+ warns about fork() in any threaded process; surviving it is this test's point.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
@pytest.mark.rmq_broker(topics={"normal": "NORMAL"})
def test_fork_child_gets_a_fresh_runtime_and_refuses_inherited_clients(rmq_broker, rmq_config):
    with rmq.Producer(rmq_config, topics=["normal"]) as producer:
        producer.send(rmq.Message("normal", b"parent"))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe, never return into pytest
            code = 1
            try:
                try:
                    producer.send(rmq.Message("normal", b"inherited"))
                    report = "inherited producer worked"
                except rmq.ClosedError as e:
                    report = "refused: " + str(e)
                with rmq.Producer(rmq_config, topics=["normal"]) as fresh:
                    fresh.send(rmq.Message("normal", b"child"))
                report += " | child producer sent"
                code = 0
            except BaseException as e:  # noqa: B036 - anything must reach the parent
                report = f"child failed: {e!r}"
            os.write(write_end, report.encode())
            os._exit(code)
        os.close(write_end)
        # A child stuck on the parent's dead runtime threads would hang: give it 60 s.
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                pytest.fail("the forked child hung")
            time.sleep(0.01)
        report = os.read(read_end, 4096).decode()
        os.close(read_end)
        assert os.WEXITSTATUS(status) == 0, report
        assert report.startswith("refused: ") and "fork()" in report, report
        assert report.endswith("child producer sent"), report
        # The parent's producer is untouched by the child.
        producer.send(rmq.Message("normal", b"parent again"))
    bodies = sorted(body for _, body in rmq_broker.messages("normal"))
    assert bodies == [b"child", b"parent", b"parent again"]


def _retried_send(broker, config):
    # One refused attempt: the client logs a DEBUG event and retries.
    with rmq.Producer(config, topics=["normal"]) as producer:
        broker.fail_rpc("SendMessage", "TOO_MANY_REQUESTS", times=1)
        producer.send(rmq.Message("normal", b"x"))


def _core_records(caplog, wait, text=""):
    deadline = time.monotonic() + wait
    while True:
        found = [
            r for r in caplog.records if r.name == "rmq.client" and text in r.getMessage()
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


@pytest.mark.rmq_broker(topics={"normal": "NORMAL"})
def test_core_events_reach_python_logging(rmq_broker, rmq_config, caplog):
    # At the default level (WARNING) the retry's DEBUG event is not even formatted.
    caplog.set_level(logging.WARNING, logger="rmq")
    rmq.refresh_log_level()
    _retried_send(rmq_broker, rmq_config)
    assert _core_records(caplog, 0.5) == []
    caplog.set_level(logging.DEBUG, logger="rmq")
    rmq.refresh_log_level()
    _retried_send(rmq_broker, rmq_config)
    (record, *_) = _core_records(caplog, 5, "send attempt failed; retrying")
    assert record.levelno == logging.DEBUG
    assert "TOO_MANY_REQUESTS" in record.getMessage()


def test_ctrl_c_interrupts_a_blocked_call(rmq_broker, rmq_config):
    import _thread
    with rmq.SimpleConsumer(rmq_config, "g", {"normal": "*"}, await_duration=20) as consumer:
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            consumer.receive(1, 30)
        assert time.monotonic() - started < 3


@pytest.mark.rmq_broker(topics={"normal": "NORMAL"})
def test_a_signal_handler_can_use_rmq_while_the_main_thread_waits(rmq_broker, rmq_config):
    # The handler runs while the main thread is blocked in receive(): it must be able to send
    # (the blocked call leaves the runtime before handlers run), and the receive gets it.
    import signal
    sent = []
    with rmq.Producer(rmq_config, topics=["normal"]) as producer, \
            rmq.SimpleConsumer(rmq_config, "g", {"normal": "*"}, await_duration=20) as consumer:
        def handler(signum, frame):
            sent.append(producer.send(rmq.Message("normal", b"from the handler")))
        previous = signal.signal(signal.SIGALRM, handler)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            got = []
            deadline = time.monotonic() + 20
            while not got and time.monotonic() < deadline:
                got = consumer.receive(1, 30)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        assert len(sent) == 1
        assert [m.body for m in got] == [b"from the handler"]
        consumer.ack(got[0])
