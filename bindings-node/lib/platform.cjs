'use strict';
// Which native build this machine needs: `<platform>-<arch>[-<abi>]`, the name napi-rs tools
// give prebuilt addons (`linux-x64-gnu`, `linux-x64-musl`, `darwin-arm64`, `win32-x64-msvc`).
// Shared by the loader (lib/native.cjs) and the build script (scripts/build.mjs).
const fs = require('node:fs');

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  if (report && report.header) return !report.header.glibcVersionRuntime;
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    return false;
  }
}

function platformArchABI() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

module.exports = { isMusl, platformArchABI };
