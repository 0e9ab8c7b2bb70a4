'use strict';
// What both lite consumers share: OffsetOption and the subscription methods.

/** Where a new lite subscription starts reading (default LAST: a lite topic new to the group starts at its end). */
class OffsetOption {
  #kind;
  #value;

  constructor(kind, value = 0) {
    this.#kind = kind;
    this.#value = value;
  }

  static offset(n) {
    return new OffsetOption('offset', whole(n, 'offset'));
  }

  static tailN(n) {
    return new OffsetOption('tailN', whole(n, 'tailN'));
  }

  /** A Date or epoch milliseconds (Apache 5.5.0 ignores it). */
  static timestamp(at) {
    const ms = at instanceof Date ? at.getTime() : at;
    return new OffsetOption('timestamp', whole(ms, 'timestamp'));
  }

  /** @internal */
  get _spec() {
    return [this.#kind, this.#value];
  }
}
OffsetOption.LAST = new OffsetOption('last');
OffsetOption.MIN = new OffsetOption('min');
OffsetOption.MAX = new OffsetOption('max');
Object.freeze(OffsetOption);

function whole(n, name) {
  if (typeof n !== 'number') throw new TypeError(`${name} must be a number, not ${typeof n}`);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number 0 or more, not ${n}`);
  return n;
}

function liteName(value) {
  if (typeof value !== 'string') throw new TypeError(`liteTopic must be a string, not ${typeof value}`);
  return value;
}

/** Adds subscribeLite, unsubscribeLite and liteTopics to a consumer class over a native lite consumer. */
function withLiteSubscriptions(Base) {
  return class extends Base {
    /** Subscribes a lite topic (1 to 64 of [A-Za-z0-9_-]); rejects with status 42902 over the group's quota. */
    async subscribeLite(liteTopic, offset) {
      liteName(liteTopic);
      if (offset !== undefined && !(offset instanceof OffsetOption)) {
        throw new TypeError('offset must be an OffsetOption');
      }
      const [kind, value] = offset === undefined ? [undefined, undefined] : offset._spec;
      return this._live('subscribeLite').subscribeLite(liteTopic, kind, value);
    }

    /** Stops receiving a lite topic (messages already received can still be settled). */
    async unsubscribeLite(liteTopic) {
      liteName(liteTopic);
      return this._live('unsubscribeLite').unsubscribeLite(liteTopic);
    }

    /** The lite topics subscribed now, in name order. */
    get liteTopics() {
      return this._native?.liteTopics ?? [];
    }
  };
}

/** Checks the LITE parent topic of a lite consumer's options. */
function parentTopic(options) {
  if (typeof options?.topic !== 'string') throw new TypeError('topic must be a string (the LITE parent topic)');
  return options.topic;
}

module.exports = { OffsetOption, withLiteSubscriptions, parentTopic };
