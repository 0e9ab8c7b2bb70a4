'use strict';
// Loads the private native module: $RMQ_NATIVE_LIBRARY_PATH, then the addon built next to
// this file by `npm install` (scripts/build.mjs), then a per-platform package
// (`@rmq/native-<platform>`, for prebuilt binaries published later). Then sets up this JS
// environment (main thread or worker): its error classes and the default logger.
const path = require('node:path');
const fs = require('node:fs');
const { platformArchABI } = require('./platform.cjs');

function load() {
  const triple = platformArchABI();
  const tried = [];
  const explicit = process.env.RMQ_NATIVE_LIBRARY_PATH;
  if (explicit) return require(path.resolve(explicit));
  const local = path.join(__dirname, `rmq.${triple}.node`);
  if (fs.existsSync(local)) return require(local);
  tried.push(local);
  const pkg = `@rmq/native-${triple}`;
  try {
    return require(pkg);
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    tried.push(pkg);
  }
  const err = new Error(
    `rmq: no native module for ${triple} (looked for ${tried.join(', ')}). ` +
      'Build it with `npm rebuild rmq --foreground-scripts`, or `npm run build` in bindings-node.',
  );
  err.code = 'RMQ_NATIVE_MISSING';
  throw err;
}

const native = load();
const { makeError } = require('./errors.cjs');
native.init(makeError, () => {});
require('./logging.cjs').install(native);

module.exports = native;
