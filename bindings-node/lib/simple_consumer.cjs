'use strict';
const native = require('./native.cjs');
const { Client } = require('./lifecycle.cjs');
const { flatten, typeName } = require('./options.cjs');
const { subscriptions } = require('./filter.cjs');
const { withSignal } = require('./cancel.cjs');
const { MessageView } = require('./message.cjs');
const { AbortError, ClosedError } = require('./errors.cjs');

const DEFAULT_MAX = 32;
const DEFAULT_INVISIBLE = 30000;

/** `receive({ maxMessages, invisibleDuration, signal })` or the official `receive(n, ms)`. */
function receiveArgs(first, second) {
  if (first === undefined || first === null || typeof first === 'number') {
    return { maxMessages: first ?? DEFAULT_MAX, invisibleDuration: second ?? DEFAULT_INVISIBLE };
  }
  if (typeof first !== 'object') throw new TypeError(`receive options must be an object, not ${typeName(first)}`);
  const { maxMessages = DEFAULT_MAX, invisibleDuration = DEFAULT_INVISIBLE, signal } = first;
  return { maxMessages, invisibleDuration, signal };
}

function number(value, name) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, not ${typeName(value)}`);
  return value;
}

function view(value) {
  if (!(value instanceof MessageView)) throw new TypeError(`expected a MessageView, not ${typeName(value)}`);
  return value;
}

class SimpleConsumer extends Client {
  #group;
  #options;
  #subscriptions;

  /** @param options ClientOptions plus `consumerGroup`, `subscriptions`, `awaitDuration` (ms). */
  constructor(options) {
    super('consumer');
    this.#options = flatten(options, ['consumerGroup', 'subscriptions']);
    if (typeof options.consumerGroup !== 'string') throw new TypeError('consumerGroup must be a string');
    this.#group = options.consumerGroup;
    this.#subscriptions = subscriptions(options.subscriptions);
  }

  _open() {
    return native.startSimpleConsumer(this.#group, this.#options, this.#subscriptions);
  }

  /** Receives up to `maxMessages` (long-polling up to `awaitDuration`); resolves to views. */
  async receive(first, second) {
    const { maxMessages, invisibleDuration, signal } = receiveArgs(first, second);
    number(maxMessages, 'maxMessages');
    number(invisibleDuration, 'invisibleDuration');
    // Argument errors come before "not started", as they do once started.
    native.checkReceive(maxMessages, invisibleDuration);
    const consumer = this._live('receive');
    return withSignal(signal, (token) => consumer.receive(maxMessages, invisibleDuration, token));
  }

  async ack(message, { signal } = {}) {
    const consumer = this._live('ack');
    return withSignal(signal, (token) => consumer.ack(view(message), token));
  }

  /** Acks several; resolves to one entry per view: undefined when acked, else its error. */
  async ackBatch(messages, { signal } = {}) {
    if (!Array.isArray(messages)) throw new TypeError('ackBatch takes an array of MessageView');
    const consumer = this._live('ack');
    const views = messages.map(view);
    const results = await withSignal(signal, (token) => consumer.ackBatch(views, token));
    return results.map((r) => r ?? undefined);
  }

  /** Keeps the message invisible `invisibleDuration` ms from now; the view gets the new handle. */
  async changeInvisibleDuration(message, invisibleDuration, { signal } = {}) {
    number(invisibleDuration, 'invisibleDuration');
    const consumer = this._live('change_invisible_duration');
    return withSignal(signal, (token) => consumer.changeInvisibleDuration(view(message), invisibleDuration, token));
  }

  /**
   * Long-polls for ever, yielding one view at a time. `break` ends it; so do `signal` and
   * close(). Views received but not yet yielded when it ends come back after their
   * invisible duration.
   */
  async* messages(options = {}) {
    const { maxMessages = DEFAULT_MAX, invisibleDuration = DEFAULT_INVISIBLE, signal } = options;
    while (!signal?.aborted) {
      let batch;
      try {
        batch = await this.receive({ maxMessages, invisibleDuration, signal });
      } catch (err) {
        // An abort or close() ends the loop; other errors reach the caller.
        if (err instanceof AbortError || err instanceof ClosedError) return;
        throw err;
      }
      for (const message of batch) yield message;
    }
  }

  [Symbol.asyncIterator]() {
    return this.messages();
  }
}

module.exports = { SimpleConsumer };
