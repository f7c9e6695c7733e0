import { describe, expect, it } from 'vitest';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import { decodeLearning, encodeLearning } from '../../src/adaptive/snapshot.js';
import { adaptiveShape, type AdaptiveSpec } from '../../src/models/adaptive.js';
import {
  referenceAdaptiveObserve,
  referenceAdaptiveUpdate,
  referenceCounts,
  referencePredictorActivity,
} from '../../src/reference/adaptive.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import type { FeatureDef } from '../../src/runtime/features.js';

function randomSpec(rand: () => number): AdaptiveSpec {
  const n = randInt(rand, 1, 25);
  const features: FeatureDef[] = [];
  const predictors: AdaptiveSpec['predictors'] = {};
  for (let i = 0; i < n; i++) {
    if (rand() < 0.5) {
      features.push({ name: `x${i}`, type: 'numeric' });
      const k = randInt(rand, 0, 12);
      const t = Array.from({ length: k }, () => Math.round((rand() - 0.5) * 200) / 4).sort((a, b) => a - b);
      (predictors as Record<string, unknown>)[`x${i}`] = { thresholds: [...new Set(t.map((x) => Math.fround(x)))] };
    } else {
      const k = randInt(rand, 1, 8);
      const cats = Array.from({ length: k }, (_, j) => `c${j}`);
      features.push({ name: `k${i}`, type: 'categorical', categories: cats });
      (predictors as Record<string, unknown>)[`k${i}`] = { categories: cats.filter(() => rand() < 0.7) };
    }
  }
  features.push({ name: 'unused', type: 'numeric' });
  const scoreBins = rand() < 0.7 ? randInt(rand, 2, 300) : [-1, -0.25, 0, 0.1, 0.5, 2].slice(0, randInt(rand, 1, 6));
  return {
    id: 'offers',
    features,
    instances: 'action',
    predictors,
    performanceThreshold: rand() < 0.2 ? 0 : 0.5 + rand() * 0.1,
    scoreBins,
  };
}

function randomRow(rand: () => number, m: AdaptiveModel): Float32Array {
  const row = new Float32Array(m.schema.size);
  for (let f = 0; f < row.length; f++) {
    const u = rand();
    if (u < 0.08) row[f] = NaN;
    else if (m.schema.isCategorical(f)) row[f] = u < 0.14 ? rand() * 10 - 2 : randInt(rand, -1, 9);
    else row[f] = u < 0.12 ? [Infinity, -Infinity, 1e30, -0][randInt(rand, 0, 3)]! : (rand() - 0.5) * 120;
  }
  return row;
}

/** A hidden "true" acceptance that depends on a few features, so predictors become active. */
function outcomeFor(rand: () => number, row: Float32Array): boolean {
  let z = -1;
  for (let f = 0; f < Math.min(4, row.length); f++) {
    const x = row[f]!;
    if (Number.isFinite(x)) z += (f % 2 === 0 ? 0.03 : 0.4) * x;
  }
  return rand() < 1 / (1 + Math.exp(-z));
}

