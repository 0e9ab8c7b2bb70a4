"""rmq.testing.MiniCluster: one route over several brokers, one of them going down."""

import threading

import pytest

import rmq
from rmq.testing import MiniCluster


def test_a_producer_and_a_push_consumer_ride_out_a_broker_down():
    with MiniCluster(3, topics={"t": "NORMAL"}) as cluster:
        assert len(cluster.endpoints.split(";")) == 3
        config = cluster.config()
        with rmq.Producer(config, topics=["t"]) as producer:
            acked = [producer.send(rmq.Message("t", f"a{i}".encode())).message_id
                     for i in range(30)]
            assert all(cluster.messages("t", broker=b) for b in range(3))
            cluster.broker_down(1)
            on_down = len(cluster.messages("t", broker=1))
            acked += [producer.send(rmq.Message("t", f"b{i}".encode())).message_id
                      for i in range(30)]
            assert len(cluster.messages("t", broker=1)) == on_down
            stored = {mid for mid, _ in cluster.messages("t")}
            assert set(acked) <= stored

        # The consumer comes in through a live broker; the down one's messages wait.
        seen = []
        done = threading.Event()

        def listener(view):
            seen.append(view.body)
            if len(seen) == 60:
                done.set()
            return rmq.ConsumeResult.SUCCESS

        live = rmq.ClientConfig(cluster.endpoint(0))
        with rmq.PushConsumer(live, "g", {"t": "*"}, listener):
            cluster.broker_up(1)
            assert done.wait(30), f"got {len(seen)} of 60"
        assert cluster.rpc_calls("SendMessage") >= 60
        assert cluster.rpc_calls("SendMessage", broker=0) >= 1


def test_bad_indexes_and_names_are_refused():
    with MiniCluster(2) as cluster:
        with pytest.raises(IndexError):
            cluster.broker_down(2)
        with pytest.raises(ValueError):
            cluster.broker_down(-1)
        with pytest.raises(TypeError):
            cluster.set_latency("0", 0.1)
        with pytest.raises(ValueError):
            cluster.fail_rpc("SendMesage", "TOO_MANY_REQUESTS")
        cluster.set_latency(0, 0.05)
        cluster.clear_faults()
    with pytest.raises(ValueError):
        MiniCluster(0)
    assert cluster.closed
    with pytest.raises(rmq.ClosedError):
        cluster.messages("t")


def test_the_admin_facade_lists_every_broker():
    from test_testing import _remoting_call
    with MiniCluster(2, admin=True) as cluster:
        import json
        answer, body = _remoting_call(cluster.admin_endpoint, 106, {})  # GET_BROKER_CLUSTER_INFO
        assert answer["code"] == 0
        assert json.loads(body)["clusterAddrTable"]["DefaultCluster"] == ["broker-0", "broker-1"]
    with MiniCluster(2) as plain:
        assert plain.admin_endpoint is None


def test_a_broker_left_out_of_the_routes_gets_no_sends_of_new_producers():
    with MiniCluster(3, topics={"t": "NORMAL"}) as cluster:
        with pytest.raises(TypeError):
            cluster.set_listed(1, "no")
        with pytest.raises(ValueError):
            cluster.set_listed(-1, False)

        def send_thirty(tag):
            with rmq.Producer(rmq.ClientConfig(cluster.endpoint(0)), topics=["t"]) as producer:
                for i in range(30):
                    producer.send(rmq.Message("t", f"{tag}{i}".encode()))

        cluster.set_listed(1, False)
        send_thirty("hidden")
        assert cluster.messages("t", broker=1) == []
        assert cluster.messages("t", broker=0) and cluster.messages("t", broker=2)
        cluster.set_listed(1, True)
        send_thirty("listed")
        assert cluster.messages("t", broker=1)
