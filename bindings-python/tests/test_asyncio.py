"""The asyncio twins."""

import asyncio
import time

import pytest

import rmq

TOPICS = {"normal": "NORMAL", "tx": "TRANSACTION", "delay": "DELAY"}


@pytest.mark.rmq_broker(topics=TOPICS)
def test_async_producer_and_consumer_round_trip(rmq_config, unique):
    async def main():
        async with rmq.AsyncProducer(rmq_config, topics=["normal"]) as producer, \
                rmq.AsyncSimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                                        await_duration=5) as consumer:
            receipts = await asyncio.gather(*(producer.send(rmq.Message("normal", b"%d" % i))
                                              for i in range(1000)))
            assert len({r.message_id for r in receipts}) == 1000
            batch = await producer.send_batch([rmq.Message("normal", b"b") for _ in range(5)])
            assert len(batch) == 5
            seen = set()
            while len(seen) < 1005:
                views = await consumer.receive(32, 30)
                assert views
                results = await consumer.ack_batch(views)
                assert results == [None] * len(views)
                seen.update(v.message_id for v in views)
            assert seen == {r.message_id for r in receipts + batch}

    asyncio.run(main())


@pytest.mark.rmq_broker(topics=TOPICS)
def test_async_transactions_recall_and_invisible_time(rmq_config, unique):
    async def main():
        async with rmq.AsyncProducer(rmq_config, topics=["tx", "delay"],
                                     transaction_checker=lambda v:
                                     rmq.TransactionResolution.ROLLBACK) as producer, \
                rmq.AsyncSimpleConsumer(rmq_config, unique("g"), {"tx": "*"},
                                        await_duration=5) as consumer:
            tx = producer.begin_transaction()
            await producer.send(rmq.Message("tx", b"yes"), transaction=tx)
            await tx.commit()
            later = await producer.send(rmq.Message("delay", b"later",
                                                    delivery_timestamp=time.time() + 3600))
            assert await producer.recall("delay", later.recall_handle) == later.message_id
            (view,) = await consumer.receive(1, 30)
            assert view.body == b"yes"
            handle = view.receipt_handle
            await consumer.change_invisible_duration(view, 60)
            assert view.receipt_handle != handle
            await consumer.ack(view)

    asyncio.run(main())


@pytest.mark.rmq_broker(topics=TOPICS, strict=True)
def test_async_errors_are_typed(rmq_config, unique):
    async def main():
        with pytest.raises(rmq.NotFoundError):
            await rmq.AsyncProducer(rmq_config, topics=["missing"]).start()
        producer = rmq.AsyncProducer(rmq_config)
        with pytest.raises(rmq.ClosedError):
            await producer.send(rmq.Message("normal", b"x"))  # not started
        async with producer:
            with pytest.raises(rmq.PayloadTooLargeError):
                await producer.send(rmq.Message("normal", b"x" * (4 * 1024 * 1024 + 1)))
        with pytest.raises(rmq.ClosedError):
            await producer.send(rmq.Message("normal", b"x"))
        with pytest.raises(ValueError):
            await rmq.AsyncSimpleConsumer(rmq_config, unique("g"), {"normal": "*"}).receive(0)

    asyncio.run(main())


@pytest.mark.rmq_broker(topics=TOPICS)
def test_cancelled_awaits_do_not_break_the_loop(rmq_config, unique):
    async def main():
        async with rmq.AsyncSimpleConsumer(rmq_config, unique("g"), {"normal": "*"},
                                           await_duration=5) as consumer, \
                rmq.AsyncProducer(rmq_config, topics=["normal"]) as producer:
            waiting = asyncio.ensure_future(consumer.receive(1, 30))
            await asyncio.sleep(0)  # one loop turn: the receive is now handed to the runtime
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            # The loop still gets results afterwards. The cancelled receive was not withdrawn:
            # it takes the message sent now, and its answer is dropped quietly, so the
            # message stays invisible for its 30 s and the next receive comes back empty.
            assert (await producer.send(rmq.Message("normal", b"x"))).message_id
            assert await consumer.receive(1, 30) == []

    asyncio.run(main())


def test_every_loop_gets_its_own_completions(rmq_broker, rmq_config):
    async def send_one():
        async with rmq.AsyncProducer(rmq_config) as producer:
            return await producer.send(rmq.Message("normal", b"x"))

    # Two loops in turn (as two asyncio.run calls) both work.
    assert asyncio.run(send_one()).message_id
    assert asyncio.run(send_one()).message_id


@pytest.mark.rmq_broker(topics=TOPICS)
def test_concurrent_async_sends_share_requests_with_zero_linger(rmq_broker, rmq_config):
    async def send_200(linger):
        async with rmq.AsyncProducer(rmq_config, topics=["normal"], linger=linger) as producer:
            before = rmq_broker.rpc_calls("SendMessage")
            receipts = await asyncio.gather(*(producer.send(rmq.Message("normal", b"x"))
                                              for _ in range(200)))
            assert len({r.message_id for r in receipts}) == 200
            return rmq_broker.rpc_calls("SendMessage") - before

    assert asyncio.run(send_200(0.0)) < 100
    assert asyncio.run(send_200(None)) == 200  # the default: a request per send
