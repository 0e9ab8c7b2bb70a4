'use strict';
// The core's log events (and listener errors) go to one JS logger per environment:
// `setLogger(fn, { level })`. Default: warnings and errors to console.warn. The logger never
// keeps the process alive.
const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];
let native = null;
let current = defaultLogger;
let threshold = LEVELS.indexOf('warn');

function defaultLogger(level, target, message) {
  console.warn(`[${target}] ${level.toUpperCase()} ${message}`);
}

function deliver(level, target, message) {
  try {
    current(level, target, message);
  } catch {
    // A throwing logger must not take the client down; the event is lost.
  }
}

function install(loaded) {
  native = loaded;
  native.setLogger(deliver, LEVELS[threshold]);
}

/**
 * Sends log events at `level` or more severe to `fn(level, target, message)`; `null` restores
 * the default (console.warn).
 */
function setLogger(fn, { level = 'warn' } = {}) {
  if (fn !== null && fn !== undefined && typeof fn !== 'function') {
    throw new TypeError('setLogger: the logger must be a function or null');
  }
  if (!LEVELS.includes(level)) {
    throw new RangeError(`setLogger: level must be one of ${LEVELS.join(', ')}, not ${String(level)}`);
  }
  current = fn ?? defaultLogger;
  threshold = LEVELS.indexOf(level);
  native.setLogger(deliver, level);
}

/** Logs from the JS layer (a listener's throw) through the same logger and gate. */
function log(level, target, message) {
  if (LEVELS.indexOf(level) <= threshold) deliver(level, target, message);
}

module.exports = { install, setLogger, log };
