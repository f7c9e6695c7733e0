/**
 * Decisions that read journeys, kernel against twins, on random bundles and
 * event histories, on both wasm builds: random journeys (test/helpers/
 * journeys.ts) with random actions whose rules, propensities, values,
 * context weights and priorities read `journey.<id>`, `.lastMatch`, `.count`
 * and aggregates; the customer's state comes from a random event stream
 * (observeState and advanceState), and the reference decision function is
 * fed by the journeys twin, which has seen the same stream on its own state.
 * Same candidate records (stages, reasons, factors bitwise) and ranking after
 * every few events; the explanation's journey facts are the twin's values;
 * and journey sections of arbitrary bytes decide as the twin reads them.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { Decisions } from '../../src/decide/decider.js';
import { STAGES } from '../../src/decide/tables.js';
import { referenceDecide } from '../../src/reference/decide.js';
import { ReferenceJourneys } from '../../src/reference/journeys.js';
import type { SectionState } from '../../src/state/journeys.js';
import { decodeSection } from '../../src/state/journeys.js';
import { section } from '../../src/state/layout.js';
import { validateJourneys } from '../../src/compile/journey/bundle.js';
import { journeyValueDefs } from '../../src/compile/journey/bindings.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { randomJourneySpec, randomStream, refAttributes, TYPES } from '../helpers/journeys.js';
import { diffRecords, REACHED_RANKING, same } from '../helpers/decisions.js';

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Decision sections (YAML) over the journeys' names: every expression kind reads them. */
function decisionYaml(rand: () => number, patterns: string[], aggValues: string[]): string {
  const p = () => pick(rand, patterns);
  const agg = () => (aggValues.length ? pick(rand, aggValues) : `journey.${p()}.count`);
  const rules = [
    () => `journey.${p()}`,
    () => `not journey.${p()}`,
    () => `journey.${p()}.count >= ${randInt(rand, 0, 3)}`,
    () => `isMissing(journey.${p()}.lastMatch) or now - journey.${p()}.lastMatch < ${randInt(rand, 1, 180)}m`,
    () => `now - journey.${p()}.lastMatch >= ${randInt(rand, 1, 120)}m`,
    () => `${agg()} > ${randInt(rand, 0, 20)}`,
    () => `coalesce(${agg()}, 0) <= ${randInt(rand, 0, 30)}`,
    () => `isMissing(${agg()})`,
    () => `journey.${p()} or journey.${p()}`,
    () => `f > ${randInt(rand, 0, 5)}`,
  ];
  const propensities = [
    () => `clamp(journey.${p()}.count / 5, 0, 1)`,
    () => `0.${randInt(rand, 1, 9)}`,
    () => `coalesce(${agg()}, 1) / 20`,
    () => `journey.${p()} ? 0.9 : 0.1`,
    () => `${agg()} / 10`,
  ];
  const values = [
    () => String(randInt(rand, 1, 100)),
    () => agg(),
    () => `journey.${p()}.count * 10 + 1`,
    () => `(now - coalesce(journey.${p()}.lastMatch, now - 3600000)) / 60000`,
    () => `journey.${p()}.lastMatch - journey.${p()}.lastMatch + 5`,
  ];
  const lines = ['context:', '  channel: [app, sms]', 'groups:', '  care:', '    suppresses: { kind: sale }', `    eligibility: '${pick(rand, rules)()}'`, 'actions:'];
  const n = randInt(rand, 2, 9);
  for (let a = 0; a < n; a++) {
    lines.push(`  a${a}:`);
    const service = rand() < 0.3;
    lines.push(`    kind: ${service ? 'service' : 'sale'}`);
    if (service && rand() < 0.6) lines.push('    group: care');
    if (rand() < 0.5) lines.push(`    channels: [${pick(rand, ['app', 'sms', 'app, sms'])}]`);
    lines.push(`    propensity: '${pick(rand, propensities)()}'`);
    if (rand() < 0.8) lines.push(`    value: '${pick(rand, values)()}'`);
    for (const tier of ['eligibility', 'applicability', 'suitability']) {
      if (rand() < 0.5) {
        const rs = Array.from({ length: randInt(rand, 1, 2) }, () => pick(rand, rules)());
        lines.push(`    ${tier}:`);
        rs.forEach((r, i) => lines.push(`      a${a}_${tier}_${i}: '${r}'`));
      }
    }
    if (rand() < 0.15) lines.push('    mandatory: true');
  }
  lines.push('arbitration:', `  limit: ${randInt(rand, 1, 3)}`);
  if (rand() < 0.4) lines.push(`  priority: 'propensity * value + journey.${p()}.count'`);
  if (rand() < 0.6) {
    lines.push('  context:');
    if (rand() < 0.6) lines.push(`    - when: 'journey.${p()}'`, `      weight: ${randInt(rand, 2, 4)}`);
    // no when: applies to every action, missing (drops at stage context) while the journey has not matched
    if (rand() < 0.6) lines.push(`    - weight: '1 + (now - journey.${p()}.lastMatch) / 3600000'`);
  }
  return lines.join('\n') + '\n';
}