function bitsEqual(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

function countsOf(m: AdaptiveModel, key: string): Float64Array {
  const state = decodeLearning(m.learning.snapshot());
  const inst = state.models[0]!.instances.find(([k]) => k === key);
  return inst ? inst[1] : referenceCounts(m.table);
}

describe('adaptive model: kernel vs reference twin', () => {
  for (const variant of VARIANTS) {
    it(`observes, scores and learns exactly like the formulas on random models (${variant})`, async () => {
      const rand = mulberry32(variant === 'release' ? 1234 : 4321);
      let activeSeen = 0;
      for (let trial = 0; trial < 14; trial++) {
        const m = await AdaptiveModel.create(randomSpec(rand), { wasm: variant });
        const ref = referenceCounts(m.table);
        const steps = randInt(rand, 50, 400);
        for (let step = 0; step < steps; step++) {
          const row = randomRow(rand, m);
          const obs = m.observe(row, { action: 'a' });
          const want = referenceAdaptiveObserve(m.table, ref, row);
          expect([...obs.bins]).toEqual([...want.bins]);
          if (!bitsEqual(obs.score, want.score) || obs.scoreBin !== want.scoreBin || !bitsEqual(obs.propensity, want.propensity)) {
            throw new Error(`trial ${trial} step ${step}: wasm ${obs.score}/${obs.scoreBin}/${obs.propensity} vs reference ${want.score}/${want.scoreBin}/${want.propensity}`);
          }
          const positive = outcomeFor(rand, row);
          m.learn(obs, positive ? 'accept' : 'reject');
          referenceAdaptiveUpdate(m.table, ref, want.bins, want.scoreBin, positive);
        }
        expect([...countsOf(m, 'a')]).toEqual([...ref]);
        activeSeen += referencePredictorActivity(m.table, ref).active.filter(Boolean).length;
        // batch propensities (modelMargins) round the same propensity to f32
        const n = 40;
        const rows = new Float32Array(n * m.schema.size);
        for (let r = 0; r < n; r++) rows.set(randomRow(rand, m), r * m.schema.size);
        const batch = m.predict(rows, n, { action: 'a' });
        for (let r = 0; r < n; r++) {
          const want = referenceAdaptiveObserve(m.table, ref, rows, r * m.schema.size);
          expect(batch[r]).toBe(Math.fround(want.propensity));
        }
      }
      expect(activeSeen).toBeGreaterThan(10); // the random data did exercise active predictors
    });

    it(`scores equal the reference after merging large random counts (${variant})`, async () => {
      const rand = mulberry32(99);
      for (let trial = 0; trial < 8; trial++) {
        const m = await AdaptiveModel.create(randomSpec(rand), { wasm: variant });
        const ref = referenceCounts(m.table);
        // counts built by the reference: many outcomes, consistent by construction
        for (let i = 0; i < 3000; i++) {
          const row = randomRow(rand, m);
          const o = referenceAdaptiveObserve(m.table, ref, row);
          referenceAdaptiveUpdate(m.table, ref, o.bins, o.scoreBin, outcomeFor(rand, row));
        }
        const scaled = ref.map((c) => c * 1013); // still consistent, far larger counts
        m.learning.merge(encodeLearning({ kind: 'snapshot', models: [{ id: m.id, shape: adaptiveShape(m.table), instances: [['b', scaled]] }] }));
        for (let i = 0; i < 200; i++) {
          const row = randomRow(rand, m);
          const obs = m.observe(row, { action: 'b' });
          const want = referenceAdaptiveObserve(m.table, scaled, row);
          expect(bitsEqual(obs.score, want.score)).toBe(true);
          expect(bitsEqual(obs.propensity, want.propensity)).toBe(true);
        }
      }
    });
  }
});

describe('adaptive model: the hand-computed example of docs/adaptive.md', () => {
  const spec: AdaptiveSpec = {
    id: 'offers',
    features: [
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'premium', 'business'] },
    ],
    predictors: { tenure: { thresholds: [12] }, plan: { categories: ['basic', 'premium'] } },
    scoreBins: [-1, 0],
    instances: 'action',
  };
  // bins: tenure [<12, >=12, missing], plan [basic, premium, other, missing]; score bins [<-1, [-1,0), >=0]
  const outcomes: [number, number, number, boolean][] = [
    // tenure bin, plan bin, score bin, accepted
    [1, 1, 2, true],
    [1, 1, 2, true],
    [0, 0, 1, true],
    [1, 1, 2, true],
    [0, 0, 0, false],
    [0, 0, 0, false],
    [0, 0, 1, false],
    [0, 1, 1, false],
    [1, 1, 2, false],
    [0, 0, 1, false],
  ];

  for (const variant of VARIANTS) {
    it(`gives the documented score, propensity and AUCs (${variant})`, async () => {
      const m = await AdaptiveModel.create(spec, { wasm: variant });
      for (const [t, p, sb, yes] of outcomes) {
        m.learn({ modelId: 'offers', key: 'upgrade', score: 0, propensity: 0.5, scoreBin: sb, bins: Uint16Array.of(t, p) }, yes ? 'accept' : 'reject');
      }
      const r = m.report({ action: 'upgrade' });
      expect([r.positives, r.negatives]).toEqual([4, 6]);
      expect(r.predictors.map((p) => p.bins.map((b) => [b.label, b.positives, b.negatives]))).toEqual([
        [['< 12', 1, 5], ['>= 12', 3, 1], ['missing', 0, 0]],
        [['basic', 1, 4], ['premium', 3, 2], ['other', 0, 0], ['missing', 0, 0]],
      ]);
      expect(r.predictors[0]!.auc).toBeCloseTo(0.791667, 6);
      expect(r.predictors[1]!.auc).toBeCloseTo(0.708333, 6);
      expect(r.predictors.every((p) => p.active)).toBe(true);
      expect(r.auc).toBeCloseTo(0.833333, 6);

      // tenure 20 (>= 12), premium
      const a = m.observe({ tenure: 20, plan: 'premium' }, { action: 'upgrade' });
      const prior = Math.log(5) - Math.log(7);
      const cTenure = Math.log(3 + 1 / 3) - Math.log(1 + 1 / 3) + (Math.log(7) - Math.log(5));
      const cPlan = Math.log(3 + 1 / 4) - Math.log(2 + 1 / 4) + (Math.log(7) - Math.log(5));
      expect(a.score).toBeCloseTo((prior + cTenure + cPlan) / 3, 12);
      expect(a.score).toBeCloseTo(0.540163, 6);
      expect(a.scoreBin).toBe(2);
      expect(a.propensity).toBe(0.7); // (0.5 + 3) / (1 + 3 + 1)

      // tenure missing, basic
      const b = m.observe({ plan: 'basic' }, { action: 'upgrade' });
      expect(b.score).toBeCloseTo(-0.295768, 6);
      expect(b.scoreBin).toBe(1);
      expect(b.propensity).toBe(0.3); // (0.5 + 1) / (1 + 1 + 3)

      // an action without outcomes says 0.5
      expect(m.propensity({ tenure: 20, plan: 'premium' }, { action: 'new_offer' })).toBe(0.5);
      // and the reference twin agrees bit for bit
      const counts = countsOf(m, 'upgrade');
      expect(referenceAdaptiveObserve(m.table, counts, m.encode({ tenure: 20, plan: 'premium' })).score).toBe(a.score);
    });
  }
});
