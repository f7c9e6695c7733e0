/**
 * The decision kernel against its plain-TypeScript twin (src/reference/decide.ts)
 * on random bundles, customers, contexts and contact histories, on both wasm
 * builds: the same candidate records (stage, reason, factors bitwise), the
 * same ranked list, the same models scored, and the same state bytes after
 * every recorded contact.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { Decisions } from '../../src/decide/decider.js';
import { OUTCOMES, STAGES } from '../../src/decide/tables.js';
import { referenceDecide, referenceRecord } from '../../src/reference/decide.js';
import type { ModelTable } from '../../src/models/registry.js';
import { section } from '../../src/state/layout.js';
import { decodeLearning } from '../../src/adaptive/snapshot.js';
import { referenceCounts } from '../../src/reference/adaptive.js';
import { ReferencePrng } from '../../src/reference/prng.js';
import type { AdaptiveTable } from '../../src/models/adaptive.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { DAY, diffRecords, randomDecisionSpec, randomNow, randomRequest, REACHED_RANKING } from '../helpers/decisions.js';

function decisionsOf(e: Engine): Decisions {
  return (e as unknown as { decisions: Decisions }).decisions;
}

describe('decision kernel vs reference twin', () => {
  for (const variant of VARIANTS) {
    it(`agrees on random bundles, customers and histories (${variant})`, async () => {
      const rand = mulberry32(variant === 'release' ? 4242 : 777);
      const trials = variant === 'release' ? 70 : 35;
      let selected = 0;
      let learnedOutcomes = 0;
      let adaptiveCandidates = 0;
      const stagesSeen = new Set<string>();
      for (let trial = 0; trial < trials; trial++) {
        const rb = randomDecisionSpec(rand);
        // every third bundle without exclusive sets: the kernel then ranks lazily (a heap popped as far as the selection goes)
        if (trial % 3 === 2) withoutExclusiveSets(rb.spec);
        const payload = compileSpec(new SpecSource(JSON.stringify(rb.spec), `random-${trial}.json`), { created: '2026-01-01T00:00:00Z' });
        const engine = await Engine.load(encodeBundle(payload), { wasm: variant });
        const d = decisionsOf(engine);
        const t = d.tables;
        const models = new Map<string, ModelTable>(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
        const contactsOffset = section(d.layout, 'contacts')!.offset;

        for (let customer = 0; customer < 12; customer++) {
          const now = randomNow(rand);
          // A contact history, recorded by the kernel and by the twin.
          let state = d.freshState();
          const twin = state.slice();
          const nRecords = randInt(rand, 0, 25);
          for (let k = 0; k < nRecords; k++) {
            const a = randInt(rand, 0, t.actions.length - 1);
            const offered = t.actions[a]!.channels;
            const c = t.channels.length ? (rand() < 0.8 ? offered[randInt(rand, 0, offered.length - 1)]! : randInt(rand, 0, t.channels.length - 1)) : 0;
            const o = randInt(rand, 0, 2);
            // a third of the events lie a whole number of days before now: exactly on window boundaries
            const at = Math.max(1000, rand() < 0.35 ? now - randInt(rand, 0, 40) * DAY : now - randInt(rand, -DAY, 60 * DAY));
            d.record(state, { actionId: t.actions[a]!.id, ...(t.channels.length ? { channel: t.channels[c]! } : {}), outcome: OUTCOMES[o]!, at });
            referenceRecord(t, twin, contactsOffset, a, c, o, at);
            expect(Buffer.from(state).equals(Buffer.from(twin)), `state after record ${k} (trial ${trial})`).toBe(true);
          }
          if (rand() < 0.1 && t.contactsSize > 0) {
            // arbitrary bytes in the contact history: the kernel must read them safely, and as the twin does
            for (let b = 0; b < t.contactsSize; b++) state[contactsOffset + b] = randInt(rand, 0, 255);
          }
          const { features, context, frame, requested, limit } = randomRequest(rand, engine, t, rb, now);
          // adaptive propensities: the twin reads the engine's learning counts and draws from the same seed
          const seed = trial * 1000 + customer;
          const learned = decodeLearning(engine.learning.snapshot());
          const counts = (modelId: string, key: string) =>
            learned.models.find((m) => m.id === modelId)?.instances.find(([k]) => k === key)?.[1] ?? referenceCounts(models.get(modelId) as AdaptiveTable);
          const ref = referenceDecide(t, models, {
            adaptive: { counts, rng: new ReferencePrng(seed) },
            features: engine.schema.encode(features),
            frame,
            state,
            contactsOffset,
            now,
            channels: requested,
            limit: limit ?? t.arbitration.limit,
          });

          for (const explain of [true, false]) {
            const decision = d.decide(state, { customerId: `t${trial}c${customer}`, features, context: context as never }, { explain, seed, ...(limit === undefined ? {} : { limit }) });
            const records = d.readRecords();
            const ranked = d.readRanked(decision.actions.length);
            const want = explain ? ref.records : ref.records.filter((r) => REACHED_RANKING.has(r.stage));
            const where = `trial ${trial}, customer ${customer}, explain ${explain}`;
            expect(records.length, where).toBe(want.length);
            records.forEach((k, i) => {
              const diff = diffRecords(k, want[i]!);
              expect(diff, `${where}, candidate ${i} (${t.actions[k.action]!.id}): ${diff}\n${JSON.stringify(rb.spec)}`).toBeUndefined();
            });
            const wantRanked = ref.ranked.map((i) => want.indexOf(ref.records[i]!));
            expect(ranked, where).toEqual(wantRanked);
            expect(decision.actions.map((a) => a.id)).toEqual(ref.ranked.map((i) => t.actions[ref.records[i]!.action]!.id));
            expect(Object.keys(d.readScores()).sort(), where).toEqual([...ref.scored].sort());
          }
          // outcomes of the adaptive offers: learning moves the next customers' propensities
          for (const i of ref.ranked) {
            const r = ref.records[i]!;
            const a = t.actions[r.action]!;
            if (a.adaptive < 0 || rand() < 0.3) continue;
            const res = engine.learning.record({
              customerId: `t${trial}c${customer}`,
              actionId: a.id,
              ...(t.channels.length ? { channel: t.channels[r.channel]! } : {}),
              outcome: rand() < 0.4 ? 'accept' : 'reject',
              at: now,
            });
            expect(res.learned).toBe(true);
            learnedOutcomes++;
          }
          selected += ref.ranked.length;
          for (const r of ref.records) {
            stagesSeen.add(STAGES[r.stage]!);
            if (!Number.isNaN(r.modelPropensity)) adaptiveCandidates++;
          }
        }
      }
      // the random cases reach every stage
      expect([...stagesSeen].sort()).toEqual([...STAGES].sort());
      expect(selected).toBeGreaterThan(100);
      expect(learnedOutcomes).toBeGreaterThan(15);
      expect(adaptiveCandidates).toBeGreaterThan(100);
    });
  }
});

/** Drops the exclusive sets of a random spec's groups and actions. */
function withoutExclusiveSets(spec: Record<string, unknown>): void {
  for (const section of ['groups', 'actions']) {
    for (const body of Object.values((spec[section] ?? {}) as Record<string, Record<string, unknown>>)) delete body.exclusive;
  }
}