function decisionsOf(e: Engine): Decisions {
  return (e as unknown as { decisions: Decisions }).decisions;
}

async function runCase(seed: number, variant: (typeof VARIANTS)[number]): Promise<{ decisions: number; stages: Set<string>; valuesRead: number }> {
  const rand = mulberry32(seed);
  const journeysYaml = randomJourneySpec(rand, { maxPatterns: 5 });
  const jp = compileSpec(new SpecSource(journeysYaml, `journeys-${seed}.yaml`), { created: 'fixed' });
  const defs = journeyValueDefs(validateJourneys(jp.journeys, 1, jp.state).set);
  const patterns = [...new Set(defs.filter((d) => d.kind !== 'aggregate').map((d) => d.name.split('.')[1]!))];
  const aggValues = defs.filter((d) => d.kind === 'aggregate').map((d) => d.name);
  const yaml = journeysYaml + decisionYaml(rand, patterns, aggValues);
  const payload = compileSpec(new SpecSource(yaml, `random-${seed}.yaml`), { created: 'fixed' });
  const engine = await Engine.load(encodeBundle(payload), { wasm: variant });
  const d = decisionsOf(engine);
  const t = d.tables;
  const rt = engine.journeys!;
  const twin = new ReferenceJourneys(rt.set);
  const st: SectionState = twin.fresh();
  const contactsOffset = section(d.layout, 'contacts')!.offset;
  const noFeatures = new Float32Array([NaN]);
  const stages = new Set<string>();
  let state: Uint8Array | undefined;
  let decisions = 0;

  const check = (s: Uint8Array | undefined, now: number, value: (id: number) => number, where: () => string) => {
    const f = rand() < 0.8 ? randInt(rand, 0, 6) : null;
    const u = rand();
    const channels = u < 0.4 ? [0, 1] : u < 0.7 ? [0] : [1];
    const limit = rand() < 0.5 ? undefined : randInt(rand, 0, 3);
    const ref = referenceDecide(t, new Map(), {
      features: engine.schema.encode({ f }),
      frame: new Float64Array(t.frame.slots).fill(NaN),
      state: s ?? d.freshState(),
      contactsOffset,
      now,
      channels,
      limit: limit ?? t.arbitration.limit,
      journeyValue: value,
    });
    for (const explain of [true, false]) {
      const req = { features: { f }, context: { now, channel: channels.map((c) => t.channels[c]!) } };
      const decision = d.decide(s, req, { explain, ...(limit === undefined ? {} : { limit }) });
      const records = d.readRecords();
      const want = explain ? ref.records : ref.records.filter((r) => REACHED_RANKING.has(r.stage));
      expect(records.length, where()).toBe(want.length);
      records.forEach((k, i) => {
        const diff = diffRecords(k, want[i]!);
        if (diff !== undefined) expect(diff, `${where()}, candidate ${i} (${t.actions[k.action]!.id})`).toBeUndefined();
      });
      expect(d.readRanked(decision.actions.length), where()).toEqual(ref.ranked.map((i) => want.indexOf(ref.records[i]!)));
      if (explain) {
        // the explanation's journey facts are the values the twin reads
        for (const fact of decision.explanation!.journeys ?? []) {
          if (fact.kind === 'aggregate') {
            for (const [fn, x] of Object.entries(fact.values!)) {
              const id = defs.findIndex((v) => v.name === `journey.${fact.journey}.${fn}`);
              expect(same(x ?? NaN, value(id)), `${where()}: journey.${fact.journey}.${fn}`).toBe(true);
            }
          } else {
            const id = defs.findIndex((v) => v.name === `journey.${fact.journey}`);
            expect([fact.matched ? 1 : 0, fact.lastMatch ?? NaN, fact.count], where()).toEqual([value(id), value(id + 1), value(id + 2)]);
          }
        }
      }
    }
    for (const r of ref.records) stages.add(STAGES[r.stage]!);
    decisions++;
  };

  const stream = randomStream(rand, 160);
  for (let i = 0; i < stream.length; i++) {
    const item = stream[i]!;
    const where = () => `seed ${seed} (${variant}) item ${i}: ${JSON.stringify(item)}\n${yaml}`;
    if (item.kind === 'event') {
      state = engine.observeState(state, item.event, item.features ? { features: item.features } : undefined).state;
      twin.observe(st, { type: TYPES.indexOf(item.event.type as (typeof TYPES)[number]), time: item.event.time, attributes: refAttributes(item.event) }, item.features ?? noFeatures);
    } else {
      if (state === undefined) continue;
      state = engine.advanceState(state, item.now).state;
      twin.advance(st, item.now);
    }
    if (rand() < 0.35) {
      const time = item.kind === 'event' ? item.event.time : item.now;
      const now = time + randInt(rand, -30, 240) * 60_000 + (rand() < 0.3 ? randInt(rand, 0, 59_999) : 0);
      check(state, now, (id) => twin.value(st, now, id), where);
    }
    if (state !== undefined && rand() < 0.04) {
      // a journeys section of arbitrary bytes: the kernel reads it safely, as the twin decodes it
      const junk = state.slice();
      for (let b = 0; b < rt.layout.size; b++) junk[rt.sectionOffset + b] = randInt(rand, 0, 255);
      const dec = decodeSection(rt.set, rt.layout, junk, rt.sectionOffset);
      const now = (item.kind === 'event' ? item.event.time : item.now) + randInt(rand, -60, 60) * 60_000;
      check(junk, now, (id) => twin.value(dec, now, id), () => `${where()} (arbitrary section bytes)`);
    }
  }
  // a customer without state
  const first = stream.find((x) => x.kind === 'event');
  const t0 = first && first.kind === 'event' ? first.event.time : 1_700_000_000_000;
  check(undefined, t0, (id) => twin.value(twin.fresh(), t0, id), () => `seed ${seed}: no state\n${yaml}`);
  return { decisions, stages, valuesRead: t.frame.journeys.length };
}

describe('decisions reading journeys: kernel vs twins on random bundles and histories', () => {
  for (const variant of VARIANTS) {
    it(`agrees (${variant})`, async () => {
      let decisions = 0;
      let maxValues = 0;
      const stages = new Set<string>();
      const seeds = variant === 'release' ? 14 : 8;
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await runCase(7000 + seed, variant);
        decisions += r.decisions;
        maxValues = Math.max(maxValues, r.valuesRead);
        r.stages.forEach((s) => stages.add(s));
      }
      expect(decisions).toBeGreaterThan(seeds * 30);
      expect(maxValues).toBeGreaterThanOrEqual(8); // bundles that read many journey values
      for (const s of ['selected', 'eligibility', 'applicability', 'suitability', 'propensity', 'value', 'context', 'suppression', 'limit']) expect(stages, s).toContain(s);
    });
  }
});
