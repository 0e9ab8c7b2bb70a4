'use strict';
// rmq/testing: an in-process RocketMQ 5 broker for tests. MiniBroker.start() takes about a
// millisecond, listens on 127.0.0.1 and a free port, and speaks the same gRPC protocol as
// Apache RocketMQ's proxy, so rmq and the official clients can run against it.
const native = require('./native.cjs');
const { typeName } = require('./options.cjs');
const { invalid } = require('./errors.cjs');

const TOPIC_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'PRIORITY', 'LITE', 'MIXED'];
const GROUP_KEYS = new Set(['fifo', 'maxAttempts', 'retryDelays', 'liteTopic']);

function entries(value, what) {
  if (value === undefined || value === null) return [];
  if (value instanceof Map) return [...value.entries()];
  if (typeof value === 'object' && !Array.isArray(value)) return Object.entries(value);
  throw new TypeError(`${what} must be an object or a Map, not ${typeName(value)}`);
}

function topicType(name, kind) {
  if (typeof name !== 'string' || typeof kind !== 'string') throw new TypeError('topics must map string names to string types');
  const upper = kind.toUpperCase();
  if (!TOPIC_TYPES.includes(upper)) throw new RangeError(`topic ${name}: unknown type ${kind} (one of ${TOPIC_TYPES.join(', ')})`);
  return upper;
}

function ms(value, name) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number of milliseconds, not ${typeName(value)}`);
  return value;
}

function text(value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, not ${typeName(value)}`);
  return value;
}

function groupSpec(name, settings) {
  if (typeof name !== 'string') throw new TypeError('group names must be strings');
  const spec = settings ?? {};
  if (typeof spec !== 'object') throw new TypeError(`group ${name}: settings must be an object such as { fifo: true, maxAttempts: 3 }`);
  for (const key of Object.keys(spec)) {
    if (!GROUP_KEYS.has(key)) throw new RangeError(`group ${name}: unknown setting ${key} (known: ${[...GROUP_KEYS].join(', ')})`);
  }
  const { fifo = false, maxAttempts, retryDelays, liteTopic } = spec;
  if (liteTopic !== undefined && typeof liteTopic !== 'string') throw new TypeError(`group ${name}: liteTopic must be a string (the LITE parent topic)`);
  if (typeof fifo !== 'boolean') throw new TypeError(`group ${name}: fifo must be a boolean`);
  if (maxAttempts !== undefined && !Number.isInteger(maxAttempts)) throw new TypeError(`group ${name}: maxAttempts must be an integer`);
  if (retryDelays !== undefined && !Array.isArray(retryDelays)) throw new TypeError(`group ${name}: retryDelays must be an array of milliseconds`);
  return { name, fifo, maxAttempts, retryDelays: retryDelays?.map((d) => ms(d, 'each retry delay')), liteTopic };
}

/** The settings of one broker (also each broker of a cluster), checked. */
function brokerSpec(options, what) {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what} takes an options object`);
  const { topics, groups, dataDir, virtualClock = false, strict = false,
    transactionCheckDelay = 1000, transactionCheckInterval = 1000, credentials, admin = false,
    retention = 3_600_000, snapshotEvery = 100_000, tlsCert, tlsKey, tlsOnly = false } = options;
  if (snapshotEvery !== null && (!Number.isInteger(snapshotEvery) || snapshotEvery < 1 || snapshotEvery > 0xffffffff)) {
    throw new RangeError(`snapshotEvery must be a whole number of journal entries from 1, or null, got ${snapshotEvery}`);
  }
  const flatTopics = entries(topics, 'topics').flatMap(([name, kind]) => [name, topicType(name, kind)]);
  const flatCredentials = entries(credentials, 'credentials').flatMap(([ak, sk]) => {
    if (typeof ak !== 'string' || typeof sk !== 'string') throw new TypeError('credentials must map string access keys to string secret keys');
    return [ak, sk];
  });
  if (dataDir !== undefined && typeof dataDir !== 'string') throw new TypeError('dataDir must be a string');
  for (const [name, file] of [['tlsCert', tlsCert], ['tlsKey', tlsKey]]) {
    if (file !== undefined && typeof file !== 'string') throw new TypeError(`${name} must be a file path string`);
  }
  return {
    topics: flatTopics,
    groups: entries(groups, 'groups').map(([name, settings]) => groupSpec(name, settings)),
    dataDir,
    virtualClock: Boolean(virtualClock),
    strict: Boolean(strict),
    transactionCheckDelay: ms(transactionCheckDelay, 'transactionCheckDelay'),
    transactionCheckInterval: ms(transactionCheckInterval, 'transactionCheckInterval'),
    credentials: flatCredentials,
    admin: Boolean(admin),
    // The native side takes an absent value as "off" (null does not cross as a number).
    retention: retention === null ? undefined : ms(retention, 'retention'),
    snapshotEvery: snapshotEvery === null ? undefined : snapshotEvery,
    tlsCert,
    tlsKey,
    tlsOnly: Boolean(tlsOnly),
  };
}

function index(value, what = 'broker') {
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be a broker index (0, 1, ...), not ${typeName(value)}`);
  if (value < 0) throw new RangeError(`${what} must be a broker index (0, 1, ...), got ${value}`);
  return value;
}

