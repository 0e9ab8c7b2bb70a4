"""The official Python client (rocketmq-python-client) against rmq-mini-broker.

Usage: python check.py HOST:PORT. Prints PASS/FAIL per scenario and a closing tally line.
"""

import sys
import threading
import time

from rocketmq import (ClientConfiguration, ConsumeResult, Credentials, FilterExpression,
                      Message, MessageListener, Producer, PushConsumer, SimpleConsumer,
                      TransactionChecker, TransactionResolution)

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def message(topic, body, **fields):
    m = Message()
    m.topic = topic
    m.body = body.encode()
    for key, value in fields.items():
        setattr(m, key, value)
    return m


def receive_all(consumer, want, seconds=20, invisible=15):
    got, deadline = [], time.time() + seconds
    while len(got) < want and time.time() < deadline:
        got.extend(consumer.receive(32, invisible))
    return got


class Commit(TransactionChecker):
    def __init__(self):
        self.asked = threading.Event()

    def check(self, message):
        self.asked.set()
        return TransactionResolution.COMMIT


class Collect(MessageListener):
    def __init__(self):
        self.bodies = []

    def consume(self, message):
        self.bodies.append(message.body.decode())
        return ConsumeResult.SUCCESS


def main(endpoint):
    config = ClientConfiguration(endpoint, Credentials())
    producer = Producer(config, ("normal", "fifo", "delay"))
    producer.startup()
    for i in range(3):
        m = message("normal", f"n{i}", tag="TagA", keys=f"k{i}")
        m.add_property("color", "red")
        producer.send(m)
    simple = SimpleConsumer(config, "py-simple", {"normal": FilterExpression("TagA")})
    simple.startup()
    got = receive_all(simple, 3)
    check(len(got) == 3 and all(v.properties.get("color") == "red" for v in got),
          f"simple consumer receives 3 tagged messages with properties ({len(got)})")
    for view in got:
        simple.ack(view)

    producer.send(message("normal", "again", tag="Redo"))
    redo = SimpleConsumer(config, "py-redo", {"normal": FilterExpression("Redo")})
    redo.startup()
    first = receive_all(redo, 1)
    if first:
        redo.change_invisible_duration(first[0], 1)
        time.sleep(1.5)
    second = receive_all(redo, 1)
    check(len(first) == 1 and len(second) == 1 and second[0].delivery_attempt == 2,
          "change_invisible_duration(1s) brings the message back with attempt 2")
    for view in second:
        redo.ack(view)

    for i in range(4):
        producer.send(message("fifo", f"f{i}", message_group="g1"))
    listener = Collect()
    push = PushConsumer(config, "py-fifo", listener, {"fifo": FilterExpression()})
    push.startup()
    deadline = time.time() + 20
    while len(listener.bodies) < 4 and time.time() < deadline:
        time.sleep(0.1)
    check(listener.bodies == ["f0", "f1", "f2", "f3"], f"FIFO push consumer in order {listener.bodies}")

    # This client takes the delivery timestamp in epoch seconds.
    at = int(time.time()) + 2
    producer.send(message("delay", "later", delivery_timestamp=at))
    delayed = SimpleConsumer(config, "py-delay", {"delay": FilterExpression()})
    delayed.startup()
    got = receive_all(delayed, 1)
    check(len(got) == 1 and time.time() >= at, "delay message arrives after its time")

    checker = Commit()
    tx_producer = Producer(config, ("tx",), checker)
    tx_producer.startup()
    tx = tx_producer.begin_transaction()
    tx_producer.send(message("tx", "orphan"), tx)
    check(checker.asked.wait(20), "transaction checker is asked about an undecided transaction")

    for client in (producer, simple, redo, push, delayed, tx_producer):
        client.shutdown()


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as error:  # a client exception is a failed scenario, reported as such
        check(False, f"unexpected {type(error).__name__}: {error}")
    print(f"python official client: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
