// The public contract of the `rmq` package (hand-written; the native module is private).
// Durations are milliseconds, as in the official RocketMQ Node client and Node's own APIs.

/// <reference types="node" />

export declare const coreVersion: string;

/** Options every client takes. */
export interface ClientOptions {
  /** `'host:port'`, several separated by `;`, or an array of them. */
  endpoints: string | string[];
  namespace?: string;
  credentials?: { accessKey: string; accessSecret: string; securityToken?: string };
  /** The official client's name for `credentials`. */
  sessionCredentials?: { accessKey: string; accessSecret: string; securityToken?: string };
  /** Deadline of each request, ms (default 3000). */
  requestTimeout?: number;
  /** false (default), true (verified against the system roots), 'trust-all' (development only), or a CA bundle. */
  tls?: boolean | 'trust-all' | { ca: string };
  /** The official client's switch: true is `tls: true`. */
  sslEnabled?: boolean;
  /** Heartbeats to every broker in use, ms (default 10000). */
  heartbeatInterval?: number | string;
  /** How often routes are fetched again, ms (default 30000). */
  routeRefreshInterval?: number | string;
  /** How often the client's settings are sent again, ms (default 300000). */
  settingsResyncInterval?: number | string;
}

export type Body = Buffer | Uint8Array | string;

/** A message to send. */
export interface MessageOptions {
  topic: string;
  body: Body;
  tag?: string;
  keys?: string[];
  properties?: Record<string, string> | Map<string, string>;
  /** FIFO topics: messages of one group are delivered in order. */
  messageGroup?: string;
  /** Delay topics: when the message becomes visible (a Date or epoch ms). */
  deliveryTimestamp?: Date | number;
  /** Delay topics: ms from now (instead of deliveryTimestamp). */
  delay?: number;
  /** Priority topics (Apache 5.4+). */
  priority?: number;
  /** LITE topics (Apache 5.5+): the lite topic, 1 to 64 of [A-Za-z0-9_-]. */
  liteTopic?: string;
}

/** A received message. Getters read it lazily; `receiptHandle` follows changeInvisibleDuration. */
export declare class MessageView {
  private constructor();
  readonly messageId: string;
  readonly topic: string;
  /** A new Buffer on each access. */
  readonly body: Buffer;
  readonly tag: string | null;
  readonly keys: string[];
  /** A new Map on each access. */
  readonly properties: Map<string, string>;
  readonly messageGroup: string | null;
  readonly deliveryTimestamp: Date | undefined;
  /** 1 on the first delivery, 2 on the first redelivery, ... */
  readonly deliveryAttempt: number;
  readonly bornTimestamp: Date | undefined;
  readonly bornHost: string;
  readonly queueId: number;
  readonly offset: number | null;
  readonly receiptHandle: string;
  /** The body failed its digest or decompression; `corruption` says why. */
  readonly corrupted: boolean;
  readonly corruption: string | null;
  readonly priority: number | null;
  readonly liteTopic: string | null;
}

export interface SendReceipt {
  messageId: string;
  /** Transactional messages only. */
  transactionId?: string;
  /** Scheduled messages only: for recallMessage. */
  recallHandle?: string;
  offset: number;
  queueId: number;
  topic: string;
  /** The broker that took it. */
  endpoint: string;
}

export declare const ConsumeResult: { readonly SUCCESS: 'SUCCESS'; readonly FAILURE: 'FAILURE' };
export type ConsumeResult = 'SUCCESS' | 'FAILURE';
export declare const TransactionResolution: { readonly COMMIT: 'COMMIT'; readonly ROLLBACK: 'ROLLBACK'; readonly UNKNOWN: 'UNKNOWN' };
export type TransactionResolution = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/** undefined or SUCCESS acks; FAILURE or a throw/rejection (logged) redelivers later. */
export type MessageListener =
  | ((message: MessageView) => ConsumeResult | void | Promise<ConsumeResult | void>)
  | { consume(message: MessageView): ConsumeResult | void | Promise<ConsumeResult | void> };
/** Decides an orphaned transaction; a throw is UNKNOWN (asked again later). */
export type TransactionChecker =
  | ((message: MessageView) => TransactionResolution | Promise<TransactionResolution>)
  | { check(message: MessageView): TransactionResolution | Promise<TransactionResolution> };

