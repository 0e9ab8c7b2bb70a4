// One benchmark phase of one client, in its own process (bench.mjs runs it):
//   node client.cjs rmq|official ENDPOINT PHASE N TOPIC
// Prints one JSON line with the phase's figures and this process's peak RSS.
const fs = require('node:fs');
const path = require('node:path');

const [which, endpoints, phase, countText, topic] = process.argv.slice(2);
const n = Number(countText);
const loadStarted = process.hrtime.bigint();
const lib = which === 'rmq' ? require(path.join(__dirname, '..', 'lib', 'index.cjs')) : require('rocketmq-client-nodejs');
const loadMs = Number(process.hrtime.bigint() - loadStarted) / 1e6;
const body = Buffer.alloc(64, 'x');
const group = `bench-${phase}-${process.pid}`;
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {} };
const common = which === 'rmq' ? { endpoints } : { endpoints, logger: silent };

function hwmMB() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time of this whole process (every thread, user and system) per message since `since`. */
function cpuPerMessage(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / n;
}

async function producer(extra = {}) {
  const p = new lib.Producer({ ...common, topics: [topic], ...extra });
  await p.startup();
  return p;
}

async function fill(p, count) {
  for (let done = 0; done < count; done += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - done) }, () => p.send({ topic, body })));
  }
}

/** `n` sends started at once: rate and peak RSS. */
async function inFlight(p) {
  await fill(p, 200);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, () => p.send({ topic, body })));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const figures = { rate: n / seconds, cpuUs: cpuPerMessage(cpu), hwmMB: hwmMB() };
  await p.shutdown();
  return figures;
}

const phases = {
  async sequential() {
    const p = await producer();
    for (let i = 0; i < 50; i += 1) await p.send({ topic, body });
    const took = [];
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) {
      const t = process.hrtime.bigint();
      await p.send({ topic, body });
      took.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    took.sort((a, b) => a - b);
    const figures = { rate: n / seconds, cpuUs: cpuPerMessage(cpu), p50us: took[Math.floor(n / 2)], p99us: took[Math.floor(n * 0.99)] };
    if (which === 'rmq') {
      // The core's own sequential sends in this process: the floor a JS `await send()` sits on.
      const core = await p._live('send').coreSequentialSends(require(path.join(__dirname, '..', 'lib', 'message.cjs')).toNative({ topic, body }), n);
      figures.coreRate = n / (core.reduce((a, b) => a + b, 0) / 1e6);
      core.sort((a, b) => a - b);
      figures.coreP50us = core[Math.floor(n / 2)];
    }
    await p.shutdown();
    return figures;
  },
  async concurrent() {
    return inFlight(await producer());
  },
  // rmq only: the same with linger mode at 0 ms (concurrent sends to one topic leave together).
  async lingered() {
    return inFlight(await producer({ linger: 0 }));
  },

  async receive() {
    const p = await producer();
    await fill(p, n);
    await p.shutdown();
    const c = new lib.SimpleConsumer({ ...common, consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 5000 });
    await c.startup();
    let got = 0;
    const started = process.hrtime.bigint();
    while (got < n) {
      const views = await c.receive(32, 30000);
      await Promise.all(views.map((v) => c.ack(v)));
      got += views.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await c.shutdown();
    return { rate: n / seconds };
  },
  async push() {
    const p = await producer();
    await fill(p, n);
    await p.shutdown();
    let got = 0;
    let finish;
    const done = new Promise((resolve) => { finish = resolve; });
    const started = process.hrtime.bigint();
    const c = new lib.PushConsumer({
      ...common, consumerGroup: group, subscriptions: new Map([[topic, '*']]),
      messageListener: { consume: async () => {
        got += 1;
        if (got === n) finish();
        return lib.ConsumeResult.SUCCESS;
      } },
    });
    await c.startup();
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await c.shutdown();
    return { rate: n / seconds };
  },
};

phases[phase]().then((figures) => {
  console.log(JSON.stringify({ which, phase, n, loadMs, hwmMB: hwmMB(), ...figures }));
  process.exit(0);
}, (err) => {
  console.error(`${which} ${phase}: ${err?.stack ?? err}`);
  process.exit(1);
});
