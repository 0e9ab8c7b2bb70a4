// Shared by the node:test files: waiting on conditions, never on fixed sleeps.
import { randomUUID } from 'node:crypto';
import net from 'node:net';

export const RUN = randomUUID().slice(0, 8);

/** A run-unique name, so tests sharing a server do not see each other's messages. */
export function unique(what) {
  return `node-${what}-${RUN}-${randomUUID().slice(0, 6)}`;
}

/** Receives until `n` views arrived or `timeoutMs` passed. */
export async function receiveN(consumer, n, { invisibleDuration = 30000, timeoutMs = 20000 } = {}) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < n && Date.now() < deadline) {
    got.push(...await consumer.receive({ maxMessages: 32, invisibleDuration }));
  }
  return got;
}

/** Resolves once `condition()` is true (polled every 5 ms), or rejects after `timeoutMs`. */
export async function waitFor(condition, timeoutMs = 20000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve function (Node 20 has no Promise.withResolvers). */
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One request to the admin facade, framed as Apache's tools frame it: the answer's header and body. */
export async function remotingCall(endpoint, code, fields) {
  const header = Buffer.from(JSON.stringify({ code, flag: 0, language: 'JAVA', opaque: 1, serializeTypeCurrentRPC: 'JSON', version: 513, extFields: fields }));
  const frame = Buffer.alloc(8);
  frame.writeUInt32BE(4 + header.length, 0);
  frame.writeUInt32BE(header.length, 4);
  const [host, port] = endpoint.split(':');
  const socket = net.connect(Number(port), host);
  socket.end(Buffer.concat([frame, header]));
  const chunks = [];
  for await (const chunk of socket) chunks.push(chunk);
  const answer = Buffer.concat(chunks);
  const length = answer.readUInt32BE(4) & 0xffffff;
  return [JSON.parse(answer.subarray(8, 8 + length).toString()), answer.subarray(8 + length)];
}
