"""Benchmark: rmq against the official rocketmq-python-client, in one run, against one
in-process mini-broker (memory store) started here.

Each client scenario runs in its own process (so import time and peak RSS are that
client's alone) and prints one JSON line; this process prints the table.

    python bindings-python/bench/bench.py [--quick]

Needs `rmq` and `rocketmq-python-client` installed in the same interpreter.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BODY = b"x" * 1024
WINDOW = 1000  # sends in flight in the async scenario


# ---------------------------------------------------------------- workers (child processes)

def rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report
    # the high-water mark of the forked driver (which holds the broker's store).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def latency(samples):
    samples = sorted(samples)
    return {"p50_us": samples[len(samples) // 2] * 1e6,
            "p99_us": samples[int(len(samples) * 0.99)] * 1e6}


def rmq_sync(endpoint, n, topic):
    """Sequential sync sends, and the same sends made by the Rust core itself from a task on
    the binding's runtime (no Python between calls), in alternating rounds so both see the
    same machine: the difference is what a blocking caller pays."""
    import rmq
    with rmq.Producer(rmq.ClientConfig(endpoint), topics=[topic]) as producer:
        message = rmq.Message(topic, BODY)
        for _ in range(200):
            producer.send(message)
        took, core, elapsed, core_elapsed = [], [], 0.0, 0.0
        rounds = 4
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(n // rounds):
                t = time.perf_counter()
                producer.send(message)
                took.append(time.perf_counter() - t)
            elapsed += time.perf_counter() - started
            started = time.perf_counter()
            core.extend(producer._native.core_sequential_sends(message, n // rounds))
            core_elapsed += time.perf_counter() - started
    core_latency = latency(core)
    return {"msgs": len(took), "rate": len(took) / elapsed, **latency(took),
            "core_rate": len(core) / core_elapsed, "core_p50_us": core_latency["p50_us"]}


def rmq_async(endpoint, n, topic, linger=None):
    import asyncio
    import rmq

    async def main():
        async with rmq.AsyncProducer(rmq.ClientConfig(endpoint), topics=[topic],
                                     linger=linger) as producer:
            message = rmq.Message(topic, BODY)
            await asyncio.gather(*(producer.send(message) for _ in range(WINDOW)))

            # WINDOW tasks, each sending one message at a time: WINDOW sends in flight.
            async def sender(k):
                for _ in range(k):
                    await producer.send(message)

            started = time.perf_counter()
            await asyncio.gather(*(sender(n // WINDOW) for _ in range(WINDOW)))
            return time.perf_counter() - started

    elapsed = asyncio.run(main())
    n = n // WINDOW * WINDOW
    return {"msgs": n, "rate": n / elapsed}


def rmq_receive(endpoint, n, topic, batch_ack=False):
    import rmq
    config = rmq.ClientConfig(endpoint)
    group = f"bench-{topic}-{os.getpid()}"
    with rmq.SimpleConsumer(config, group, {topic: "*"}, await_duration=5) as consumer:
        got = 0
        started = time.perf_counter()
        while got < n:
            views = consumer.receive(32, 30)
            if not views:
                break
            if batch_ack:
                consumer.ack_batch(views)
            else:
                for view in views:
                    consumer.ack(view)
            got += len(views)
        elapsed = time.perf_counter() - started
    return {"msgs": got, "rate": got / elapsed}


def rmq_push(endpoint, n, topic):
    import threading
    import rmq
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    def listener(view):
        with lock:
            count[0] += 1
            if count[0] == n:
                done.set()
        return rmq.ConsumeResult.SUCCESS

    started = time.perf_counter()
    with rmq.PushConsumer(rmq.ClientConfig(endpoint), f"bench-{topic}-{os.getpid()}",
                          {topic: "*"}, listener):
        done.wait(600)
        elapsed = time.perf_counter() - started
    return {"msgs": count[0], "rate": count[0] / elapsed}


def official_push(endpoint, n, topic):
    import threading
    from rocketmq import (ClientConfiguration, ConsumeResult, Credentials, FilterExpression,
                          MessageListener, PushConsumer)
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    class Count(MessageListener):
        def consume(self, message):
            with lock:
                count[0] += 1
                if count[0] == n:
                    done.set()
            return ConsumeResult.SUCCESS

    started = time.perf_counter()
    consumer = PushConsumer(ClientConfiguration(endpoint, Credentials()),
                            f"bench-{topic}-{os.getpid()}", Count(),
                            {topic: FilterExpression("*")})
    consumer.startup()
    try:
        done.wait(600)
        elapsed = time.perf_counter() - started
    finally:
        consumer.shutdown()
    return {"msgs": count[0], "rate": count[0] / elapsed}


def official_producer(endpoint, topic):
    from rocketmq import ClientConfiguration, Credentials, Producer
    producer = Producer(ClientConfiguration(endpoint, Credentials()), (topic,))
    producer.startup()
    return producer


def official_message(topic):
    from rocketmq import Message
    m = Message()
    m.topic = topic
    m.body = BODY
    return m


def official_sync(endpoint, n, topic):
    producer = official_producer(endpoint, topic)
    try:
        for _ in range(100):
            producer.send(official_message(topic))
        took = []
        started = time.perf_counter()
        for _ in range(n):
            m = official_message(topic)
            t = time.perf_counter()
            producer.send(m)
            took.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
    finally:
        producer.shutdown()
    return {"msgs": n, "rate": n / elapsed, **latency(took)}


def official_async(endpoint, n, topic):
    import threading
    producer = official_producer(endpoint, topic)
    try:
        window = threading.Semaphore(WINDOW)
        done = threading.Event()
        finished = [0]
        lock = threading.Lock()

        def settled(_future):
            window.release()
            with lock:
                finished[0] += 1
                if finished[0] == n:
                    done.set()

        started = time.perf_counter()
        for _ in range(n):
            window.acquire()
            producer.send_async(official_message(topic)).add_done_callback(settled)
        done.wait(600)
        elapsed = time.perf_counter() - started
    finally:
        producer.shutdown()
    return {"msgs": finished[0], "rate": finished[0] / elapsed}


def official_receive(endpoint, n, topic):
    from rocketmq import ClientConfiguration, Credentials, FilterExpression, SimpleConsumer
    consumer = SimpleConsumer(ClientConfiguration(endpoint, Credentials()),
                              f"bench-{topic}-{os.getpid()}", {topic: FilterExpression("*")})
    consumer.startup()
    try:
        got = 0
        started = time.perf_counter()
        while got < n:
            try:
                views = consumer.receive(32, 30)
            except Exception as e:
                # Under load its first receive can overtake its own Telemetry Settings; the
                # server then refuses it (INTERNAL_SERVER_ERROR, as Apache's proxy does).
                if got == 0 and "Settings" in str(e):
                    time.sleep(0.1)
                    continue
                raise
            if not views:
                break
            for view in views:
                consumer.ack(view)
            got += len(views)
        elapsed = time.perf_counter() - started
    finally:
        consumer.shutdown()
    return {"msgs": got, "rate": got / elapsed}


def import_time(module):
    started = time.perf_counter()
    __import__(module)
    return {"ms": (time.perf_counter() - started) * 1000}


WORKERS = {
    "rmq-sync": rmq_sync, "rmq-async": rmq_async,
    "rmq-async-linger": lambda e, n, t: rmq_async(e, n, t, linger=0.005),
    "rmq-async-linger0": lambda e, n, t: rmq_async(e, n, t, linger=0.0),
    "rmq-receive": rmq_receive,
    "rmq-receive-batch-ack": lambda e, n, t: rmq_receive(e, n, t, batch_ack=True),
    "official-sync": official_sync, "official-async": official_async,
    "official-receive": official_receive,
    "rmq-push": rmq_push, "official-push": official_push,
}


def worker(name, endpoint, n, topic):
    if name.startswith("import-"):
        result = import_time(name[len("import-"):])
    else:
        result = WORKERS[name](endpoint, n, topic)
    result["rss_mb"] = rss_mb()
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------- driver

def run(name, endpoint="", n=0, topic=""):
    out = subprocess.run([sys.executable, __file__, "--worker", name, endpoint, str(n), topic],
                         capture_output=True, text=True, timeout=900)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{name} failed:\n{out.stdout}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def preload(endpoint, topic, n):
    import rmq
    with rmq.Producer(rmq.ClientConfig(endpoint), topics=[topic]) as producer:
        for start in range(0, n, 64):
            producer.send_batch([rmq.Message(topic, BODY) for _ in range(min(64, n - start))])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    count = lambda n: max(100, int(n * scale))  # noqa: E731

    from rmq.testing import MiniBroker
    import rmq
    topics = {f"{k}-{c}": "NORMAL" for k in ("sync", "async", "receive", "push")
              for c in ("rmq", "rmqb", "rmql", "official")}
    with MiniBroker(topics=topics) as broker:
        e = broker.endpoint
        rows = []

        def row(what, ours, official, unit="msg/s", key="rate", extra=""):
            ratio = ours[key] / official[key] if unit == "msg/s" else official[key] / ours[key]
            rows.append((what, ours[key], official[key], ratio, unit, extra))

        imports = {m: statistics.median(run(f"import-{m}")["ms"] for _ in range(5))
                   for m in ("rmq", "rocketmq")}
        rows.append(("import (median of 5, ms)", imports["rmq"], imports["rocketmq"],
                     imports["rocketmq"] / imports["rmq"], "ms", "lower is better"))

        ours = run("rmq-sync", e, count(20000), "sync-rmq")
        official = run("official-sync", e, count(3000), "sync-official")
        row("sync send, 1 KiB, sequential", ours, official,
            extra=f"p50 {ours['p50_us']:.0f} µs vs {official['p50_us']:.0f} µs; "
                  f"p99 {ours['p99_us']:.0f} µs vs {official['p99_us']:.0f} µs")
        rows.append(("  same sends by the Rust core (no Python)", ours["rate"], ours["core_rate"],
                     ours["rate"] / ours["core_rate"], "msg/s",
                     f"binding/core; p50 {ours['p50_us']:.0f} µs vs "
                     f"{ours['core_p50_us']:.0f} µs, alternating rounds in one process"))
        sync = (ours, official)

        ours = run("rmq-async", e, count(100000), "async-rmq")
        lingered0 = run("rmq-async-linger0", e, count(200000), "async-rmqb")
        lingered = run("rmq-async-linger", e, count(200000), "async-rmql")
        official = run("official-async", e, count(10000), "async-official")
        row(f"async send, {WINDOW} in flight (rmq: asyncio)", ours, official,
            extra=f"peak RSS {ours['rss_mb']:.0f} MB vs {official['rss_mb']:.0f} MB")
        row("  same, rmq with linger=0 (concurrent sends share requests)", lingered0, official,
            extra=f"peak RSS {lingered0['rss_mb']:.0f} MB")
        row("  same, rmq with linger=5 ms", lingered, official,
            extra=f"peak RSS {lingered['rss_mb']:.0f} MB")

        n = count(20000)
        for topic in ("receive-rmq", "receive-rmqb"):
            preload(e, topic, n)
        preload(e, "receive-official", count(5000))
        ours = run("rmq-receive", e, n, "receive-rmq")
        batched = run("rmq-receive-batch-ack", e, n, "receive-rmqb")
        official = run("official-receive", e, count(5000), "receive-official")
        row("receive 32 + ack each", ours, official)
        row("  same, rmq with ack_batch", batched, official)

        preload(e, "push-rmq", n)
        preload(e, "push-official", count(5000))
        ours = run("rmq-push", e, n, "push-rmq")
        official = run("official-push", e, count(5000), "push-official")
        row("push consumer, start to last message", ours, official,
            extra=f"peak RSS {ours['rss_mb']:.0f} MB vs {official['rss_mb']:.0f} MB")

        rows.append(("peak RSS, sync send process (MB)", sync[0]["rss_mb"], sync[1]["rss_mb"],
                     sync[1]["rss_mb"] / sync[0]["rss_mb"], "MB", "lower is better"))

    print(f"\nrmq {rmq.__version__} vs rocketmq-python-client "
          f"{_version('rocketmq-python-client')}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, one in-process mini-broker (memory store)\n")
    print(f"| {'scenario':44} | {'rmq':>10} | {'official':>10} | {'ratio':>6} | unit | notes |")
    print(f"|{'-' * 46}|{'-' * 12}|{'-' * 12}|{'-' * 8}|------|-------|")
    for what, a, b, ratio, unit, extra in rows:
        shown = f"{ratio:>5.2f}" if ratio < 2 else f"{ratio:>5.1f}"
        print(f"| {what:44} | {a:>10,.1f} | {b:>10,.1f} | {shown}× | {unit} | {extra} |")


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "?"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