function optionalIndex(value) {
  return value === undefined ? undefined : index(value);
}

class MiniBroker {
  #native;

  /**
   * @param options `topics` (name to 'NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', ...; undeclared
   *   topics are created on first use unless `strict`), `groups` (name to `{ fifo, maxAttempts,
   *   retryDelays }`), `dataDir` (durable; default memory), `virtualClock` (time moves only with
   *   advance()), `transactionCheckDelay` / `transactionCheckInterval` (ms, default 1000),
   *   `strict`, `credentials` (access key to secret key), `admin` (also serve the admin facade,
   *   RocketMQ remoting for `mqadmin` and DefaultMQAdminExt, on a free port: `adminEndpoint`),
   *   `retention` (ms a message every group consumed is kept, default one hour; null keeps all),
   *   `snapshotEvery` (with `dataDir`: journal entries between snapshots, default 100000; null
   *   keeps the whole journal), `tlsCert` / `tlsKey` (PEM files to serve TLS with; default a
   *   self-signed certificate for localhost and 127.0.0.1), `tlsOnly` (close cleartext
   *   connections, as Apache's tlsMode=enforcing).
   */
  static async start(options = {}) {
    const started = await native.startBroker(brokerSpec(options, 'MiniBroker.start'));
    const broker = new MiniBroker();
    broker.#native = started;
    return broker;
  }

  /** `'127.0.0.1:port'`, for a client's `endpoints`. */
  get endpoint() {
    return this.#native.endpoint;
  }

  /** The admin facade's 'host:port' (give it to mqadmin as `-n`); undefined unless `admin`. */
  get adminEndpoint() {
    return this.#native.adminEndpoint ?? undefined;
  }

  /** The PEM certificate the broker presents to TLS clients (the port takes TLS and cleartext). */
  get tlsCertificatePem() {
    return this.#native.tlsCertificatePem;
  }

