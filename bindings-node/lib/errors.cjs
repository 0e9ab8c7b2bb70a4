'use strict';
// Errors: `RmqError` and one subclass per core error kind, with a stable `code`
// (`RMQ_<KIND>`), the core's `kind`, the server's `status` when the server refused, the
// `operation`, whether it is `retriable`, and the topic, group and endpoint when known.
// `makeError` is what the native module calls to build them.

class RmqError extends Error {
  constructor(message, { kind = 'unexpected', status, operation = '', retriable = false,
    topic, group, endpoint } = {}) {
    super(message);
    Object.defineProperty(this, 'name', { value: this.constructor.name, enumerable: false,
      configurable: true, writable: true });
    this.kind = kind;
    this.code = `RMQ_${kind.toUpperCase()}`;
    this.status = status ?? undefined;
    this.operation = operation;
    this.retriable = retriable;
    this.topic = topic ?? undefined;
    this.group = group ?? undefined;
    this.endpoint = endpoint ?? undefined;
  }
}

const KINDS = {
  invalid_argument: 'InvalidArgumentError',
  bad_request: 'BadRequestError',
  unauthorized: 'UnauthorizedError',
  payment_required: 'PaymentRequiredError',
  forbidden: 'ForbiddenError',
  not_found: 'NotFoundError',
  payload_too_large: 'PayloadTooLargeError',
  payload_empty: 'PayloadEmptyError',
  too_many_requests: 'TooManyRequestsError',
  request_header_fields_too_large: 'RequestHeaderFieldsTooLargeError',
  internal_server: 'InternalServerError',
  proxy_timeout: 'ProxyTimeoutError',
  unsupported: 'UnsupportedError',
  timeout: 'TimeoutError',
  network: 'NetworkError',
  closed: 'ClosedError',
  unexpected: 'UnexpectedError',
};

const classes = { RmqError };
const byKind = new Map();
for (const [kind, name] of Object.entries(KINDS)) {
  // A named class per kind, so stack traces and `instanceof` read well.
  const cls = { [name]: class extends RmqError {
    constructor(message, options = {}) {
      super(message, { ...options, kind });
    }
  } }[name];
  classes[name] = cls;
  byKind.set(kind, cls);
}

/** What a cancelled call rejects with (as Node's own APIs do). */
class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options);
    this.name = 'AbortError';
    this.code = 'ABORT_ERR';
  }
}

function makeError(kind, message, status, operation, retriable, topic, group, endpoint) {
  if (kind === 'aborted') return new AbortError();
  // A kind added to the core before this file learns it is still an RmqError.
  const cls = byKind.get(kind) ?? classes.UnexpectedError;
  return new cls(message, { status, operation, retriable, topic, group, endpoint });
}

/** An `InvalidArgumentError` raised by the JS layer (a value the core never sees). */
function invalid(message, operation = 'config') {
  return new classes.InvalidArgumentError(message, { operation });
}

module.exports = { ...classes, AbortError, makeError, invalid };
