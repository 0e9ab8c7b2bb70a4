'use strict';
// AbortSignal support: a native CancelToken per call that has a signal.
const native = require('./native.cjs');
const { AbortError } = require('./errors.cjs');

/**
 * Runs `call(token)` (token undefined without a signal); an abort of `signal` cancels the
 * native call, whose promise then rejects with AbortError.
 */
function withSignal(signal, call) {
  if (signal === undefined || signal === null) return call(undefined);
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new TypeError('signal must be an AbortSignal');
  }
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  const token = new native.CancelToken();
  const onAbort = () => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return call(token).then(
    (value) => {
      signal.removeEventListener('abort', onAbort);
      return value;
    },
    (err) => {
      signal.removeEventListener('abort', onAbort);
      if (err instanceof AbortError && signal.reason !== undefined) err.cause = signal.reason;
      throw err;
    },
  );
}

module.exports = { withSignal };
