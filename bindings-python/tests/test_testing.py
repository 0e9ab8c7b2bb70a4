"""rmq.testing.MiniBroker and the pytest fixture."""

import logging

import pytest

import rmq
from rmq.testing import MiniBroker


def test_fixture_gives_a_fresh_broker(rmq_broker, rmq_config):
    assert rmq_config.endpoints == rmq_broker.endpoint
    assert rmq_broker.endpoint.startswith("127.0.0.1:")
    assert rmq_broker.messages("anything") == []


@pytest.mark.rmq_broker(topics={"orders": "FIFO"}, strict=True)
def test_marker_configures_the_broker(rmq_broker, rmq_config):
    with rmq.Producer(rmq_config, topics=["orders"]) as producer:
        producer.send(rmq.Message("orders", b"x", message_group="g"))
    with pytest.raises(rmq.NotFoundError):
        rmq.Producer(rmq_config, topics=["other"])


def test_virtual_clock_moves_only_when_told():
    with MiniBroker(topics={"later": "DELAY"}, virtual_clock=True) as broker:
        with rmq.Producer(broker.config(), topics=["later"]) as producer:
            import time
            producer.send(rmq.Message("later", b"x", delivery_timestamp=time.time() + 3600))
        assert broker.messages("later") == []
        broker.advance(3601)
        assert len(broker.messages("later")) == 1
    with MiniBroker() as wall_clock:
        with pytest.raises(RuntimeError):
            wall_clock.advance(1)


def test_data_dir_keeps_messages_across_restarts(tmp_path):
    with MiniBroker(topics={"kept": "NORMAL"}, data_dir=tmp_path) as broker:
        with rmq.Producer(broker.config(), topics=["kept"]) as producer:
            receipt = producer.send(rmq.Message("kept", b"durable"))
    with MiniBroker(data_dir=tmp_path) as again:
        assert again.messages("kept") == [(receipt.message_id, b"durable")]


def test_credentials_require_signed_requests():
    with MiniBroker(topics={"t": "NORMAL"}, credentials={"ak": "sk"}) as broker:
        with rmq.Producer(broker.config(access_key="ak", secret_key="sk"),
                          topics=["t"]) as producer:
            producer.send(rmq.Message("t", b"x"))
        with pytest.raises(rmq.UnauthorizedError):
            rmq.Producer(broker.config(access_key="ak", secret_key="wrong"), topics=["t"])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        MiniBroker(topics={"t": "SOMETIMES"})
    with pytest.raises(ValueError):
        MiniBroker(groups={"g": {"fifo": True, "colour": "blue"}})
    with pytest.raises(TypeError):
        MiniBroker(groups={"g": {"fifo": "yes"}})
    broker = MiniBroker()
    with pytest.raises(ValueError):
        broker.fail_rpc("SendMessage", "NOT_A_CODE")
    with pytest.raises(ValueError, match="SendMesage"):
        broker.fail_rpc("SendMesage", "TOO_MANY_REQUESTS")
    with pytest.raises(ValueError):
        broker.rpc_calls("sendmessage")
    with pytest.raises(ValueError):
        broker.push_rpc_errors("SendMessage", ["TOO_MANY_REQUESTS", "NOT_A_CODE"])
    with pytest.raises(ValueError):
        broker.advance(-1)
    broker.close()
    broker.close()
    assert broker.closed
    with pytest.raises(rmq.ClosedError):
        broker.messages("t")


def test_tls_verified_with_the_broker_certificate_or_trusting_all():
    with MiniBroker(topics={"t": "NORMAL"}) as broker:
        assert broker.tls_certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
        for config in (broker.config(tls_ca_pem=broker.tls_certificate_pem),
                       broker.config(tls="trust-all")):
            with rmq.Producer(config, topics=["t"]) as producer:
                producer.send(rmq.Message("t", b"over tls"))
        # Verified against the system roots, the self-signed certificate is refused.
        with pytest.raises(rmq.NetworkError, match="certificate"):
            rmq.Producer(broker.config(tls=True, request_timeout=1.0), topics=["t"])
        assert len(broker.messages("t")) == 2


