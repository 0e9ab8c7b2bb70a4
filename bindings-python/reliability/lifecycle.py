"""Leak check of the Python binding: N create/start/use/close cycles of every client (a
producer, a push consumer, a simple consumer, a lite push consumer, an asyncio producer)
against one in-process MiniBroker. After the warm-up cycles and again at the end it reads
this process's threads, open descriptors and resident memory (/proc/self) and the live
Python objects: threads and descriptors may not grow, memory at most --max-rss-growth
percent. Run it under ``python -X dev`` with ``PYTHONMALLOC=debug`` for the allocator's
checks as well (RELIABILITY.md).

    python bindings-python/reliability/lifecycle.py --cycles 1000
"""

import argparse
import asyncio
import gc
import os
import sys
import time

import rmq
from rmq.testing import MiniBroker


def footprint() -> dict:
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.split()
    gc.collect()
    return {
        "rss_kib": int(status["VmRSS"][0]),
        "threads": int(status["Threads"][0]),
        "fds": len(os.listdir("/proc/self/fd")),
        "objects": len(gc.get_objects()),
    }


def one_cycle(config: rmq.ClientConfig, i: int) -> None:
    with rmq.Producer(config, topics=["t"]) as producer:
        producer.send(rmq.Message("t", b"cycle %d" % i))
    with rmq.PushConsumer(config, "lc-push", {"t": "*"}, lambda view: rmq.ConsumeResult.SUCCESS):
        pass
    with rmq.SimpleConsumer(config, "lc-simple", {"t": "*"}, await_duration=0.01) as consumer:
        for view in consumer.receive(max_messages=1, invisible_duration=10.0):
            consumer.ack(view)
    with rmq.LitePushConsumer(config, "lc-lite", "lite",
                              lambda view: rmq.ConsumeResult.SUCCESS) as lite:
        lite.subscribe_lite("one")

    async def send() -> None:
        async with rmq.AsyncProducer(config, topics=["t"]) as producer:
            await producer.send(rmq.Message("t", b"async %d" % i))

    asyncio.run(send())


def settled() -> dict:
    # Closed clients finish their last native tasks on the binding's runtime: a moment.
    time.sleep(0.5)
    return footprint()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--max-rss-growth", type=float, default=5.0)
    args = parser.parse_args()
    with MiniBroker(topics={"t": "NORMAL", "lite": "LITE"},
                    groups={"lc-lite": {"lite_topic": "lite"}}) as broker:
        config = rmq.ClientConfig(broker.endpoint)
        warm_up = max(args.cycles // 20, 5)
        for i in range(warm_up):
            one_cycle(config, i)
        before = settled()
        started = time.monotonic()
        for i in range(args.cycles):
            one_cycle(config, i)
        took = time.monotonic() - started
        after = settled()
    rss = (after["rss_kib"] - before["rss_kib"]) * 100.0 / before["rss_kib"]
    print(f"python lifecycle: {args.cycles} cycles of five clients in {took:.1f} s "
          f"({'dev mode' if sys.flags.dev_mode else 'normal mode'}, "
          f"PYTHONMALLOC={os.environ.get('PYTHONMALLOC', 'default')})")
    for name, f in (("after warm-up", before), ("at the end", after)):
        print(f"  {name}: {f['rss_kib'] / 1024:.1f} MiB RSS, {f['threads']} threads, "
              f"{f['fds']} fds, {f['objects']} Python objects")
    print(f"  growth: RSS {rss:+.1f} %, threads {after['threads'] - before['threads']:+d}, "
          f"fds {after['fds'] - before['fds']:+d}, objects {after['objects'] - before['objects']:+d}")
    failed = []
    if rss > args.max_rss_growth:
        failed.append(f"RSS grew {rss:.1f} % (limit {args.max_rss_growth} %)")
    if after["threads"] > before["threads"] or after["fds"] > before["fds"]:
        failed.append("threads or descriptors leaked")
    # A few objects come and go (caches); a leak per cycle grows with the cycle count.
    if after["objects"] - before["objects"] > max(args.cycles // 2, 200):
        failed.append("Python objects grew with the cycles")
    for f in failed:
        print("FAIL", f)
    print("python lifecycle", "FAILED" if failed else "PASSED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