  /** Moves the virtual clock forward `ms` and fires what became due. */
  advance(ms_) {
    if (!this.#native.advance(ms(ms_, 'advance'))) throw invalid('advance() needs MiniBroker.start({ virtualClock: true })', 'advance');
  }

  createTopic(name, kind = 'NORMAL') {
    this.#native.createTopic(name, topicType(name, kind));
  }

  createGroup(name, settings = {}) {
    this.#native.createGroup(groupSpec(name, settings));
  }

  /** `{ messageId, body }` of every stored message of `topic`. */
  messages(topic) {
    return this.#native.messages(text(topic, 'topic'));
  }

  /** `{ messageId, body }` of every message in the group's dead-letter queue. */
  deadLetters(group) {
    return this.#native.deadLetters(text(group, 'group'));
  }

  /** How many calls of `rpc` (e.g. 'AckMessage') the broker received. */
  rpcCalls(rpc) {
    return this.#native.rpcCalls(text(rpc, 'rpc'));
  }

  connectedClients() {
    return this.#native.connectedClients();
  }

  /** Makes `rpc` answer with status `code` (e.g. 'TOO_MANY_REQUESTS') `times` times, or until clearFaults(). */
  failRpc(rpc, code, times) {
    if (times !== undefined && (!Number.isInteger(times) || times < 0)) throw new RangeError('times must be a non-negative integer');
    this.#native.failRpc(text(rpc, 'rpc'), text(code, 'code'), times);
  }

  /** Makes the coming calls of `rpc` answer with `codes` (status names), one per call in order. */
  pushRpcErrors(rpc, codes) {
    if (!Array.isArray(codes)) throw new TypeError('codes must be an array of status code names');
    this.#native.pushRpcErrors(text(rpc, 'rpc'), codes.map((c) => text(c, 'code')));
  }

  clearFaults() {
    this.#native.clearFaults();
  }

  /** Stops serving. Idempotent. */
  close() {
    return this.#native.close();
  }

  get closed() {
    return this.#native.closed;
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

/**
 * Several brokers in this process that answer as one cluster: a route asked of any of them lists
 * the queues of all, each under its broker's name ('broker-0', ...) and address, as Apache
 * proxies in local mode do. For tests of what a real cluster does to clients: a broker down, a
 * slow one. Brokers are numbered from 0 in the order of `endpoints`.
 */
class MiniCluster {
  #native;

  /** @param options `brokers` (default 3) and every option of MiniBroker.start, applied to each broker. */
  static async start(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('MiniCluster.start takes an options object');
    const { brokers = 3, ...rest } = options;
    if (!Number.isInteger(brokers)) throw new TypeError(`brokers must be an integer, not ${typeName(brokers)}`);
    if (brokers < 1 || brokers > 64) throw new RangeError(`brokers must be from 1 to 64, got ${brokers}`);
    const started = await native.startCluster(brokers, brokerSpec(rest, 'MiniCluster.start'));
    const cluster = new MiniCluster();
    cluster.#native = started;
    return cluster;
  }

  /** The admin facade's 'host:port' (any broker's lists the whole cluster); undefined unless `admin`. */
  get adminEndpoint() {
    return this.#native.adminEndpoint ?? undefined;
  }

  /** Every broker's 'host:port' joined with ';', for a client's `endpoints`. */
  get endpoints() {
    return this.#native.endpoints.join(';');
  }

  /** Broker `i`'s own 'host:port'. */
  endpoint(i) {
    const all = this.#native.endpoints;
    if (index(i) >= all.length) throw new RangeError(`broker ${i} is out of range: the cluster has ${all.length} brokers`);
    return all[i];
  }

  get closed() {
    return this.#native.closed;
  }

  /** Takes broker `i` off the network with its state kept: its port refuses connections and its open connections are cut. Routes still list it. */
  brokerDown(i) {
    return this.#native.brokerDown(index(i));
  }

  /** Brings broker `i` back on its port. */
  brokerUp(i) {
    return this.#native.brokerUp(index(i));
  }

  /** Stops (`false`) or resumes listing broker `i` in routes and assignments while it keeps serving, as a proxy whose route dropped a broker. */
  setListed(i, listed) {
    if (typeof listed !== 'boolean') throw new TypeError(`listed must be a boolean, not ${typeName(listed)}`);
    this.#native.setListed(index(i), listed);
  }

  /** Adds `ms` to every call broker `i` serves; 0 removes it. */
  setLatency(i, latency) {
    this.#native.setLatency(index(i), ms(latency, 'latency'));
  }

  /** `{ messageId, body }` of the messages stored in `topic`, on broker `broker` or on all (broker after broker). */
  messages(topic, broker) {
    return this.#native.messages(text(topic, 'topic'), optionalIndex(broker));
  }

  /** Calls of `rpc` received by broker `broker`, or by all together. */
  rpcCalls(rpc, broker) {
    return this.#native.rpcCalls(text(rpc, 'rpc'), optionalIndex(broker));
  }

  /** As MiniBroker.failRpc, on broker `broker` or on each. */
  failRpc(rpc, code, times, broker) {
    if (times !== undefined && (!Number.isInteger(times) || times < 0)) throw new RangeError('times must be a non-negative integer');
    this.#native.failRpc(text(rpc, 'rpc'), text(code, 'code'), times, optionalIndex(broker));
  }

  /** Removes every injected fault and latency. */
  clearFaults() {
    this.#native.clearFaults();
  }

  createTopic(name, kind = 'NORMAL') {
    this.#native.createTopic(text(name, 'name'), topicType(name, kind));
  }

  createGroup(name, settings) {
    this.#native.createGroup(groupSpec(name, settings));
  }

  /** Moves every broker's virtual clock (needs virtualClock). */
  advance(by) {
    if (!this.#native.advance(ms(by, 'advance'))) throw invalid('advance() needs MiniCluster.start({ virtualClock: true })', 'advance');
  }

  /** Stops every broker. Idempotent. */
  close() {
    return this.#native.close();
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

/**
 * For node:test: a fresh broker per test file (`each: true`: per test), started in
 * before()/beforeEach() and closed in after()/afterEach(). Read it as `ctx.broker`.
 */
function useMiniBroker(options = {}, { each = false } = {}) {
  const nodeTest = require('node:test');
  const ctx = { broker: null };
  const [setUp, tearDown] = each ? [nodeTest.beforeEach, nodeTest.afterEach] : [nodeTest.before, nodeTest.after];
  setUp(async () => {
    ctx.broker = await MiniBroker.start(options);
  });
  tearDown(async () => {
    await ctx.broker?.close();
  });
  return ctx;
}

module.exports = { MiniBroker, MiniCluster, useMiniBroker };