def test_clients_leave_no_threads_or_descriptors_behind(rmq_broker, rmq_config):
    import os

    def fds():
        return len(os.listdir("/proc/self/fd"))

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    def cycle():
        with rmq.Producer(rmq_config, topics=["t"]) as producer:
            producer.send(rmq.Message("t", b"x"))
        with rmq.SimpleConsumer(rmq_config, "g", {"t": "*"}, await_duration=5):
            pass
        with rmq.PushConsumer(rmq_config, "p", {"t": "*"}, lambda view: None,
                              consumption_threads=2):
            pass

    cycle()  # the runtime and the log thread start once, on first use
    before = (fds(), os_threads())
    for _ in range(30):
        cycle()
    import gc
    import time
    gc.collect()
    deadline = time.monotonic() + 5  # closed pools' threads finish on their own
    while os_threads() > before[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fds() <= before[0] + 3, (before, fds())
    assert os_threads() <= before[1], (before, os_threads())


def test_pushed_errors_answer_the_coming_calls_in_order():
    with MiniBroker(topics={"t": "NORMAL"}) as broker:
        with rmq.Producer(broker.config(), topics=["t"], max_attempts=1) as producer:
            broker.push_rpc_errors("SendMessage", ["TOO_MANY_REQUESTS", "FORBIDDEN"])
            with pytest.raises(rmq.TooManyRequestsError):
                producer.send(rmq.Message("t", b"1"))
            with pytest.raises(rmq.ForbiddenError):
                producer.send(rmq.Message("t", b"2"))
            producer.send(rmq.Message("t", b"3"))
            assert broker.rpc_calls("SendMessage") == 3


def _remoting_call(endpoint, code, fields):
    """One request to the admin facade, as Apache's tools frame it (JSON header): the
    answer's header and body."""
    import json
    import socket
    import struct
    header = json.dumps({"code": code, "flag": 0, "language": "JAVA", "opaque": 1,
                         "serializeTypeCurrentRPC": "JSON", "version": 513,
                         "extFields": fields}).encode()
    host, port = endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(struct.pack(">II", 4 + len(header), len(header)) + header)
        total, mark = struct.unpack(">II", sock.recv(8, socket.MSG_WAITALL))
        rest = sock.recv(total - 4, socket.MSG_WAITALL)
    length = mark & 0xFFFFFF
    return json.loads(rest[:length]), rest[length:]


def test_admin_facade_creates_topics_for_a_strict_broker():
    with MiniBroker(strict=True, admin=True) as broker:
        assert broker.admin_endpoint.startswith("127.0.0.1:")
        with pytest.raises(rmq.NotFoundError):
            rmq.Producer(broker.config(), topics=["made"])
        answer, _ = _remoting_call(broker.admin_endpoint, 17, {   # UPDATE_AND_CREATE_TOPIC
            "topic": "made", "readQueueNums": "2", "writeQueueNums": "2",
            "attributes": "+message.type=FIFO"})
        assert answer["code"] == 0
        with rmq.Producer(broker.config(), topics=["made"]) as producer:
            producer.send(rmq.Message("made", b"x", message_group="g"))
        assert len(broker.messages("made")) == 1
    with MiniBroker() as plain:
        assert plain.admin_endpoint is None


def test_retention_drops_what_was_consumed_and_snapshots_cover_the_journal(tmp_path):
    from conftest import receive_n, wait_for
    with MiniBroker(topics={"t": "NORMAL"}, data_dir=tmp_path, retention=0,
                    snapshot_every=1) as broker:
        with rmq.Producer(broker.config(), topics=["t"]) as producer:
            producer.send(rmq.Message("t", b"consumed"))
        with rmq.SimpleConsumer(broker.config(), "g", {"t": "*"}, await_duration=5) as consumer:
            for view in receive_n(consumer, 1):
                consumer.ack(view)
        assert wait_for(lambda: broker.messages("t") == []), "retention kept a consumed message"
        assert wait_for(lambda: (tmp_path / "snapshot").exists()), "no snapshot was written"
    with MiniBroker(topics={"t": "NORMAL"}, retention=None, snapshot_every=None) as keeping:
        assert keeping.messages("t") == []
    with pytest.raises(ValueError):
        MiniBroker(retention=-1)
    with pytest.raises(ValueError):
        MiniBroker(snapshot_every=0)


def test_secrets_stay_out_of_reprs_errors_and_logs(caplog):
    secret = "s3cr3t-Sk-7f1e"
    caplog.set_level(5, logger="rmq")  # trace: every core and broker event
    rmq.refresh_log_level()
    try:
        with MiniBroker(topics={"t": "NORMAL"}, credentials={"ak": secret}) as broker:
            config = broker.config(access_key="ak", secret_key=secret, security_token=secret)
            with rmq.Producer(config, topics=["t"]) as producer:
                producer.send(rmq.Message("t", b"x"))
                shown = [repr(config), str(config), repr(producer)]
            with pytest.raises(rmq.UnauthorizedError) as refused:
                rmq.Producer(broker.config(access_key="ak", secret_key=secret + "-wrong"),
                             topics=["t"])
            shown += [str(refused.value), repr(refused.value)]
    finally:
        caplog.set_level(logging.WARNING, logger="rmq")
        rmq.refresh_log_level()
    assert [r for r in caplog.records if r.name.startswith("rmq.")], "no event was logged"
    shown += [r.getMessage() for r in caplog.records]
    assert [s for s in shown if secret in s] == []
