"""rmq for Python in one page: an in-process broker, a producer, a simple consumer, a push
consumer, a transaction and the asyncio producer.

    python bindings-python/examples/quickstart.py
"""

import asyncio
import threading

import rmq
from rmq.testing import MiniBroker


def main() -> None:
    topics = {"orders": "NORMAL", "payments": "TRANSACTION"}
    with MiniBroker(topics=topics) as broker:
        config = rmq.ClientConfig(broker.endpoint)

        with rmq.Producer(config, topics=["orders"]) as producer, \
                rmq.SimpleConsumer(config, "billing", {"orders": "new"}) as consumer:
            receipt = producer.send(rmq.Message("orders", b"order 1", tag="new", keys=["o-1"],
                                                properties={"region": "eu"}))
            print("sent", receipt.message_id)
            for view in consumer.receive(max_messages=32, invisible_duration=30.0):
                print("received", view.body, "attempt", view.delivery_attempt,
                      "properties", view.properties)
                consumer.ack(view)

        done = threading.Event()

        def listener(view: rmq.MessageView) -> rmq.ConsumeResult:
            print("push consumer got", view.body)
            done.set()
            return rmq.ConsumeResult.SUCCESS

        with rmq.PushConsumer(config, "shipping", {"orders": "*"}, listener), \
                rmq.Producer(config, topics=["orders", "payments"],
                             transaction_checker=lambda view:
                             rmq.TransactionResolution.COMMIT) as producer:
            producer.send(rmq.Message("orders", b"order 2"))
            done.wait(10)
            with producer.begin_transaction() as transaction:
                producer.send(rmq.Message("payments", b"pay order 2"), transaction=transaction)
            print("transaction committed")

        async def send_many() -> None:
            async with rmq.AsyncProducer(config, topics=["orders"]) as producer:
                receipts = await asyncio.gather(
                    *(producer.send(rmq.Message("orders", b"bulk %d" % i)) for i in range(100)))
                print("asyncio sent", len(receipts))

        asyncio.run(send_many())


if __name__ == "__main__":
    main()