/** What every client has. */
declare abstract class Client implements AsyncDisposable {
  /** Starts the client (routes, sessions); resolves to it. Idempotent. */
  start(): Promise<this>;
  /** Stops the client; the brokers are told. Idempotent. */
  close(): Promise<void>;
  /** Alias of start() (the official client's name). */
  startup(): Promise<this>;
  /** Alias of close() (the official client's name). */
  shutdown(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** This client's id, once started. */
  readonly clientId: string | undefined;
}

export interface ProducerOptions extends ClientOptions {
  /** Topics whose routes are fetched at start (start fails clearly if one is missing). */
  topics?: string[] | string;
  /** Attempts per send, the first included (default 3). */
  maxAttempts?: number;
  /** Send requests in flight at once (default 1024); more concurrent sends wait their turn. */
  maxSendsInFlight?: number;
  /** Linger: concurrent sends to one topic wait up to this many ms and leave together ('off' by default). */
  linger?: number | 'off' | false;
  lingerMaxMessages?: number;
  lingerMaxBytes?: number;
  checker?: TransactionChecker;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export declare class Producer extends Client {
  constructor(options: ProducerOptions);
  send(message: MessageOptions, options?: CallOptions & { transaction?: Transaction }): Promise<SendReceipt>;
  /** The official client's form. */
  send(message: MessageOptions, transaction: Transaction): Promise<SendReceipt>;
  sendBatch(messages: MessageOptions[], options?: CallOptions): Promise<SendReceipt[]>;
  beginTransaction(): Transaction;
  /** Recalls a scheduled message; resolves to its message id. */
  recallMessage(topic: string, recallHandle: string, options?: CallOptions): Promise<string>;
  /** With a checker the producer keeps the process alive until close() (the default). */
  ref(): this;
  unref(): this;
}

export declare class Transaction {
  private constructor();
  send(message: MessageOptions): Promise<SendReceipt>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export declare class FilterExpression {
  static tag(expression: string): FilterExpression;
  static sql(expression: string): FilterExpression;
  static readonly ALL: FilterExpression;
  private constructor();
  readonly kind: 'TAG' | 'SQL92';
  readonly expression: string;
}

export type Subscriptions = Record<string, string | FilterExpression> | Map<string, string | FilterExpression>;

export interface ReceiveOptions extends CallOptions {
  /** 1 to 32 (default 32). */
  maxMessages?: number;
  /** ms (default 30000). */
  invisibleDuration?: number;
}

export interface SimpleConsumerOptions extends ClientOptions {
  consumerGroup: string;
  subscriptions: Subscriptions;
  /** How long a receive long-polls, ms (default 30000; Apache clamps it to 5-20 s). */
  awaitDuration?: number;
}

export declare class SimpleConsumer extends Client implements AsyncIterable<MessageView> {
  constructor(options: SimpleConsumerOptions);
  receive(options?: ReceiveOptions): Promise<MessageView[]>;
  receive(maxMessages?: number, invisibleDuration?: number): Promise<MessageView[]>;
  ack(message: MessageView, options?: CallOptions): Promise<void>;
  /** One entry per view: undefined when acked, its error otherwise. */
  ackBatch(messages: MessageView[], options?: CallOptions): Promise<Array<RmqError | undefined>>;
  /** The view gets the new receipt handle. */
  changeInvisibleDuration(message: MessageView, invisibleDuration: number, options?: CallOptions): Promise<void>;
  /** Long-polls for ever; `break`, an abort of `signal` or close() ends it. */
  messages(options?: ReceiveOptions): AsyncGenerator<MessageView, void, undefined>;
  [Symbol.asyncIterator](): AsyncGenerator<MessageView, void, undefined>;
}

export interface PushConsumerOptions extends ClientOptions {
  consumerGroup: string;
  subscriptions: Subscriptions;
  messageListener: MessageListener;
  /** Messages received and not yet settled before receiving pauses (default 4096). */
  maxCacheMessageCount?: number;
  /** Body bytes received and not yet settled before receiving pauses (default 64 MiB). */
  maxCacheMessageSizeInBytes?: number;
  /** Listener calls at once (default 20). */
  consumptionThreads?: number;
  /** How often the consumer asks for its assignment, ms (default 5000). */
  assignmentScanInterval?: number;
}

export declare class PushConsumer extends Client {
  constructor(options: PushConsumerOptions);
  /** Waits for listener calls in flight; rejects when called from inside the listener. */
  close(): Promise<void>;
  /** Keeps the process alive from start() to close() (the default), like a net.Server. */
  ref(): this;
  unref(): this;
  readonly cachedMessages: number;
  readonly assignedQueues: number;
  readonly isFifo: boolean;
}

export interface LitePushConsumerOptions extends Omit<PushConsumerOptions, 'subscriptions'> {
  /** The LITE parent topic; `consumerGroup` must be a lite group bound to it. */
  topic: string;
}

/** Where a new lite subscription starts reading. */
export declare class OffsetOption {
  private constructor();
  private readonly spec: unknown;
  /** The group's last position; a lite topic new to the group starts at its end (the default). */
  static readonly LAST: OffsetOption;
  /** The oldest message kept. */
  static readonly MIN: OffsetOption;
  /** Only messages sent from now on. */
  static readonly MAX: OffsetOption;
  static offset(n: number): OffsetOption;
  static tailN(n: number): OffsetOption;
  /** Apache 5.5.0 ignores it. */
  static timestamp(at: Date | number): OffsetOption;
}

/** Lite topics (Apache 5.5): only subscribed lite topics reach the listener, each in order. */
export declare class LitePushConsumer extends PushConsumer {
  constructor(options: LitePushConsumerOptions);
  /** Rejects with a TooManyRequestsError (status 42902) over the group's quota. */
  subscribeLite(liteTopic: string, offset?: OffsetOption): Promise<void>;
  unsubscribeLite(liteTopic: string): Promise<void>;
  readonly liteTopics: string[];
}

export interface LiteSimpleConsumerOptions extends Omit<SimpleConsumerOptions, 'subscriptions'> {
  /** The LITE parent topic; `consumerGroup` must be a lite group bound to it. */
  topic: string;
}

/**
 * Lite topics with explicit receive and ack: only subscribed lite topics are received; the
 * broker keeps one batch in flight per lite topic, so each is read in order. Apache serves it
 * from 5.5.1; the mini-broker serves it.
 */
export declare class LiteSimpleConsumer extends SimpleConsumer {
  constructor(options: LiteSimpleConsumerOptions);
  /** Rejects with a TooManyRequestsError (status 42902) over the group's quota. */
  subscribeLite(liteTopic: string, offset?: OffsetOption): Promise<void>;
  unsubscribeLite(liteTopic: string): Promise<void>;
  readonly liteTopics: string[];
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** Log events at `level` or more severe go to `logger` (null: back to console.warn). */
export declare function setLogger(
  logger: ((level: LogLevel, target: string, message: string) => void) | null,
  options?: { level?: LogLevel },
): void;

export type ErrorKind =
  | 'invalid_argument' | 'bad_request' | 'unauthorized' | 'payment_required' | 'forbidden'
  | 'not_found' | 'payload_too_large' | 'payload_empty' | 'too_many_requests'
  | 'request_header_fields_too_large' | 'internal_server' | 'proxy_timeout' | 'unsupported'
  | 'timeout' | 'network' | 'closed' | 'unexpected';

export interface RmqErrorOptions {
  status?: number;
  operation?: string;
  retriable?: boolean;
  topic?: string;
  group?: string;
  endpoint?: string;
}

/** Every rmq error. */
export declare class RmqError extends Error {
  constructor(message: string, options?: RmqErrorOptions & { kind?: ErrorKind });
  /** `RMQ_<KIND>`, e.g. 'RMQ_NOT_FOUND'. */
  readonly code: `RMQ_${Uppercase<ErrorKind>}`;
  /** The core's error kind, e.g. 'not_found'. */
  readonly kind: ErrorKind;
  /** The server's status code (apache.rocketmq.v2.Code, e.g. 40402) when the server refused. */
  readonly status: number | undefined;
  /** What was being done: 'send', 'receive', 'ack', ... */
  readonly operation: string;
  /** Whether trying again may succeed (network, timeout, throttling, server faults). */
  readonly retriable: boolean;
  readonly topic: string | undefined;
  readonly group: string | undefined;
  readonly endpoint: string | undefined;
}
declare class KindError extends RmqError {
  constructor(message: string, options?: RmqErrorOptions);
}
/** A bad value, refused before any I/O. */
export declare class InvalidArgumentError extends KindError {}
export declare class BadRequestError extends KindError {}
export declare class UnauthorizedError extends KindError {}
export declare class PaymentRequiredError extends KindError {}
export declare class ForbiddenError extends KindError {}
export declare class NotFoundError extends KindError {}
export declare class PayloadTooLargeError extends KindError {}
export declare class PayloadEmptyError extends KindError {}
export declare class TooManyRequestsError extends KindError {}
export declare class RequestHeaderFieldsTooLargeError extends KindError {}
export declare class InternalServerError extends KindError {}
export declare class ProxyTimeoutError extends KindError {}
export declare class UnsupportedError extends KindError {}
export declare class TimeoutError extends KindError {}
export declare class NetworkError extends KindError {}
/** The client is closed (or not started). */
export declare class ClosedError extends KindError {}
export declare class UnexpectedError extends KindError {}
/** A call cancelled by its AbortSignal. */
export declare class AbortError extends Error {
  constructor(message?: string, options?: ErrorOptions);
  readonly code: 'ABORT_ERR';
}
