'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');
const native = require('./native.cjs');
const { Client } = require('./lifecycle.cjs');
const { flatten } = require('./options.cjs');
const { subscriptions } = require('./filter.cjs');
const { invalid } = require('./errors.cjs');
const { log } = require('./logging.cjs');

const ConsumeResult = Object.freeze({ SUCCESS: 'SUCCESS', FAILURE: 'FAILURE' });

// Which consumer's listener the current code runs in (through awaits), so close() called
// from inside a listener can refuse instead of waiting for itself.
const inListener = new AsyncLocalStorage();

function listenerOf(listener) {
  const consume = typeof listener === 'function' ? listener
    : typeof listener?.consume === 'function' ? (view) => listener.consume(view) : null;
  if (!consume) throw new TypeError('messageListener must be a function or an object with consume(view)');
  return consume;
}

class PushConsumer extends Client {
  #group;
  #options;
  #subscriptions;
  #dispatch;

  /**
   * @param options ClientOptions plus `consumerGroup`, `subscriptions`, `messageListener`,
   *   `maxCacheMessageCount`, `maxCacheMessageSizeInBytes`, `consumptionThreads`.
   */
  constructor(options) {
    super('consumer');
    this.#options = flatten(options, ['consumerGroup', 'subscriptions', 'messageListener']);
    if (typeof options.consumerGroup !== 'string') throw new TypeError('consumerGroup must be a string');
    this.#group = options.consumerGroup;
    this.#subscriptions = subscriptions(options.subscriptions);
    const consume = listenerOf(options.messageListener);
    // Never rejects: undefined or SUCCESS acks, FAILURE or a throw (logged) redelivers later.
    this.#dispatch = (view) => inListener.run(this, async () => {
      try {
        const result = await consume(view);
        if (result === undefined || result === ConsumeResult.SUCCESS) return true;
        if (result !== ConsumeResult.FAILURE) {
          log('warn', 'rmq.client', `messageListener returned ${String(result)}; taken as FAILURE`);
        }
        return false;
      } catch (err) {
        log('error', 'rmq.client', `messageListener failed on ${view.messageId}: ${err?.stack ?? err}`);
        return false;
      }
    });
  }

  _open() {
    return native.startPushConsumer(this.#group, this.#options, this.#subscriptions, this.#dispatch);
  }

  /** @internal the listener as the native consumer calls it (never rejects). */
  get _dispatch() {
    return this.#dispatch;
  }

  _serves() {
    return true;
  }

  /** Stops receiving, waits for listener calls in flight and their acks. */
  close() {
    if (inListener.getStore() === this) {
      return Promise.reject(invalid('close() called from inside this consumer\'s messageListener would wait for that listener; call it after the listener returns', 'close'));
    }
    return super.close();
  }

  /** Messages received and not yet settled. */
  get cachedMessages() {
    return this._native?.cachedMessages ?? 0;
  }

  /** Queues this consumer is assigned. */
  get assignedQueues() {
    return this._native?.assignedQueues ?? 0;
  }

  get isFifo() {
    return this._native?.isFifo ?? false;
  }
}

module.exports = { PushConsumer, ConsumeResult };
