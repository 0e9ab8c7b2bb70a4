// Leak check of the Node.js binding: N create/start/use/close cycles of every client (a
// producer, a push consumer, a simple consumer, a lite push consumer) against one in-process
// MiniBroker. After the warm-up cycles and again at the end (each after a full garbage
// collection) it reads the process's threads, open descriptors and resident memory
// (/proc/self) and V8's heap: threads and descriptors may not grow, memory and heap at most
// --max-growth percent (10: resident memory also holds the allocator's pools, which keep
// growing in steps for a few thousand cycles; RELIABILITY.md has heaptrack's count of what
// is really left allocated). It then checks that a closed client keeps nothing alive: the process
// must exit by itself.
//   node --expose-gc --max-semi-space-size=1 bindings-node/reliability/lifecycle.mjs \
//     [--cycles 1000] [--warm-up 500] [--max-growth 10]
// V8 grows its young generation by design (up to 2 x 16 MiB of semi-spaces, never given
// back), and the allocator its pools over the first few hundred cycles: the smallest young
// generation and a long warm-up leave in the resident memory what a leak would add.
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Producer, PushConsumer, SimpleConsumer, LitePushConsumer } from 'rmq';
import { MiniBroker } from 'rmq/testing';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000' },
    'warm-up': { type: 'string', default: '500' },
    'max-growth': { type: 'string', default: '10' },
  },
});
const cycles = Number(values.cycles);
const maxGrowth = Number(values['max-growth']);
if (typeof globalThis.gc !== 'function' || !process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
  console.error('run with node --expose-gc --max-semi-space-size=1');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function footprint() {
  // Closed clients finish their native tasks in a moment; then collect everything.
  await sleep(300);
  globalThis.gc();
  await sleep(50);
  globalThis.gc();
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))[1]);
  return {
    rssKib: field('VmRSS'),
    threads: field('Threads'),
    fds: readdirSync('/proc/self/fd').length,
    heapKib: Math.round(process.memoryUsage().heapUsed / 1024),
  };
}

const broker = await MiniBroker.start({ topics: { t: 'NORMAL', lite: 'LITE' }, groups: { 'lc-lite': { liteTopic: 'lite' } } });
const endpoints = broker.endpoint;

async function oneCycle(i) {
  const producer = await new Producer({ endpoints, topics: ['t'] }).start();
  await producer.send({ topic: 't', body: Buffer.from(`cycle ${i}`) });
  await producer.close();
  const push = await new PushConsumer({
    endpoints, consumerGroup: 'lc-push', subscriptions: { t: '*' }, messageListener: () => {},
  }).start();
  await push.close();
  const simple = await new SimpleConsumer({
    endpoints, consumerGroup: 'lc-simple', subscriptions: { t: '*' }, awaitDuration: 10,
  }).start();
  for (const view of await simple.receive({ maxMessages: 1, invisibleDuration: 10000 })) {
    await simple.ack(view);
  }
  await simple.close();
  const lite = await new LitePushConsumer({
    endpoints, consumerGroup: 'lc-lite', topic: 'lite', messageListener: () => {},
  }).start();
  await lite.subscribeLite('one');
  await lite.close();
}

const warmUp = Number(values['warm-up']);
for (let i = 0; i < warmUp; i++) await oneCycle(i);
const before = await footprint();
const started = performance.now();
for (let i = 0; i < cycles; i++) await oneCycle(i);
const took = (performance.now() - started) / 1000;
let after = await footprint();
// Idle threads of the runtime's blocking pool (where listeners wait for the JS thread) end
// after 10 s without work: a thread count still above the warm-up's after that is a leak.
for (let waited = 0; after.threads > before.threads && waited < 12000; waited += 1000) {
  await sleep(1000);
  after = await footprint();
}
await broker.close();

const pct = (a, b) => ((b - a) * 100) / a;
const rss = pct(before.rssKib, after.rssKib);
const heap = pct(before.heapKib, after.heapKib);
console.log(`node lifecycle: ${cycles} cycles of four clients in ${took.toFixed(1)} s`);
for (const [name, f] of [['after warm-up', before], ['at the end', after]]) {
  console.log(`  ${name}: ${(f.rssKib / 1024).toFixed(1)} MiB RSS, ${f.threads} threads, ${f.fds} fds, ${(f.heapKib / 1024).toFixed(1)} MiB V8 heap`);
}
console.log(`  growth: RSS ${rss.toFixed(1)} %, V8 heap ${heap.toFixed(1)} %, threads ${after.threads - before.threads}, fds ${after.fds - before.fds}`);
const failed = [];
if (rss > maxGrowth) failed.push(`RSS grew ${rss.toFixed(1)} % (limit ${maxGrowth} %)`);
if (heap > maxGrowth) failed.push(`V8 heap grew ${heap.toFixed(1)} % (limit ${maxGrowth} %)`);
if (after.threads > before.threads || after.fds > before.fds) failed.push('threads or descriptors leaked');
for (const f of failed) console.log(`FAIL ${f}`);
console.log(`node lifecycle ${failed.length ? 'FAILED' : 'PASSED'}`);
process.exitCode = failed.length ? 1 : 0;
// No explicit exit: if a closed client kept a handle alive, the process would hang here (the
// test command runs this under a timeout).
