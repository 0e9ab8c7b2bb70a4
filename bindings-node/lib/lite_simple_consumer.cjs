'use strict';
const native = require('./native.cjs');
const { SimpleConsumer } = require('./simple_consumer.cjs');
const { flatten } = require('./options.cjs');
const { withLiteSubscriptions, parentTopic } = require('./lite.cjs');

/**
 * A simple consumer of lite topics (RIP-83) under one LITE parent `topic`: it receives only
 * the lite topics subscribed with subscribeLite() and settles them as SimpleConsumer does.
 * The broker keeps one batch in flight per lite topic, so each lite topic is read in order.
 * Apache serves it from 5.5.1; the mini-broker serves it.
 */
class LiteSimpleConsumer extends withLiteSubscriptions(SimpleConsumer) {
  #group;
  #topic;
  #options;

  /** @param options ClientOptions plus `consumerGroup`, `topic`, `awaitDuration` (ms). */
  constructor(options) {
    const topic = parentTopic(options);
    super({ ...options, subscriptions: { [topic]: '*' }, topic: undefined });
    this.#group = options.consumerGroup;
    this.#topic = topic;
    this.#options = flatten(options, ['consumerGroup', 'topic']);
  }

  _open() {
    return native.startLiteSimpleConsumer(this.#group, this.#topic, this.#options);
  }
}

module.exports = { LiteSimpleConsumer };
