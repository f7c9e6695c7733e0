/**
 * The contact-policy table of docs/decisions.md, run as tests: each row is a
 * policy, a history recorded with engine.record, a decision, and what
 * happens to offer_a and offer_b.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { VARIANTS } from '../helpers/random.js';

const DAY0 = Date.UTC(2024, 0, 1);

/** `d6`, `d6 23:59:59`, `d0 00:00:00.900` -> epoch ms. */
function time(s: string): number {
  const m = /^d(\d+)(?: (\d\d):(\d\d)(?::(\d\d)(?:\.(\d{3}))?)?)?$/.exec(s.trim());
  if (!m) throw new Error(`bad time ${s}`);
  const [, d, h = '0', min = '0', sec = '0', ms = '0'] = m;
  return DAY0 + Number(d) * 86_400_000 + Number(h) * 3_600_000 + Number(min) * 60_000 + Number(sec) * 1000 + Number(ms);
}

function rows(): string[][] {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'decisions.md'), 'utf8');
  const table = doc.split('<!-- policy-table:start -->')[1]!.split('<!-- policy-table:end -->')[0]!;
  return table
    .trim()
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, '')),
    );
}

const STAGE_WORD: Record<string, string> = { selected: 'selected', policy: 'blocked', limit: 'capped' };

function spec(policy: string): string {
  return `bundle: policies
version: "1"
features: { x: numeric }
context:
  channel: [app, email, sms]
actions:
  offer_a: { kind: sale, propensity: 1, value: 3 }
  offer_b: { kind: sale, propensity: 1, value: 2 }
  offer_c: { kind: sale, propensity: 1, value: 1 }
policies:
  p: ${policy}
arbitration:
  limit: 5
`;
}

describe('docs/decisions.md: contact policy table', () => {
  const table = rows();
  it('has rows', () => expect(table.length).toBeGreaterThan(20));
  for (const variant of VARIANTS) {
    table.forEach(([policy, history, decision, a, b], i) => {
      it(`row ${i + 1} (${variant}): ${policy} | ${history} | ${decision}`, async () => {
        const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec(policy!), 'row.yaml'))), { wasm: variant });
        for (const event of history!.split(';')) {
          const [outcome, actionId, channel, ...at] = event.trim().split(/\s+/);
          engine.record({ customerId: 'c', actionId: actionId!, channel: channel!, outcome: outcome as 'impression', at: time(at.join(' ')) });
        }
        const [channel, ...when] = decision!.split(/\s+/);
        const d = engine.decide({ customerId: 'c', features: {}, context: { channel: channel!, now: time(when.join(' ')) } }, { explain: true });
        const got = (id: string) => {
          const c = d.explanation!.candidates.find((x) => x.action === id)!;
          return STAGE_WORD[c.stage] ?? c.stage;
        };
        expect([got('offer_a'), got('offer_b')]).toEqual([a, b]);
        // a blocked action names the policy; a capped one too
        for (const c of d.explanation!.candidates) if (c.stage === 'policy' || c.stage === 'limit') expect(c.policy?.id).toBe('p');
      });
    });
  }
});
