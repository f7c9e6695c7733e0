import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/index.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('nextbest CLI: build, inspect, validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-cli-'));
  const spec = join(dir, 'b.yaml');
  writeFileSync(spec, 'bundle: b\nversion: "2"\nfeatures:\n  a: numeric\nmodels:\n  m:\n    linear: { weights: { a: 2 } }\n');

  it('builds, inspects and validates a bundle', async () => {
    const b = io();
    expect(await runCli(['build', spec, '-o', join(dir, 'b.nbb')], b.io)).toBe(0);
    expect(b.out[0]).toMatch(/wrote .*b\.nbb/);
    const i = io();
    expect(await runCli(['inspect', join(dir, 'b.nbb')], i.io)).toBe(0);
    expect(i.out.join('\n')).toContain('bundle    b 2');
    expect(i.out.join('\n')).toMatch(/m\s+linear/);
    const j = io();
    expect(await runCli(['inspect', '--json', join(dir, 'b.nbb')], j.io)).toBe(0);
    expect(JSON.parse(j.out.join('\n')).models[0]).toMatchObject({ id: 'm', kind: 'linear' });
    const v = io();
    expect(await runCli(['validate', join(dir, 'b.nbb')], v.io)).toBe(0);
    expect(v.out[0]).toMatch(/^ok /);
  });

  it('exits 1 with the error code on a bad bundle, 2 on bad usage', async () => {
    const bad = join(dir, 'bad.nbb');
    const good = readFileSync(join(dir, 'b.nbb'));
    writeFileSync(bad, good.subarray(0, good.length - 3));
    const v = io();
    expect(await runCli(['validate', bad], v.io)).toBe(1);
    expect(v.err[0]).toMatch(/BUNDLE_TRUNCATED/);
    const u = io();
    expect(await runCli(['frobnicate'], u.io)).toBe(2);
    const w = io();
    expect(await runCli(['inspect', '--bogus', 'x'], w.io)).toBe(2);
    const m = io();
    expect(await runCli(['validate', join(dir, 'nope.nbb')], m.io)).toBe(1);
    expect(m.err[0]).toMatch(/ARGUMENT_INVALID.*ENOENT/);
  });

  it('inspect reports journeys and their state bytes per customer', async () => {
    const i = io();
    expect(await runCli(['inspect', join(__dirname, '..', '..', 'models', 'journeys.nbb')], i.io)).toBe(0);
    const text = i.out.join('\n');
    expect(text).toMatch(/state\s+120 bytes per customer: journeys 111B/);
    expect(text).toMatch(/connection_trouble\s+pattern\s+23 B\s+2 partial\s+change -> fails\{3,\}, within 1h/);
    expect(text).toMatch(/retention_walkout .* -> no contract_renewal for 1d, within 7d/);
    expect(text).toMatch(/spend7d\s+aggregate\s+46 B\s+sum\/count of card_payment over 7d in 7 buckets of 1d/);
    const j = io();
    expect(await runCli(['inspect', '--json', join(__dirname, '..', '..', 'models', 'journeys.nbb')], j.io)).toBe(0);
    const r = JSON.parse(j.out.join('\n'));
    expect(r.state.bytes).toBe(120);
    expect(r.journeys.items.map((x: { id: string; bytes: number }) => [x.id, x.bytes])).toEqual([
      ['connection_trouble', 23],
      ['retention_walkout', 23],
      ['declined_heavy_spender', 5],
      ['spend7d', 46],
    ]);
  });
});
