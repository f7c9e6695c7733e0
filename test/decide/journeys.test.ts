/**
 * Decisions reading journey results: `journey.<id>` and aggregates in rules,
 * filled inside the decision kernel from the customer state at the request's
 * `now`; triggers requesting a decision when a journey matches; and the
 * validation of both at load. Both wasm builds.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { BundlePayload } from '../../src/bundle/format.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { referenceDecide } from '../../src/reference/decide.js';
import { ReferenceJourneys } from '../../src/reference/journeys.js';
import { decodeSection } from '../../src/state/journeys.js';
import { section } from '../../src/state/layout.js';
import type { Decisions } from '../../src/decide/decider.js';
import type { ModelTable } from '../../src/models/registry.js';

const SPEC = `
bundle: care
version: "1"
features:
  tenure_months: numeric
context:
  channel: [app, call_center]
events:
  device_change: {}
  connect_fail:
    network: [mobile, wifi]
journeys:
  aggregates:
    fails1h: { event: connect_fail, functions: [count], over: 1h, resolution: 15m }
  patterns:
    connection_trouble:
      steps:
        - event: device_change
          as: change
        - followedBy: connect_fail
          as: fails
          where: event.network == "mobile"
          times: 3+
      within: 1h
groups:
  care:
    suppresses: { kind: sale }
actions:
  fix_network:
    kind: service
    group: care
    channels: [app, call_center]
    propensity: 0.9
    value: 40
    eligibility: journey.connection_trouble
  upsell:
    kind: sale
    channels: [app]
    propensity: 0.2
    value: 100
    eligibility: journey.fails1h.count < 2 and tenure_months > 6
triggers:
  trouble_call:
    journey: connection_trouble
    channel: call_center
`;

const T = Date.UTC(2024, 10, 23, 9, 55);
const M = 60_000;
const H = 60 * M;

const payload = compileSpec(new SpecSource(SPEC, 'care.yaml'), { created: 'x' });

describe('decisions read journeys', () => {
  for (const wasm of VARIANTS) {
    it(`journey flags and aggregates decide, at the request's now (${wasm})`, async () => {
      const e = await Engine.load(encodeBundle(payload), { wasm });
      const ask = (now: number) =>
        e.decide({ customerId: 'c', features: { tenure_months: 24 }, context: { now, channel: 'app' } }).actions.map((a) => a.id);
      expect(ask(T)).toEqual(['upsell']); // no history
      e.observe('c', { type: 'device_change', time: T });
      e.observe('c', { type: 'connect_fail', time: T + 5 * M, network: 'wifi' });
      e.observe('c', { type: 'connect_fail', time: T + 6 * M, network: 'mobile' });
      expect(ask(T + 7 * M)).toEqual([]); // two failures within the hour: no upsell, no trouble yet
      e.observe('c', { type: 'connect_fail', time: T + 8 * M, network: 'mobile' });
      const r = e.observe('c', { type: 'connect_fail', time: T + 9 * M, network: 'mobile' }, { features: { tenure_months: 24 } });
      expect(r.matches.map((m) => m.journey)).toEqual(['connection_trouble']);
      // the trigger asked for a call-center decision at the match time
      expect(r.decisions).toHaveLength(1);
      expect(r.decisions![0]).toMatchObject({ trigger: 'trouble_call', journey: 'connection_trouble', time: T + 9 * M });
      expect(r.decisions![0]!.decision.actions.map((a) => [a.id, a.channel])).toEqual([['fix_network', 'call_center']]);
      expect(ask(T + 10 * M)).toEqual(['fix_network']);
      // activeFor is 24h; the failures leave the 1h window after at most an hour
      expect(ask(T + 9 * M + 24 * H - 1)).toEqual(['fix_network']);
      expect(ask(T + 9 * M + 24 * H)).toEqual(['upsell']);
      // explanations name the journey rule that dropped the sale
      const ex = e.decide({ customerId: 'c', features: { tenure_months: 24 }, context: { now: T + 10 * M, channel: 'app' } }, { explain: true });
      expect(JSON.stringify(ex.explanation)).toContain('journey.fails1h.count');
    });

    it(`the pure forms agree with the store forms (${wasm})`, async () => {
      const e = await Engine.load(encodeBundle(payload), { wasm });
      let s: Uint8Array | undefined;
      const events = [
        { type: 'device_change', time: T },
        ...[1, 2, 3].map((i) => ({ type: 'connect_fail', time: T + i * M, network: 'mobile' })),
      ];
      let last;
      for (const ev of events) {
        last = e.observeState(s, ev, { features: { tenure_months: 3 } });
        s = last.state;
      }
      expect(last!.decisions!.map((d) => d.decision.actions.map((a) => a.id))).toEqual([['fix_network']]);
      const d = e.decideState(s, { features: { tenure_months: 24 }, context: { now: T + 4 * M, channel: 'app' } }).decision;
      expect(d.actions.map((a) => a.id)).toEqual(['fix_network']);
      expect(e.journeyValues(s!, T + 4 * M)).toMatchObject({ 'journey.connection_trouble': true, 'journey.fails1h.count': 3 });
    });
  }

  it('the decision twin, fed by the journeys twin, ranks as the kernel does on random histories', async () => {
    const e = await Engine.load(encodeBundle(payload), { wasm: 'debug' });
    const d = (e as unknown as { decisions: Decisions }).decisions;
    const t = d.tables;
    const twin = new ReferenceJourneys(e.journeys!.set);
    const models = new Map<string, ModelTable>();
    const contactsOffset = section(d.layout, 'contacts')!.offset;
    const rand = mulberry32(11);
    let s: Uint8Array | undefined;
    let time = T;
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      time += randInt(rand, 0, 9) * M;
      const ev = rand() < 0.15 ? { type: 'device_change', time } : { type: 'connect_fail', time, network: rand() < 0.7 ? 'mobile' : 'wifi' };
      s = e.observeState(s, ev).state;
      const now = time + randInt(rand, 0, 30 * 60) * 1000;
      const tenure = randInt(rand, 0, 12);
      const decision = d.decide(s, { features: { tenure_months: tenure }, context: { now, channel: ['app', 'call_center'] } }, undefined);
      const st = decodeSection(e.journeys!.set, e.journeys!.layout, s, e.journeys!.sectionOffset);
      const frame = new Float64Array(t.frame.slots).fill(NaN);
      const ref = referenceDecide(t, models, {
        features: e.schema.encode({ tenure_months: tenure }),
        frame,
        state: s,
        contactsOffset,
        now,
        channels: [0, 1],
        limit: t.arbitration.limit,
        journeyValue: (id) => twin.value(st, now, id),
      });
      const want = ref.ranked.map((k) => `${t.actions[ref.records[k]!.action]!.id}@${t.channels[ref.records[k]!.channel]}`);
      const got = decision.actions.map((a) => `${a.id}@${a.channel}`);
      expect(got, `event ${i}`).toEqual(want);
      seen.add(got.join(','));
    }
    expect(seen.size).toBeGreaterThanOrEqual(3); // care, sale and nothing all happen
  });

  it('validates journey values and trigger journeys at load', async () => {
    const load = async (mutate: (p: BundlePayload & Record<string, any>) => void) => {
      const p = structuredClone(payload) as BundlePayload & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      mutate(p);
      try {
        await Engine.load(encodeBundle(p));
      } catch (e) {
        if (e instanceof NextbestError) return `${e.code}: ${e.message}`;
        throw e;
      }
      return 'loaded';
    };
    expect(await load(() => {})).toBe('loaded');
    expect(await load((p) => (p.decisions.frame.journeys[0].valueId = 99))).toMatch(/^BUNDLE_INVALID: .*frame\.journeys\[0\]\.valueId/);
    expect(await load((p) => (p.decisions.triggers[0].journey = 'walkout'))).toMatch(/^BUNDLE_INVALID: .*"walkout" is not a journey of this bundle/);
    expect(await load((p) => delete p.journeys)).toMatch(/^BUNDLE_INVALID: .*(no journeys|not a journey)/);
  });

  it('names unknown journeys in rules and triggers at compile time', () => {
    const err = (text: string) => {
      try {
        compileSpec(new SpecSource(text, 'care.yaml'));
      } catch (e) {
        return (e as NextbestError).message;
      }
      return 'compiled';
    };
    expect(err(SPEC.replace('eligibility: journey.connection_trouble', 'eligibility: journey.conection_trouble'))).toMatch(
      /unknown name `journey\.conection_trouble`; did you mean `journey\.connection_trouble`/,
    );
    expect(err(SPEC.replace('journey: connection_trouble', 'journey: walkout'))).toMatch(/walkout/);
  });
});
