/**
 * The pool from the published package: dist/index.js (ESM) and dist/index.cjs
 * (CJS) each find their worker (dist/worker.js / .cjs) next to them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const script = `
  const m = await nb.Model.fromLinear({ intercept: 1, weights: { a: 2 } });
  const pool = await nb.Pool.create({ bundle: m.toBundle(), threads: 2 });
  const out = await pool.score(new Float32Array([1, 2, 3]), 3);
  await pool.close();
  console.log('ok', [...out].join(' '));
`;

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('package: Pool', () => {
  it('runs from ESM', () => {
    expect(run(['--input-type=module', '-e', `import * as nb from 'nextbest'; ${script}`])).toBe('ok 3 5 7');
  });
  it('runs from CJS', () => {
    expect(run(['-e', `const nb = require('nextbest'); (async () => { ${script} })().catch(e => { console.error(e); process.exit(1); });`])).toBe('ok 3 5 7');
  });
});
