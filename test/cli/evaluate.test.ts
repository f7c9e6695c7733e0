import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/index.js';
import { mulberry32 } from '../helpers/random.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('nextbest evaluate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-eval-'));
  // logging policy: uniform over two actions; true rates: a 0.1, b 0.3
  const rand = mulberry32(4);
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const action = rand() < 0.5 ? 'a' : 'b';
    const accepted = rand() < (action === 'a' ? 0.1 : 0.3);
    lines.push(JSON.stringify({ customerId: `c${i}`, features: { x: i % 7 }, action, probability: 0.5, outcome: accepted ? 'accept' : 'reject' }));
  }
  const logPath = join(dir, 'decisions.ndjson');
  writeFileSync(logPath, lines.join('\n') + '\n');
  const policyPath = join(dir, 'always-b.mjs');
  writeFileSync(policyPath, 'export default function policy(decision) { return { action: "b" }; }\n');

  it('estimates a policy module on a log, as text and JSON', async () => {
    const t = io();
    expect(await runCli(['evaluate', '--log', logPath, '--policy', policyPath], t.io)).toBe(0);
    const text = t.out.join('\n');
    expect(text).toMatch(/log\s+.*decisions\.ndjson: 4000 decisions/);
    expect(text).toMatch(/IPS\s+0\.\d{4}\s+\[0\.\d{4}, 0\.\d{4}\]/);
    const j = io();
    expect(await runCli(['evaluate', '--log', logPath, '--policy', policyPath, '--json', '--interval', 'bootstrap', '--resamples', '200', '--seed', '5'], j.io)).toBe(0);
    const report = JSON.parse(j.out.join('\n'));
    expect(report.interval).toBe('bootstrap');
    expect(report.ips.lower).toBeLessThanOrEqual(0.3);
    expect(report.ips.upper).toBeGreaterThanOrEqual(0.3);
    expect(report.dr.lower).toBeLessThanOrEqual(0.3);
    expect(report.dr.upper).toBeGreaterThanOrEqual(0.3);
  });

  it('reports usage and input errors', async () => {
    const none = io();
    expect(await runCli(['evaluate', '--log', logPath], none.io)).toBe(1);
    expect(none.err[0]).toMatch(/ARGUMENT_INVALID: give exactly one policy/);
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, '{"action":"a","probability":2,"outcome":"accept"}\n');
    const b = io();
    expect(await runCli(['evaluate', '--log', bad, '--policy', policyPath], b.io)).toBe(1);
    expect(b.err[0]).toMatch(/LOG_INVALID: .*bad\.ndjson:1: "probability"/);
    const notFn = join(dir, 'not-a-policy.mjs');
    writeFileSync(notFn, 'export const x = 1;\n');
    const n = io();
    expect(await runCli(['evaluate', '--log', logPath, '--policy', notFn], n.io)).toBe(1);
    expect(n.err[0]).toMatch(/must export a function/);
    const c = io();
    expect(await runCli(['evaluate', '--log', logPath, '--policy', policyPath, '--confidence', 'high'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/--confidence must be a number/);
  });

  it('evaluates a bundle through engine.decide', async () => {
    const spec = join(dir, 'b.yaml');
    writeFileSync(spec, 'bundle: b\nversion: "1"\nfeatures:\n  x: numeric\nactions:\n  a: { kind: sale, propensity: 0.1 }\n  b: { kind: sale, propensity: 0.3 }\n');
    expect(await runCli(['build', spec, '-o', join(dir, 'b.nbb')], io().io)).toBe(0);
    const timed = join(dir, 'timed.ndjson');
    writeFileSync(timed, lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), at: Date.UTC(2026, 0, 1) + i * 1000 })).join('\n') + '\n');
    const e = io();
    expect(await runCli(['evaluate', '--log', timed, '--bundle', join(dir, 'b.nbb'), '--json'], e.io)).toBe(0);
    const report = JSON.parse(e.out.join('\n'));
    expect(report.ips.lower).toBeLessThanOrEqual(0.3);
    expect(report.ips.upper).toBeGreaterThanOrEqual(0.3);
    // the bundle's propensity of its choice (0.3) is the DR reward model
    expect(report.dr.lower).toBeLessThanOrEqual(0.3);
    expect(report.dr.upper).toBeGreaterThanOrEqual(0.3);
    const untimed = io();
    expect(await runCli(['evaluate', '--log', logPath, '--bundle', join(dir, 'b.nbb')], untimed.io)).toBe(1);
    expect(untimed.err[0]).toMatch(/LOG_INVALID: a bundle decides at a time: every logged decision needs "at"/);
  });

  it('refuses a bundle without actions as a policy', async () => {
    const spec = join(dir, 'm.yaml');
    writeFileSync(spec, 'bundle: m\nversion: "1"\nfeatures:\n  x: numeric\nmodels:\n  m:\n    linear: { weights: { x: 1 } }\n');
    expect(await runCli(['build', spec, '-o', join(dir, 'm.nbb')], io().io)).toBe(0);
    const e = io();
    expect(await runCli(['evaluate', '--log', logPath, '--bundle', join(dir, 'm.nbb')], e.io)).toBe(1);
    expect(e.err[0]).toMatch(/POLICY_UNAVAILABLE: bundle m cannot act as a policy: it has no actions to decide on/);
  });
});
