/**
 * The rule memo (assembly/decide/arbitrate.ts RULE MEMO, src/decide/place.ts
 * ruleMemo): a rule program several actions share (a group's rules) runs once
 * per decision run, once per channel when it reads context.channel. The memo
 * must never change a result: the kernel's records equal the reference
 * twin's (which runs every rule every time) across customers whose shared
 * rules flip from call to call, several requested channels, explain on and
 * off, and the epoch wrapping around, on both wasm builds.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { Decisions } from '../../src/decide/decider.js';
import { ruleMemo } from '../../src/decide/place.js';
import { FACTOR_SLOTS } from '../../src/decide/tables.js';
import { referenceDecide } from '../../src/reference/decide.js';
import type { ModelTable } from '../../src/models/registry.js';
import { section } from '../../src/state/layout.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { diffRecords, REACHED_RANKING } from '../helpers/decisions.js';

const SPEC = `
bundle: rule-memo
version: "1"
features:
  tenure: numeric
  balance: numeric
  email_ok: numeric
  plan: [basic, standard, premium]
context:
  channel: [app, email, sms, store]
groups:
  retention:
    eligibility:
      established: tenure > 6
      consent: context.channel != "email" or email_ok > 0
    suitability:
      solvent: balance < 50 and plan != "basic"
  upsell:
    eligibility:
      consent: context.channel != "email" or email_ok > 0
      solvent: balance < 50 and plan != "basic"
actions:
  r1: { kind: sale, group: retention, propensity: 0.5, value: 10, channels: [app, email, sms] }
  r2: { kind: sale, group: retention, propensity: 0.4, value: 20, channels: [email, store], eligibility: { long: tenure > 24 } }
  r3: { kind: sale, group: retention, propensity: 0.3, value: 30 }
  u1: { kind: sale, group: upsell, propensity: 0.2, value: 40, channels: [app, email] }
  u2: { kind: sale, group: upsell, propensity: 0.6, value: 5, applicability: { premium: plan == "premium" } }
  lone: { kind: service, propensity: 0.9, value: 1, eligibility: { once: tenure > 3 } }
  own: { kind: sale, propensity: 0.5, value: 2, eligibility: { established: tenure > 6 } }
arbitration:
  priority: propensity * value + lever
  limit: 3
`;

const PLANS = ['basic', 'standard', 'premium'];
const CHANNELS = ['app', 'email', 'sms', 'store'];

async function load(wasm: 'release' | 'debug') {
  const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC, 'rule-memo.yaml'), { created: '2026-01-01T00:00:00Z' })), { wasm });
  const d = (engine as unknown as { decisions: Decisions }).decisions;
  return { engine, d };
}

describe('rule memo', () => {
  it('keeps the programs several rule refs share, per channel when they read context.channel', async () => {
    const { d } = await load('release');
    const t = d.tables;
    const { entries, bytes } = ruleMemo(t, t.channels.length);
    const sourceOf = (p: number) => t.programs.programs[p]!.source;
    const kept = [...entries].map(([p, e]) => [sourceOf(p), e.stride]).sort();
    // `tenure > 6` is a group rule and an action's own rule with the same program
    expect(kept).toEqual([
      ['balance < 50 and plan != "basic"', 0],
      ['context.channel != "email" or email_ok > 0', 8],
      ['tenure > 6', 0],
    ]);
    expect(bytes).toBe(8 + 8 * t.channels.length + 8);
    // offsets do not overlap
    const spans = [...entries.values()].map((e) => [e.offset, e.offset + (e.stride ? 8 * t.channels.length : 8)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it('never keeps a program that reads a slot written per candidate', async () => {
    const { d } = await load('release');
    const t = d.tables;
    const shared = t.actions[0]!.rules[0]![1];
    const program = t.programs.programs[shared]!;
    const tampered = { ...t, programs: { ...t.programs, programs: t.programs.programs.map((p, i) => (i === shared ? { ...program, slotsRead: [...program.slotsRead, FACTOR_SLOTS.value] } : p)) } };
    expect(ruleMemo(tampered, t.channels.length).entries.has(shared)).toBe(false);
    expect(ruleMemo(t, t.channels.length).entries.has(shared)).toBe(true);
  });

  for (const variant of VARIANTS) {
    it(`gives the reference twin's records call after call, on one and several channels (${variant})`, async () => {
      const { engine, d } = await load(variant);
      const t = d.tables;
      const models = new Map<string, ModelTable>(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
      const contactsOffset = section(d.layout, 'contacts')!.offset;
      const dt = (d as unknown as { placed: { dt: number } }).placed.dt;
      const rand = mulberry32(variant === 'release' ? 91 : 19);
      let dropped = 0;
      let selected = 0;
      for (let call = 0; call < 300; call++) {
        if (call === 150) engine.wasm.u32[(dt + 164) >> 2] = 0xffffffff; // the epoch wraps on the next run
        const features = {
          tenure: randInt(rand, 0, 40),
          balance: randInt(rand, 0, 80),
          email_ok: randInt(rand, 0, 1),
          plan: PLANS[randInt(rand, 0, 2)]!,
        };
        const requested = CHANNELS.map((_, c) => c).filter(() => rand() < 0.5);
        if (requested.length === 0) requested.push(randInt(rand, 0, CHANNELS.length - 1));
        const channel = requested.length === 1 && rand() < 0.5 ? CHANNELS[requested[0]!]! : requested.map((c) => CHANNELS[c]!);
        const now = 1_700_000_000_000 + call * 1000;
        const state = d.freshState();
        const frame = new Float64Array(t.frame.slots).fill(NaN);
        const ref = referenceDecide(t, models, { features: engine.schema.encode(features), frame, state, contactsOffset, now, channels: requested, limit: t.arbitration.limit });
        for (const explain of [true, false]) {
          const decision = d.decide(state, { features, context: { now, channel } }, { explain });
          const records = d.readRecords();
          const want = explain ? ref.records : ref.records.filter((r) => REACHED_RANKING.has(r.stage));
          expect(records.length, `call ${call}`).toBe(want.length);
          records.forEach((r, i) => expect(diffRecords(r, want[i]!), `call ${call}, explain ${explain}, candidate ${i}`).toBeUndefined());
          expect(decision.actions.map((a) => a.id)).toEqual(ref.ranked.map((i) => t.actions[ref.records[i]!.action]!.id));
        }
        dropped += ref.records.filter((r) => r.stage >= 2 && r.stage <= 4).length;
        selected += ref.ranked.length;
      }
      expect(engine.wasm.u32[(dt + 164) >> 2]).toBeLessThan(1000); // wrapped: the entries were cleared and the epoch restarted
      expect(dropped).toBeGreaterThan(300);
      expect(selected).toBeGreaterThan(300);
    });
  }
});
