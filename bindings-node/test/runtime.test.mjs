// The runtime rules: processes exit by themselves once clients are closed, an open push
// consumer keeps the process alive (unless unref()), worker threads close their clients when
// terminated, CJS and ESM both load, TLS (verified and trust-all) and signed requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Producer, SimpleConsumer, UnauthorizedError, NetworkError, coreVersion, setLogger } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { receiveN, unique, waitFor } from './helpers.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs a fixture; resolves to { code, firstLineAt, exitedAt, stdout } (killed after `limitMs`). */
function run(script, args = [], limitMs = 30000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let firstLineAt = null;
    child.stdout.on('data', (d) => {
      stdout += d;
      firstLineAt ??= Date.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, firstLineAt, exitedAt: Date.now(), stdout });
    });
  });
}

test('a script that closes every client and the broker exits by itself within 2 s (ESM and CJS)', async (t) => {
  for (const script of ['lifecycle.mjs', 'lifecycle.cjs']) {
    const { code, firstLineAt, exitedAt, stdout } = await run(script, ['close']);
    assert.equal(stdout.trim(), 'closed', script);
    assert.equal(code, 0, script);
    assert.ok(exitedAt - firstLineAt < 2000, `${script} took ${exitedAt - firstLineAt} ms to exit`);
  }
});

test('an open push consumer keeps the process alive; unref() lets it exit', async (t) => {
  const kept = await run('lifecycle.mjs', ['keep'], 4000);
  assert.equal(kept.stdout.trim(), 'started');
  assert.equal(kept.signal, 'SIGKILL', 'the process should still run until killed');
  const unrefed = await run('lifecycle.mjs', ['unref']);
  assert.equal(unrefed.stdout.trim(), 'started');
  assert.equal(unrefed.code, 0);
  assert.ok(unrefed.exitedAt - unrefed.firstLineAt < 2000);
});

test('terminating a worker closes its clients; the main thread\'s keep working', async (t) => {
  const broker = await MiniBroker.start({ topics: { w: 'NORMAL' } });
  t.after(() => broker.close());
  const producer = await new Producer({ endpoints: broker.endpoint }).start();
  t.after(() => producer.close());
  const tag = unique('tag');
  const worker = new Worker(fixture('worker.mjs'), { workerData: { endpoint: broker.endpoint, tag } });
  let consumed = 0;
  worker.on('message', (m) => {
    if (m.consumed) consumed = m.consumed;
  });
  await waitFor(() => consumed > 5, 20000, 'the worker to consume');
  const goodbyes = broker.rpcCalls('NotifyClientTermination');
  await worker.terminate();
  // Its producer and push consumer tell the broker they are gone.
  await waitFor(() => broker.rpcCalls('NotifyClientTermination') >= goodbyes + 2, 20000, 'the worker\'s clients to close');
  const receipt = await producer.send({ topic: 'w', body: 'main', tag: unique('main') });
  assert.equal(typeof receipt.messageId, 'string');
});

test('TLS: verified against the broker certificate, and trust-all', async (t) => {
  const broker = await MiniBroker.start({ topics: { t: 'NORMAL' } });
  t.after(() => broker.close());
  for (const tls of [{ ca: broker.tlsCertificatePem }, 'trust-all']) {
    const producer = await new Producer({ endpoints: broker.endpoint, tls, topics: ['t'] }).start();
    t.after(() => producer.close());
    await producer.send({ topic: 't', body: 'secure' });
  }
  // Verified TLS against the system roots refuses the self-signed certificate.
  await assert.rejects(new Producer({ endpoints: broker.endpoint, tls: true, topics: ['t'], requestTimeout: 2000 }).start(), NetworkError);
});

test('signed requests: right credentials pass, a wrong secret is UnauthorizedError', async (t) => {
  const broker = await MiniBroker.start({ topics: { t: 'NORMAL' }, credentials: { ak: 'sk' } });
  t.after(() => broker.close());
  const tag = unique('tag');
  {
    const producer = await new Producer({ endpoints: broker.endpoint, credentials: { accessKey: 'ak', accessSecret: 'sk' } }).start();
    t.after(() => producer.close());
    await producer.send({ topic: 't', body: 'signed', tag });
  }
  const consumer = await new SimpleConsumer({
    endpoints: broker.endpoint, sessionCredentials: { accessKey: 'ak', accessSecret: 'sk' }, consumerGroup: unique('g'), subscriptions: { t: tag }, awaitDuration: 200,
  }).start();
  t.after(() => consumer.close());
  assert.equal((await receiveN(consumer, 1)).length, 1);
  await assert.rejects(
    new Producer({ endpoints: broker.endpoint, topics: ['t'], credentials: { accessKey: 'ak', accessSecret: 'wrong' } }).start(),
    (err) => err instanceof UnauthorizedError && err.code === 'RMQ_UNAUTHORIZED');
});

test('secrets stay out of inspect, errors and logs', async (t) => {
  const secret = 's3cr3t-Sk-7f1e';
  const logged = [];
  setLogger((level, target, message) => logged.push(`${target} ${message}`), { level: 'trace' });
  t.after(() => setLogger(null, { level: 'warn' }));
  const broker = await MiniBroker.start({ topics: { t: 'NORMAL' }, credentials: { ak: secret } });
  t.after(() => broker.close());
  const credentials = { accessKey: 'ak', accessSecret: secret, securityToken: secret };
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['t'], credentials }).start();
  await producer.send({ topic: 't', body: 'x' });
  const shown = [inspect(producer, { depth: 10, showHidden: true })];
  await producer.close();
  const refused = await new Producer({
    endpoints: broker.endpoint, topics: ['t'], credentials: { accessKey: 'ak', accessSecret: `${secret}-wrong` },
  }).start().catch((err) => err);
  assert.ok(refused instanceof UnauthorizedError);
  shown.push(String(refused), inspect(refused, { depth: 10, showHidden: true }), JSON.stringify(refused));
  await waitFor(() => logged.length > 0);
  assert.deepEqual([...shown, ...logged].filter((s) => s.includes(secret)), []);
});

test('CJS and ESM give the same objects', async (t) => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('rmq');
  const esm = await import('rmq');
  assert.equal(cjs.Producer, esm.Producer);
  assert.equal(esm.default.RmqError, esm.RmqError);
  assert.equal(typeof coreVersion, 'string');
});
