// rmq/testing: the in-process mini-broker for tests.

/// <reference types="node" />

/** The broker's calls, as in the gRPC path; 'Telemetry.Settings' counts Settings sent on Telemetry streams. */
export type RpcName =
  | 'QueryRoute'
  | 'Heartbeat'
  | 'SendMessage'
  | 'QueryAssignment'
  | 'ReceiveMessage'
  | 'AckMessage'
  | 'ForwardMessageToDeadLetterQueue'
  | 'PullMessage'
  | 'UpdateOffset'
  | 'GetOffset'
  | 'QueryOffset'
  | 'EndTransaction'
  | 'Telemetry'
  | 'NotifyClientTermination'
  | 'ChangeInvisibleDuration'
  | 'RecallMessage'
  | 'SyncLiteSubscription'
  | 'Telemetry.Settings';

export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY' | 'LITE' | 'MIXED';

export interface GroupSettings {
  fifo?: boolean;
  /** Deliveries before the dead-letter queue (default 17). */
  maxAttempts?: number;
  /** ms before each redelivery to push consumers (default Apache's 1 s, 5 s, 10 s, ...). */
  retryDelays?: number[];
  /** Makes it a lite group of this LITE topic (undeclared groups a LitePushConsumer uses become one, unless strict). */
  liteTopic?: string;
}

export interface MiniBrokerOptions {
  topics?: Record<string, TopicType | Lowercase<TopicType>> | Map<string, string>;
  groups?: Record<string, GroupSettings> | Map<string, GroupSettings>;
  /** Keep everything on disk there and recover it at start (default: memory). */
  dataDir?: string;
  /** Time moves only with advance(). */
  virtualClock?: boolean;
  /** ms before the first check of an undecided transaction (default 1000). */
  transactionCheckDelay?: number;
  /** ms between later checks (default 1000). */
  transactionCheckInterval?: number;
  /** Refuse undeclared topics like a production proxy. */
  strict?: boolean;
  /** Access key to secret key: requests must then be signed. */
  credentials?: Record<string, string> | Map<string, string>;
  /** Also serve the admin facade (RocketMQ remoting, for mqadmin and DefaultMQAdminExt) on a free port. */
  admin?: boolean;
  /** ms a message every group has consumed is kept (default one hour); null keeps every message. */
  retention?: number | null;
  /** With dataDir: journal entries between snapshots (default 100000, and at close); null keeps the whole journal. */
  snapshotEvery?: number | null;
  /** PEM certificate chain file to serve TLS with, with tlsKey (default: self-signed for localhost and 127.0.0.1). */
  tlsCert?: string;
  /** PEM private key file of tlsCert. */
  tlsKey?: string;
  /** Close cleartext connections, as an Apache proxy with tlsMode=enforcing (default: TLS and cleartext share the port). */
  tlsOnly?: boolean;
}

export interface StoredMessage {
  messageId: string;
  body: Buffer;
}

export declare class MiniBroker implements AsyncDisposable {
  static start(options?: MiniBrokerOptions): Promise<MiniBroker>;
  private constructor();
  readonly endpoint: string;
  /** The admin facade's 'host:port' (mqadmin's `-n`); undefined unless started with `admin`. */
  readonly adminEndpoint: string | undefined;
  readonly tlsCertificatePem: string;
  readonly closed: boolean;
  /** Moves the virtual clock forward (needs virtualClock). */
  advance(ms: number): void;
  createTopic(name: string, kind?: TopicType): void;
  createGroup(name: string, settings?: GroupSettings): void;
  messages(topic: string): StoredMessage[];
  deadLetters(group: string): StoredMessage[];
  rpcCalls(rpc: RpcName): number;
  connectedClients(): number;
  /** e.g. failRpc('SendMessage', 'TOO_MANY_REQUESTS', 2). */
  failRpc(rpc: RpcName, code: string, times?: number): void;
  /** Makes the coming calls of `rpc` answer with `codes` (status names such as 'TOO_MANY_REQUESTS'), one per call in order; an unknown RPC or code throws RMQ_INVALID_ARGUMENT. */
  pushRpcErrors(rpc: RpcName, codes: string[]): void;
  clearFaults(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface MiniClusterOptions extends MiniBrokerOptions {
  /** How many brokers (default 3, at most 64). */
  brokers?: number;
}

/**
 * Several brokers answering as one cluster: every route lists every broker's queues under its
 * name ('broker-0', ...) and address. Brokers are numbered from 0 in `endpoints` order.
 */
export declare class MiniCluster {
  static start(options?: MiniClusterOptions): Promise<MiniCluster>;
  private constructor();
  /** Every broker's 'host:port' joined with ';'. */
  readonly endpoints: string;
  /** The admin facade's 'host:port', listing every broker; undefined unless started with `admin`. */
  readonly adminEndpoint: string | undefined;
  readonly closed: boolean;
  /** Broker `i`'s own 'host:port'. */
  endpoint(i: number): string;
  /** Port refused, open connections cut, state kept; routes still list the broker. */
  brokerDown(i: number): Promise<void>;
  brokerUp(i: number): Promise<void>;
  /** Stops (false) or resumes listing broker `i` in routes and assignments; it keeps serving. */
  setListed(i: number, listed: boolean): void;
  /** Milliseconds added to every call broker `i` serves; 0 removes it. */
  setLatency(i: number, ms: number): void;
  messages(topic: string, broker?: number): StoredMessage[];
  rpcCalls(rpc: RpcName, broker?: number): number;
  failRpc(rpc: RpcName, code: string, times?: number, broker?: number): void;
  clearFaults(): void;
  createTopic(name: string, kind?: TopicType): void;
  createGroup(name: string, settings?: GroupSettings): void;
  advance(ms: number): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** node:test wiring: a broker started in before() (beforeEach() with each) and closed after. */
export declare function useMiniBroker(options?: MiniBrokerOptions, wiring?: { each?: boolean }): { broker: MiniBroker };
