// rmq's Node binding beside the official rocketmq-client-nodejs 1.0.8, in the same run, on one
// in-process mini-broker; each client and phase in its own process.
//   node bench/bench.mjs [--quick] [--busy]
// Needs `npm install` in bench/ (the official client). `--busy` keeps every core busy at the
// lowest priority for the whole run, so no CPU ever idles: on a VM it shows how much of a
// figure is the cost of waking an idle virtual CPU (BENCHMARKS.md).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MiniBroker } from '../lib/testing.mjs';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { sequential: 500, concurrent: 2000, lingered: 2000, receive: 1000, push: 1000 }
  : { sequential: 5000, concurrent: 10000, lingered: 10000, receive: 5000, push: 5000 };
// Phases only rmq has (the official client has no linger mode).
const rmqOnly = new Set(['lingered']);
const client = fileURLToPath(new URL('./client.cjs', import.meta.url));

function phase(which, endpoint, name, n) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [client, which, endpoint, name, String(n), `bench-${which}-${name}-${Date.now()}`],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`${which} ${name} exited with ${code}`));
      else resolve(JSON.parse(line));
    });
  });
}

const spinners = process.argv.includes('--busy')
  ? os.cpus().map(() => {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    os.setPriority(child.pid, 19);
    child.unref();
    return child;
  })
  : [];
// Unref'd, they do not keep this process up; they end with it, however it ends.
process.on('exit', () => { for (const child of spinners) child.kill(); });
const broker = await MiniBroker.start();
const results = {};
for (const name of Object.keys(sizes)) {
  for (const which of rmqOnly.has(name) ? ['rmq'] : ['official', 'rmq']) {
    results[`${which}/${name}`] = await phase(which, broker.endpoint, name, sizes[name]);
  }
}
await broker.close();

const fmt = (x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rows = [];
const row = (what, official, rmq, ratio) => rows.push(`| ${what} | ${official} | ${rmq} | ${ratio} |`);
const o = (k) => results[`official/${k}`];
const r = (k) => results[`rmq/${k}`];
row(`sequential await send(), ${sizes.sequential} msgs: msg/s`, fmt(o('sequential').rate), fmt(r('sequential').rate), `${fmt(r('sequential').rate / o('sequential').rate, 2)}x`);
row('  p50 / p99 latency (µs)', `${fmt(o('sequential').p50us)} / ${fmt(o('sequential').p99us)}`, `${fmt(r('sequential').p50us)} / ${fmt(r('sequential').p99us)}`, '');
row('  the core\'s own sequential sends in the rmq process: msg/s, p50 µs', '—', `${fmt(r('sequential').coreRate)}, ${fmt(r('sequential').coreP50us)} µs`, `binding ${fmt(r('sequential').rate / r('sequential').coreRate, 2)}x the core`);
row('  CPU time of the client process per send (µs, all threads)', fmt(o('sequential').cpuUs), fmt(r('sequential').cpuUs), `${fmt(r('sequential').cpuUs / o('sequential').cpuUs, 2)}x`);
row(`${sizes.concurrent} sends in flight: msg/s`, fmt(o('concurrent').rate), fmt(r('concurrent').rate), `${fmt(r('concurrent').rate / o('concurrent').rate, 2)}x`);
row('  CPU time of the client process per send (µs, all threads)', fmt(o('concurrent').cpuUs), fmt(r('concurrent').cpuUs), `${fmt(r('concurrent').cpuUs / o('concurrent').cpuUs, 2)}x`);
row(`  peak RSS with ${sizes.concurrent} in flight (MB)`, fmt(o('concurrent').hwmMB), fmt(r('concurrent').hwmMB), `${fmt(r('concurrent').hwmMB / o('concurrent').hwmMB, 2)}x`);
row(`  the same with linger: 0 (rmq's batching of concurrent sends): msg/s, peak RSS MB`, '—', `${fmt(r('lingered').rate)}, ${fmt(r('lingered').hwmMB)} MB`, `${fmt(r('lingered').rate / o('concurrent').rate, 2)}x`);
row(`receive(32) + ack, ${sizes.receive} msgs: msg/s`, fmt(o('receive').rate), fmt(r('receive').rate), `${fmt(r('receive').rate / o('receive').rate, 2)}x`);
row(`push consumer, ${sizes.push} msgs: msg/s`, fmt(o('push').rate), fmt(r('push').rate), `${fmt(r('push').rate / o('push').rate, 2)}x`);
row('require() time (ms)', fmt(o('sequential').loadMs, 1), fmt(r('sequential').loadMs, 1), `${fmt(r('sequential').loadMs / o('sequential').loadMs, 2)}x`);
console.log(`Node ${process.version}, ${quick ? 'quick run' : 'full run'}${spinners.length ? ', every core kept busy at the lowest priority' : ''}, one in-process mini-broker, each client and phase in its own process\n`);
console.log('| measure | rocketmq-client-nodejs 1.0.8 | rmq | rmq / official |');
console.log('| --- | --- | --- | --- |');
console.log(rows.join('\n'));
