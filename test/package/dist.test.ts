/**
 * The published package: ESM and CJS entry points load, find the .wasm in
 * dist/, and so does a worker thread. Runs against dist/ (npm test builds first).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const script = `
  const m = await nb.Model.fromLinear({ intercept: 1, weights: { a: 2 } });
  const out = m.predictOne({ a: 3 })[0];
  if (out !== 7) throw new Error('bad score ' + out);
  const am = await nb.AdaptiveModel.create({ features: [{ name: 'a', type: 'numeric' }], predictors: { a: { thresholds: [1] } } });
  if (am.propensity({ a: 3 }, { action: 'x' }) !== 0.5) throw new Error('bad adaptive propensity');
  console.log('ok', typeof nb.NextbestError);
`;

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('package entry points', () => {
  it('dist exists', () => {
    expect(existsSync(join(root, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'index.cjs'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'nextbest.wasm'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true);
  });
  it('loads from ESM', () => {
    expect(run(['--input-type=module', '-e', `import * as nb from 'nextbest'; ${script}`])).toBe('ok function');
  });
  it('loads from CJS', () => {
    expect(run(['-e', `const nb = require('nextbest'); (async () => { ${script} })().catch(e => { console.error(e); process.exit(1); });`])).toBe(
      'ok function',
    );
  });
  it('loads in a worker thread', () => {
    const worker = `
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const nb = require('nextbest');
        nb.Model.fromLinear({ weights: { a: 2 } }).then(m => parentPort.postMessage(m.predictOne({ a: 4 })[0]));
      \`, { eval: true });
      w.on('message', (v) => { console.log('worker', v); w.terminate(); });
      w.on('error', (e) => { console.error(e); process.exit(1); });
    `;
    expect(run(['-e', worker])).toBe('worker 8');
  });
});
