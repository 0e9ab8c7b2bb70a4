'use strict';
const native = require('./native.cjs');
const { Client } = require('./lifecycle.cjs');
const { flatten, typeName } = require('./options.cjs');
const { toNative } = require('./message.cjs');
const { withSignal } = require('./cancel.cjs');
const { log } = require('./logging.cjs');

const TransactionResolution = Object.freeze({ COMMIT: 'COMMIT', ROLLBACK: 'ROLLBACK', UNKNOWN: 'UNKNOWN' });
// The official client's checker answers with the protocol's enum numbers.
const BY_NUMBER = { 1: 'COMMIT', 2: 'ROLLBACK' };

function checkerOf(checker) {
  if (checker === undefined || checker === null) return null;
  const check = typeof checker === 'function' ? checker
    : typeof checker?.check === 'function' ? (view) => checker.check(view) : null;
  if (!check) throw new TypeError('checker must be a function or an object with check(view)');
  return async (view) => {
    try {
      const answer = await check(view);
      const resolution = typeof answer === 'number' ? BY_NUMBER[answer] : answer;
      if (resolution === 'COMMIT' || resolution === 'ROLLBACK') return resolution;
      if (resolution !== 'UNKNOWN') log('warn', 'rmq.client', `transaction checker returned ${String(answer)}; taken as UNKNOWN`);
      return 'UNKNOWN';
    } catch (err) {
      log('error', 'rmq.client', `transaction checker failed for ${view.messageId}: ${err?.stack ?? err}`);
      return 'UNKNOWN';
    }
  };
}

function sendOptions(second) {
  if (second === undefined || second === null) return {};
  if (second instanceof Transaction) return { transaction: second };
  if (typeof second !== 'object') throw new TypeError(`send options must be { transaction?, signal? }, not ${typeName(second)}`);
  return second;
}

class Producer extends Client {
  #options;
  #checker;

  /**
   * @param options ClientOptions plus `topics`, `maxAttempts`, `linger`, `checker` and any
   *   producer option of client-core's table.
   */
  constructor(options) {
    super('producer');
    this.#options = flatten(options, ['checker']);
    this.#checker = checkerOf(options.checker);
  }

  _open() {
    return native.startProducer(this.#options, this.#checker);
  }

  _serves() {
    return this.#checker !== null;
  }

  /** Sends one message; `{ transaction }` sends it in a transaction, `{ signal }` can abort. */
  async send(message, options) {
    const { transaction, signal } = sendOptions(options);
    if (transaction !== undefined) {
      if (!(transaction instanceof Transaction)) throw new TypeError('transaction must come from beginTransaction()');
      return transaction.send(message);
    }
    const producer = this._live('send');
    const built = toNative(message);
    return withSignal(signal, (token) => producer.send(built, token));
  }

  /** Sends messages of one topic in one request. */
  async sendBatch(messages, { signal } = {}) {
    if (!Array.isArray(messages)) throw new TypeError(`sendBatch takes an array of messages, not ${typeName(messages)}`);
    const producer = this._live('send');
    const built = messages.map(toNative);
    return withSignal(signal, (token) => producer.sendBatch(built, token));
  }

  /** Begins a transaction (needs a `checker`). */
  beginTransaction() {
    return new Transaction(this._live('transaction').beginTransaction());
  }

  /** Recalls a scheduled message by its receipt's `recallHandle`; resolves to its id. */
  async recallMessage(topic, recallHandle, { signal } = {}) {
    if (typeof topic !== 'string') throw new TypeError('topic must be a string');
    if (typeof recallHandle !== 'string') throw new TypeError('recallHandle must be a string');
    const producer = this._live('recall');
    return withSignal(signal, (token) => producer.recall(topic, recallHandle, token));
  }
}

/** One transaction: one message, then commit() or rollback(). */
class Transaction {
  #native;

  constructor(started) {
    this.#native = started;
  }

  async send(message) {
    return this.#native.send(toNative(message));
  }

  async commit() {
    return this.#native.commit();
  }

  async rollback() {
    return this.#native.rollback();
  }
}

module.exports = { Producer, Transaction, TransactionResolution };
