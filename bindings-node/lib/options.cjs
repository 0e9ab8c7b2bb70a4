'use strict';
// Client options: a JS options object becomes the `[key, value, ...]` strings of client-core's
// one option table (client-core/OPTIONS.md), which checks every value. Keys are the table's in
// camelCase (`heartbeatInterval` for `heartbeat_interval`); durations are milliseconds. This
// file converts types only; it checks no value the core checks.
const native = require('./native.cjs');

const TABLE = new Map();
{
  const flat = native.optionTable();
  for (let i = 0; i + 2 < flat.length; i += 3) TABLE.set(flat[i], { form: flat[i + 1], applies: flat[i + 2] });
}

/** Names the official client uses for the same options. */
const ALIASES = {
  maxCacheMessageCount: 'max_cache_messages',
  maxCacheMessageSizeInBytes: 'max_cache_bytes',
  topic: 'topics',
};

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Milliseconds as the table's seconds. */
function millis(value, name) {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds, not ${typeName(value)}`);
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds, not ${value}`);
  }
  return String(value / 1000);
}

function text(value, name) {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${typeName(value)}`);
  return value;
}

function convert(form, value, name) {
  switch (form) {
    case 'duration':
      return millis(value, name);
    case 'duration_or_off':
      return value === false || value === 'off' ? 'off' : millis(value, name);
    case 'count':
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      if (typeof value !== 'string') throw new TypeError(`${name} must be an integer, not ${typeName(value)}`);
      return value;
    case 'list':
      if (Array.isArray(value)) return value.map((v) => text(v, `each of ${name}`)).join(',');
      return text(value, name);
    default:
      return text(value, name);
  }
}

function endpoints(value) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(';');
  throw new TypeError(`endpoints must be a string ("host:port;host:port") or an array of strings, not ${typeName(value)}`);
}

function credentials(value, out) {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object') {
    throw new TypeError('credentials must be { accessKey, accessSecret, securityToken? }');
  }
  const { accessKey, accessSecret, securityToken } = value;
  if (accessKey !== undefined) out.push('access_key', text(accessKey, 'credentials.accessKey'));
  if (accessSecret !== undefined) out.push('secret_key', text(accessSecret, 'credentials.accessSecret'));
  if (securityToken !== undefined) out.push('security_token', text(securityToken, 'credentials.securityToken'));
}

function tls(value, out) {
  if (value === undefined || value === false || value === null) return;
  if (value === true) out.push('tls', 'on');
  else if (value === 'trust-all') out.push('tls', 'trust-all');
  else if (typeof value === 'object' && typeof value.ca === 'string') out.push('tls', 'on', 'tls_ca_pem', value.ca);
  else throw new TypeError("tls must be false, true, 'trust-all' or { ca: '<PEM>' }");
}

/**
 * The table's `[key, value, ...]` for `options`, leaving out the keys in `own` (those the
 * client's class takes itself: listener, subscriptions, ...).
 */
function flatten(options, own = []) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, not ${typeName(options)}`);
  }
  const out = [];
  const skip = new Set(['endpoints', 'credentials', 'sessionCredentials', 'tls', 'sslEnabled', ...own]);
  if (options.endpoints === undefined) throw new TypeError('options.endpoints is required');
  out.push('endpoints', endpoints(options.endpoints));
  credentials(options.credentials ?? options.sessionCredentials, out);
  tls(options.tls ?? (options.sslEnabled ? true : undefined), out);
  for (const [name, value] of Object.entries(options)) {
    if (skip.has(name) || value === undefined) continue;
    const key = ALIASES[name] ?? snake(name);
    const entry = TABLE.get(key);
    // An unknown key goes through as it is: the core refuses it and says which keys exist.
    out.push(key, entry ? convert(entry.form, value, name) : String(value));
  }
  return out;
}

module.exports = { flatten, millis, typeName, text };
