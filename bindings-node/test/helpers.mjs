// Shared by the node:test files: waiting on conditions, never on fixed sleeps.
import { randomUUID } from 'node:crypto';

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
