// Builds the native module from source with cargo and puts it next to the JS files
// (lib/rmq.<platform>.node). Run by `npm install ./bindings-node` (the `prepare` script),
// `npm rebuild rmq` and `npm run build`. Node builtins only: a folder install gets no
// dependencies of this package.
//
// RMQ_NODE_PROFILE picks the cargo profile (default `dist`: release, stripped; `dev` builds
// faster for development). CARGO picks the cargo binary.
import { spawn } from 'node:child_process';
import { copyFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { platformArchABI } = createRequire(import.meta.url)('../lib/platform.cjs');
const profile = process.env.RMQ_NODE_PROFILE || 'dist';
const cargo = process.env.CARGO || 'cargo';
const started = Date.now();

console.error(`rmq: building the native module with cargo (profile ${profile}); the first build takes minutes`);
const child = spawn(
  cargo,
  ['build', '--profile', profile, '-p', 'rmq-node', '--message-format=json-render-diagnostics'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);

let built = null;
let pending = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (message.reason === 'compiler-artifact' && message.target?.name === 'rmq_node') {
      built = message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) ?? built;
    }
  }
});
child.on('error', (err) => {
  console.error(`rmq: could not run ${cargo} (${err.message}); install Rust from https://rustup.rs`);
  process.exit(1);
});
child.on('close', (code) => {
  if (code !== 0 || !built) {
    console.error(`rmq: the native build failed (cargo exited with ${code})`);
    process.exit(code || 1);
  }
  const target = join(root, 'lib', `rmq.${platformArchABI()}.node`);
  // Copy then rename: a process that has the old module loaded keeps its mapping.
  copyFileSync(built, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
  console.error(`rmq: built ${target} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
