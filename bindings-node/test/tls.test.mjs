// TLS against brokers serving the shared test certificates (testdata/tls/): a verified chain,
// a wrong host name, an expired certificate, trust-all, and cleartext to a TLS-only port, each
// with its typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Producer, NetworkError } from 'rmq';
import { MiniBroker } from 'rmq/testing';

const certs = (file) => fileURLToPath(new URL(`../../testdata/tls/${file}`, import.meta.url));
const ca = readFileSync(certs('ca.pem'), 'utf8');

async function broker(t, name, tlsOnly = false) {
  const b = await MiniBroker.start({
    topics: { t: 'NORMAL' }, tlsCert: certs(`${name}.pem`), tlsKey: certs(`${name}.key`), tlsOnly,
  });
  t.after(() => b.close());
  return b;
}

async function sendOne(options) {
  const producer = await new Producer({ topics: ['t'], requestTimeout: 2000, ...options }).start();
  try {
    await producer.send({ topic: 't', body: 'x' });
  } finally {
    await producer.close();
  }
}

test('a chain signed by the trusted CA is verified', async (t) => {
  const b = await broker(t, 'localhost');
  await sendOne({ endpoints: b.endpoint, tls: { ca } });
  assert.equal(b.messages('t').length, 1);
});

for (const [name, words] of [['wrong-host', 'not valid for name'], ['expired', 'expired']]) {
  test(`${name}: a network error naming the certificate's fault; trust-all takes it`, async (t) => {
    const b = await broker(t, name);
    await assert.rejects(sendOne({ endpoints: b.endpoint, tls: { ca } }), (error) => {
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.code, 'RMQ_NETWORK');
      assert.match(error.message, /certificate/);
      assert.ok(error.message.includes(words), error.message);
      return true;
    });
    await sendOne({ endpoints: b.endpoint, tls: 'trust-all' });
    assert.equal(b.messages('t').length, 1);
  });
}

test('cleartext to a TLS-only port is a network error that names TLS', async (t) => {
  const b = await broker(t, 'localhost', true);
  await assert.rejects(sendOne({ endpoints: b.endpoint }), (error) => {
    assert.ok(error instanceof NetworkError, String(error));
    assert.match(error.message, /TLS/);
    return true;
  });
  await sendOne({ endpoints: b.endpoint, tls: { ca } });
  assert.equal(b.messages('t').length, 1);
});

test('tlsCert and tlsKey go together', async () => {
  await assert.rejects(MiniBroker.start({ tlsCert: certs('localhost.pem') }), { code: 'RMQ_INVALID_ARGUMENT', message: /together/ });
});
