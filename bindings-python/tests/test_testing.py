"""rmq.testing.MiniBroker and the pytest fixture."""

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
    broker.close()
    broker.close()
    assert broker.closed
    with pytest.raises(rmq.ClosedError):
        broker.messages("t")
