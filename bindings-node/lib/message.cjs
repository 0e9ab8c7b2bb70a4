'use strict';
// Messages: a plain object `{ topic, body, tag, keys, properties, messageGroup,
// deliveryTimestamp, delay, priority }` becomes a native Message (the core checks the
// combination); `MessageView` (the native class) gets the getters that build JS objects.
const native = require('./native.cjs');
const { typeName } = require('./options.cjs');

const optionalString = (value, name) => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${typeName(value)}`);
  return value;
};

function body(value) {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`body must be a Buffer, Uint8Array or string, not ${typeName(value)}`);
}

function keys(value) {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' || !Array.isArray(value)) {
    throw new TypeError(`keys must be an array of strings (keys: ['k']), not ${typeName(value)}`);
  }
  return value.map((k) => {
    if (typeof k !== 'string') throw new TypeError(`each key must be a string, not ${typeName(k)}`);
    return k;
  });
}

function properties(value) {
  if (value === undefined || value === null) return [];
  const entries = value instanceof Map ? [...value.entries()]
    : typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
  if (entries === null) {
    throw new TypeError(`properties must be an object or a Map of strings, not ${typeName(value)}`);
  }
  const flat = [];
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || typeof v !== 'string') {
      throw new TypeError(`properties must map strings to strings (${String(k)} is not)`);
    }
    flat.push(k, v);
  }
  return flat;
}

function deliveryTime(message) {
  const { deliveryTimestamp: at, delay } = message;
  if (at !== undefined && at !== null && delay !== undefined && delay !== null) {
    throw new TypeError('give deliveryTimestamp or delay, not both');
  }
  if (delay !== undefined && delay !== null) {
    if (typeof delay !== 'number') throw new TypeError(`delay must be a number of milliseconds, not ${typeName(delay)}`);
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError(`delay must be a non-negative number of milliseconds, not ${delay}`);
    return Date.now() + delay;
  }
  if (at === undefined || at === null) return null;
  if (at instanceof Date) {
    const ms = at.getTime();
    if (Number.isNaN(ms)) throw new RangeError('deliveryTimestamp is an invalid Date');
    return ms;
  }
  if (typeof at === 'number') return at;
  throw new TypeError(`deliveryTimestamp must be a Date or epoch milliseconds, not ${typeName(at)}`);
}

function priority(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number') throw new TypeError(`priority must be a number, not ${typeName(value)}`);
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new RangeError(`priority must be a 32-bit integer, not ${value}`);
  }
  return value;
}

/** A native Message from a message object (checked by the core before any I/O). */
function toNative(message) {
  if (message instanceof native.Message) return message;
  if (message === null || typeof message !== 'object') {
    throw new TypeError(`a message must be an object { topic, body, ... }, not ${typeName(message)}`);
  }
  if (typeof message.topic !== 'string') {
    throw new TypeError(`message.topic must be a string, not ${typeName(message.topic)}`);
  }
  return native.buildMessage(
    message.topic,
    body(message.body),
    optionalString(message.tag, 'tag'),
    keys(message.keys),
    properties(message.properties),
    optionalString(message.messageGroup, 'messageGroup'),
    deliveryTime(message),
    priority(message.priority),
    optionalString(message.liteTopic, 'liteTopic'),
  );
}

const MessageView = native.MessageView;
const define = (name, get) => Object.defineProperty(MessageView.prototype, name, { get, enumerable: true, configurable: true });
define('properties', function properties() {
  const pairs = this._propertyPairs;
  const map = new Map();
  for (let i = 0; i + 1 < pairs.length; i += 2) map.set(pairs[i], pairs[i + 1]);
  return map;
});
define('deliveryTimestamp', function deliveryTimestamp() {
  const ms = this._deliveryMs;
  return ms === null || ms === undefined ? undefined : new Date(ms);
});
define('bornTimestamp', function bornTimestamp() {
  const ms = this._bornMs;
  return ms === null || ms === undefined ? undefined : new Date(ms);
});
MessageView.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `MessageView { messageId: '${this.messageId}', topic: '${this.topic}', tag: ${this.tag === null || this.tag === undefined ? 'undefined' : `'${this.tag}'`}, deliveryAttempt: ${this.deliveryAttempt}, body: <${this.body.length} bytes> }`;
};

module.exports = { toNative, MessageView };
