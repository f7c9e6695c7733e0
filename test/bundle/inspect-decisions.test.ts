import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/index.js';

describe('nextbest inspect: decisions and state', () => {
  it('reports actions, policies, channels and the state bytes per customer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-inspect-'));
    const spec = join(dir, 'd.yaml');
    writeFileSync(
      spec,
      `bundle: d
version: "1"
features: { x: numeric }
context: { channel: [app, email] }
groups: { g: {} }
actions:
  a: { kind: sale, group: g, propensity: 0.5, eligibility: [x > 1, x < 9] }
  b: { kind: service, propensity: 0.5 }
policies:
  cap: { channel: email, max: 2, per: 7d }
  back: { each: action, count: reject, after: 2, within: 90d, suppress: 30d }
`,
    );
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await runCli(['build', spec, '-o', join(dir, 'd.nbb')], io)).toBe(0);
    expect(await runCli(['inspect', join(dir, 'd.nbb')], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('decisions 2 actions, 1 groups, 2 rules (');
    expect(text).toContain('2 policies, 0 triggers; channels app, email');
    // 16 header + cap (2 x 4) + back (2 actions x (2 x 4 + 4))
    expect(text).toContain('state     40 bytes per customer: contacts 32B');
    out.length = 0;
    expect(await runCli(['inspect', '--json', join(dir, 'd.nbb')], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ state: { bytes: 40, sections: { contacts: 32 } }, decisions: { actions: 2, policies: 2 } });
  });
});
