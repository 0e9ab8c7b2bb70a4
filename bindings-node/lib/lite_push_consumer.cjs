'use strict';
const native = require('./native.cjs');
const { PushConsumer } = require('./push_consumer.cjs');
const { flatten } = require('./options.cjs');
const { withLiteSubscriptions, parentTopic } = require('./lite.cjs');

/**
 * A push consumer of lite topics (Apache RocketMQ 5.5): lightweight ordered sub-topics of one
 * LITE parent `topic`. Only the lite topics subscribed with subscribeLite() reach the
 * listener, each in order; `consumerGroup` is a lite group bound to `topic`.
 */
class LitePushConsumer extends withLiteSubscriptions(PushConsumer) {
  #group;
  #topic;
  #options;

  /** @param options ClientOptions plus `consumerGroup`, `topic`, `messageListener` and the push options. */
  constructor(options) {
    const topic = parentTopic(options);
    super({ ...options, subscriptions: { [topic]: '*' }, topic: undefined });
    this.#group = options.consumerGroup;
    this.#topic = topic;
    this.#options = flatten(options, ['consumerGroup', 'topic', 'messageListener']);
  }

  _open() {
    return native.startLitePushConsumer(this.#group, this.#topic, this.#options, this._dispatch);
  }

  get isFifo() {
    return true;
  }
}

module.exports = { LitePushConsumer };
