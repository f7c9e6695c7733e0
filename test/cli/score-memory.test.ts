/**
 * `nextbest score` streams: a 100k-row input of ~50 MB runs with a 32 MB JS
 * heap, and its peak RSS is about that of a 10k-row input (~5 MB): memory
 * does not grow with the input.
 * Runs the built CLI (dist/) in child processes, where RSS means something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Model } from '../../src/index.js';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nb-mem-'));
const bundle = join(dir, 'm.nbb');
const child = join(dir, 'child.mjs');

function writeRows(path: string, n: number): void {
  const fd = openSync(path, 'w');
  const pad = 'x'.repeat(420);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += `{"id":"c${i}","tenure":${i % 97},"plan":"${i % 2 ? 'basic' : 'premium'}","note":"${pad}${i}"}\n`;
    if (s.length > 1 << 20) {
      writeSync(fd, s);
      s = '';
    }
  }
  writeSync(fd, s);
  closeSync(fd);
}

async function score(input: string): Promise<{ code: number; maxRssMb: number; summary: string }> {
  const output = input + '.out.ndjson';
  const { stdout, stderr } = await run(
    process.execPath,
    ['--max-old-space-size=32', child, 'score', '-b', bundle, '-i', input, '-o', output, '--columns', 'note', '-t', '2'],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  expect(statSync(output).size).toBeGreaterThan(statSync(input).size * 0.9);
  return { ...JSON.parse(stdout.trim()), summary: stderr };
}

beforeAll(async () => {
  const m = await Model.fromLinear({
    features: [
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'premium'] },
    ],
    weights: { tenure: -0.04, plan: { basic: 0.3, premium: -0.2 } },
    link: 'logit',
  });
  writeFileSync(bundle, m.toBundle());
  writeFileSync(
    child,
    `const nb = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
     const code = await nb.runCli(process.argv.slice(2), { out: () => {}, err: (l) => console.error(l) });
     console.log(JSON.stringify({ code, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`,
  );
  writeRows(join(dir, 'small.ndjson'), 10_000);
  writeRows(join(dir, 'big.ndjson'), 100_000);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nextbest score: bounded memory', () => {
  it('scores 100k rows (~50 MB) under a 32 MB heap, with the peak RSS of a 10k-row input', async () => {
    const small = await score(join(dir, 'small.ndjson'));
    const big = await score(join(dir, 'big.ndjson'));
    expect(small.code).toBe(0);
    expect(big.code).toBe(0);
    expect(big.summary).toMatch(/rows in 100,000, scored 100,000, rejected 0/);
    const inputMb = statSync(join(dir, 'big.ndjson')).size / (1 << 20);
    expect(inputMb).toBeGreaterThan(45);
    // The input grew by ~45 MB; holding it (or the output) would add at least that
    // (the 32 MB heap cap already rules out holding it as strings). The margin is
    // wide because peak RSS moves by 10-25 MB between runs on a loaded machine.
    expect(big.maxRssMb - small.maxRssMb).toBeLessThan(inputMb * 0.75);
  });
});
