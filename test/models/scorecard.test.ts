import { describe, expect, it } from 'vitest';
import { Model, NextbestError } from '../../src/index.js';
import { CREDIT, nextF32, pick, randomScorecardRows, randomScorecardSpec } from '../helpers/scorecards.js';
import { referenceMargins } from '../../src/models/registry.js';
import { referenceScorecardMargin } from '../../src/reference/scorecard.js';
import { scalingCoefficients, type ScorecardSpec, type ScorecardTable } from '../../src/models/scorecard.js';
import { decodeBundle, encodeBundle } from '../../src/bundle/codec.js';
import { readF32, readF64, readI32, readU8, toBin } from '../../src/bundle/binary.js';
import { firstBitwiseMismatch, mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { codeOf } from '../helpers/errors.js';

function expectedPrediction(t: ScorecardTable, margin: number): number {
  if (!t.scaling) return margin;
  const { scale, offset } = scalingCoefficients(t.scaling);
  return Math.fround(1 / (1 + Math.exp(-(scale * margin + offset))));
}


async function errorOf(p: Promise<unknown>): Promise<NextbestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected a NextbestError');
}

describe('scorecard model', () => {
  for (const variant of VARIANTS) {
    it(`matches the reference twin bitwise on random scorecards (${variant})`, async () => {
      const rand = mulberry32(2024);
      for (let trial = 0; trial < 80; trial++) {
        const m = await Model.fromScorecard(randomScorecardSpec(rand), { wasm: variant });
        const t = m.table as ScorecardTable;
        const n = randInt(rand, 1, 200);
        const rows = randomScorecardRows(rand, m, n);
        const margins = m.margin(rows, n);
        const ref = referenceMargins(t, rows, n, m.numFeatures);
        expect(firstBitwiseMismatch(margins, ref)).toBe(-1);
        const preds = m.predict(rows, n);
        const want = Float32Array.from(ref, (v) => expectedPrediction(t, v));
        expect(firstBitwiseMismatch(preds, want)).toBe(-1);
        // The kernel's per-characteristic bins (explain) are the reference's bins.
        const bins = new Int32Array(t.features.length);
        for (let r = 0; r < Math.min(n, 25); r++) {
          const row = rows.subarray(r * m.numFeatures, (r + 1) * m.numFeatures);
          const ex = m.explain(row, Infinity);
          expect(Object.is(ex.score, referenceScorecardMargin(t, row, 0, bins))).toBe(true);
          ex.characteristics.forEach((c, k) => {
            const b = bins[k]!;
            expect(c.points).toBe(t.points[b]);
            expect(c.label).toBe(t.binLabels[b]);
            expect(c.bin).toBe(b === t.missingBin[k] ? 'missing' : b === t.otherBin[k] ? 'other' : b - t.binStart[k]!);
          });
        }
      }
    });
  }

  it('scores the documented example by hand', async () => {
    const m = await Model.fromScorecard(CREDIT);
    expect(m.featureNames).toEqual(['age', 'income', 'housing', 'delinquencies']);
    const customer = { age: 25, income: 1500, housing: 'rent', delinquencies: 1 };
    // 400 base + 25 (age [25, 40)) + 5 (income < 2000) + 20 (rent) + 30 (delinquencies [1, 3)) = 480
    expect(m.marginOne(customer)[0]).toBe(480);
    // odds = 50 * 2^((480 - 600) / 20) = 50 / 64
    expect(m.predictOne(customer)[0]).toBeCloseTo(50 / 64 / (1 + 50 / 64), 6);
    expect(m.marginOne({ age: 41, income: 6000, housing: 'own', delinquencies: 0 })[0]).toBe(620);
    expect(m.marginOne({})[0]).toBe(400 + 15 + 0 + 10 + 0);
    const identity = await Model.fromScorecard({ ...CREDIT, scaling: undefined });
    expect(identity.predictOne(customer)[0]).toBe(480);
    expect(identity.table.transform).toBe('identity');
  });

  it('puts a value equal to a threshold in the bin above it', async () => {
    const m = await Model.fromScorecard({
      characteristics: [
        {
          feature: 'x',
          bins: [
            { below: 0.7, points: 1 },
            { from: 0.7, below: 10, points: 2 },
            { from: 10, points: 3 },
          ],
          missing: -1,
        },
      ],
    });
    const score = (x: number | null) => m.marginOne({ x })[0];
    expect(score(0.7)).toBe(2); // 0.7 reads as the same float32 as the bound
    expect(score(nextF32(Math.fround(0.7), -1))).toBe(1);
    expect(score(10)).toBe(3);
    expect(score(nextF32(10, -1))).toBe(2);
    expect(score(-Infinity)).toBe(1);
    expect(score(Infinity)).toBe(3);
    expect(score(-0)).toBe(1);
    expect(score(null)).toBe(-1);
    expect(score(NaN)).toBe(-1);
    // Every threshold and its neighbours land right, in the SIMD scan (up to 32
    // thresholds) and in the bisection (more).
    for (const count of [5, 32, 33, 80]) {
      const cuts = Array.from({ length: count }, (_, i) => i * 1.5 - 7);
      const long = await Model.fromScorecard({
        characteristics: [
          { feature: 'x', bins: [{ below: cuts[0], points: 0 }, ...cuts.map((c, i) => ({ from: c, ...(i + 1 < cuts.length ? { below: cuts[i + 1] } : {}), points: i + 1 }))] },
        ],
      });
      cuts.forEach((c, i) => {
        expect(long.marginOne({ x: c })[0]).toBe(i + 1);
        expect(long.marginOne({ x: nextF32(c, -1) })[0]).toBe(i);
      });
      expect(long.marginOne({ x: Infinity })[0]).toBe(count);
      expect(long.marginOne({ x: -Infinity })[0]).toBe(0);
    }
  });

  it('scores missing values and unseen categories with their bins', async () => {
    const spec: ScorecardSpec = {
      features: [
        { name: 'plan', type: 'categorical', categories: ['basic', 'plus', 'premium', 'legacy'] },
        { name: 'region', type: 'categorical' },
      ],
      characteristics: [
        { feature: 'plan', bins: [{ categories: ['basic'], points: 1 }, { categories: ['plus', 'premium'], points: 5 }], other: 2, missing: 3 },
        { feature: 'region', bins: [{ categories: [0, 1], points: 10 }, { categories: [7], points: 20 }], missing: 30 },
      ],
    };
    const m = await Model.fromScorecard(spec);
    const row = (plan: number, region: number) => m.marginOne(new Float32Array([plan, region]))[0]! ;
    expect(m.marginOne({ plan: 'legacy', region: 7 })[0]).toBe(2 + 20); // unlisted dictionary category -> other
    expect(row(3, 1)).toBe(12);
    expect(row(99, 0)).toBe(12); // code outside the dictionary -> other
    expect(row(1.5, 0)).toBe(12); // not an integer code -> other
    expect(row(-1, 0)).toBe(12);
    expect(row(NaN, 0)).toBe(13);
    expect(row(2, 3)).toBe(35); // region code 3 is in no bin and there is no other: scored as missing
    expect(row(2, 1e9)).toBe(35);
    expect(row(2, NaN)).toBe(35);
    expect(codeOf(() => m.marginOne({ plan: 'gold' }))).toBe('FEATURE_CATEGORY');
    const lenient = await Model.fromScorecard(spec, { encode: { unknownCategory: 'missing' } });
    expect(lenient.marginOne({ plan: 'gold', region: 0 })[0]).toBe(13);
  });

  it('round-trips through a bundle', async () => {
    const rand = mulberry32(99);
    for (let i = 0; i < 5; i++) {
      const m = await Model.fromScorecard(randomScorecardSpec(rand));
      const m2 = await Model.fromBundle(m.toBundle());
      expect(m2.kind).toBe('scorecard');
      expect(m2.featureNames).toEqual(m.featureNames);
      const rows = randomScorecardRows(rand, m, 100);
      expect(firstBitwiseMismatch(m.predict(rows, 100), m2.predict(rows, 100))).toBe(-1);
      expect(firstBitwiseMismatch(m.margin(rows, 100), m2.margin(rows, 100))).toBe(-1);
      expect(m2.explain(rows.subarray(0, m.numFeatures))).toEqual(m.explain(rows.subarray(0, m.numFeatures)));
    }
    const credit = await Model.fromBundle((await Model.fromScorecard(CREDIT)).toBundle());
    expect(credit.explain({ age: 30, income: 1000, housing: 'rent', delinquencies: 5 }, 2).reasons.map((r) => r.code)).toEqual(['DELINQ', 'LOW_INCOME']);
  });

  it('rejects bad specs with MODEL_INVALID and a message naming the characteristic and bin', async () => {
    const base = (): ScorecardSpec => structuredClone(CREDIT);
    const cases: [string, (s: ScorecardSpec) => void, RegExp, string?][] = [
      ['overlap', (s) => (s.characteristics[0]!.bins[1]!.from = 20), /characteristic "age": bins 0 \(< 25\) and 1 \(\[20, 40\)\) overlap/],
      ['gap', (s) => (s.characteristics[0]!.bins[1]!.from = 26), /characteristic "age": values in \[25, 26\) fall in no bin; close the gap or give `other`/],
      ['open end', (s) => s.characteristics[0]!.bins.pop(), /characteristic "age": values from 40 up fall in no bin/],
      ['empty bin', (s) => (s.characteristics[0]!.bins[1]!.below = 25), /characteristic "age", bin 1: from \(25\) must be below `below` \(25\)/],
      ['empty in f32', (s) => Object.assign(s.characteristics[0]!.bins[1]!, { from: 25, below: 25.0000001 }), /characteristic "age", bin 1: .* is empty once its bounds are rounded to float32/],
      ['points', (s) => (s.characteristics[1]!.bins[2]!.points = NaN), /characteristic "income", bin 2: points must be a finite number/],
      ['points limit', (s) => (s.characteristics[1]!.bins[2]!.points = 1e13), /characteristic "income", bin 2: points must be a finite number within/],
      ['missing points', (s) => (s.characteristics[0]!.missing = Infinity), /characteristic "age", missing bin: points must be a finite number/],
      ['unknown category', (s) => (s.characteristics[2]!.bins[0]!.categories = ['castle']), /characteristic "housing", bin 0: "castle" is not a category of feature "housing"/],
      ['duplicate category', (s) => (s.characteristics[2]!.bins[1]!.categories = ['rent', 'own']), /characteristic "housing": category "own" is in bins 0 and 1/],
      ['unlisted category', (s) => (s.characteristics[2]!.bins[2]!.categories = ['parents']), /characteristic "housing": categories "other" are in no bin; list them or give `other`/],
      ['empty categories', (s) => (s.characteristics[2]!.bins[0]!.categories = []), /characteristic "housing", bin 0: categories must be a non-empty list/],
      ['numeric bin on categorical', (s) => Object.assign(s.characteristics[2]!.bins[0]!, { from: 1 }), /characteristic "housing", bin 0: feature "housing" is categorical; give categories/],
      ['categories on numeric', (s) => Object.assign(s.characteristics[3]!.bins[0]!, { categories: ['a'] }), /characteristic "delinquencies", bin 0: feature "delinquencies" is numeric/],
      ['typo', (s) => Object.assign(s.characteristics[3]!.bins[0]!, { point: 3 }), /characteristic "delinquencies", bin 0: unknown field "point"/],
      ['typo top', (s) => Object.assign(s, { basepoints: 3 }), /spec: unknown field "basepoints"/],
      ['no bins', (s) => (s.characteristics[3]!.bins = []), /characteristic "delinquencies": bins must be a non-empty list/],
      ['no characteristics', (s) => (s.characteristics = []), /characteristics must be a non-empty list/],
      ['duplicate name', (s) => (s.characteristics[1]!.name = 'age'), /characteristic "age" appears twice/],
      ['reason code', (s) => (s.characteristics[1]!.bins[0]!.reasonCode = ''), /characteristic "income", bin 0: reasonCode must be a non-empty string/],
      ['bound type', (s) => (s.characteristics[0]!.bins[0]!.below = '25' as unknown as number), /characteristic "age", bin 0: below must be a number/],
      ['bound range', (s) => (s.characteristics[0]!.bins[2]!.from = 1e39), /characteristic "age", bin 2: from = 1e\+39 is outside the float32 range/],
      ['pdo', (s) => (s.scaling!.pdo = 0), /scaling: pdo must not be 0/],
      ['odds', (s) => (s.scaling!.baseOdds = -2), /scaling: baseOdds must be above 0/],
      ['scaling field', (s) => (s.scaling = { pdo: 20, baseScore: 600 } as ScorecardSpec['scaling']), /scaling.baseOdds must be a finite number/],
      ['base points', (s) => (s.basePoints = NaN), /basePoints: points must be a finite number/],
      ['id', (s) => (s.id = 'no spaces'), /id must match/],
      ['unknown feature', (s) => (s.characteristics[0]!.feature = 'agee'), /characteristic "agee": unknown feature "agee"/, 'FEATURE_UNKNOWN'],
    ];
    const schema = (await Model.fromScorecard(CREDIT)).schema.toJSON();
    for (const [name, mutate, message, code] of cases) {
      const spec = base();
      spec.features = schema;
      mutate(spec);
      const e = await errorOf(Model.fromScorecard(spec));
      expect(e.code, name).toBe(code ?? 'MODEL_INVALID');
      expect(e.message, name).toMatch(message);
      expect(e.message, name).toMatch(/^scorecard "(credit|no spaces)": /);
    }
    expect((await errorOf(Model.fromScorecard(null as unknown as ScorecardSpec))).code).toBe('MODEL_INVALID');
    const codes = await errorOf(
      Model.fromScorecard({ features: [{ name: 'r', type: 'categorical' }], characteristics: [{ feature: 'r', bins: [{ categories: [1.5], points: 1 }] }] }),
    );
    expect(codes.message).toMatch(/feature "r" has no dictionary, so categories are integer codes/);
  });
});

describe('scorecard bundle validation', () => {
  async function section(): Promise<{ payload: Record<string, unknown>; model: Record<string, unknown> }> {
    const { payload } = decodeBundle((await Model.fromScorecard(CREDIT)).toBundle());
    return { payload, model: (payload.models as Record<string, unknown>[])[0]! };
  }

  type Field = 'features' | 'charKinds' | 'binStart' | 'binCount' | 'thrStart' | 'thrCount' | 'lookStart' | 'lookCount' | 'missingBin' | 'otherBin' | 'thresholds' | 'lookup' | 'points' | 'binReason';
  const readers: Record<Field, (v: unknown, what: string) => Int32Array | Uint8Array | Float32Array | Float64Array> = {
    features: readI32,
    charKinds: readU8,
    binStart: readI32,
    binCount: readI32,
    thrStart: readI32,
    thrCount: readI32,
    lookStart: readI32,
    lookCount: readI32,
    missingBin: readI32,
    otherBin: readI32,
    thresholds: readF32,
    lookup: readI32,
    points: readF64,
    binReason: readI32,
  };

  function setAt(model: Record<string, unknown>, field: Field, index: number, value: number): void {
    const arr = readers[field](model[field], field);
    arr[index] = value;
    model[field] = toBin(arr);
  }

  it('rejects malformed tables with BUNDLE_INVALID', async () => {
    const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
      ['feature index', (m) => setAt(m, 'features', 1, 4), /characteristic 1 \("income"\): feature index 4 is outside the schema/],
      ['negative feature', (m) => setAt(m, 'features', 0, -1), /feature index -1/],
      ['kind', (m) => setAt(m, 'charKinds', 0, 2), /unknown characteristic kind 2/],
      ['thresholds order', (m) => setAt(m, 'thresholds', 1, 20), /thresholds must be strictly increasing/],
      ['threshold NaN', (m) => setAt(m, 'thresholds', 0, NaN), /threshold 0 is not finite/],
      ['threshold inf', (m) => setAt(m, 'thresholds', 1, Infinity), /threshold 1 is not finite/],
      ['lookup bin', (m) => setAt(m, 'lookup', 0, 5), /lookup entry 0 names bin 5, outside the characteristic's bins \[0, 4\)/],
      ['lookup negative', (m) => setAt(m, 'lookup', 4, -1), /lookup entry 1 names bin -1/],
      ['missing bin', (m) => setAt(m, 'missingBin', 2, 99), /missing bin 99 is outside/],
      ['other bin', (m) => setAt(m, 'otherBin', 2, 3), /other bin 3 is outside/],
      ['numeric other', (m) => setAt(m, 'otherBin', 0, 7), /other bin 7 is neither -1 nor inside/],
      ['bin start', (m) => setAt(m, 'binStart', 1, 3), /bins \[3, 7\) must follow the previous characteristic's/],
      ['bin count', (m) => setAt(m, 'binCount', 3, 0), /bins \[12, 12\) must follow/],
      ['bin past its characteristic', (m) => setAt(m, 'binCount', 3, 3), /missing bin 15 is outside \[12, 15\)/],
      [
        'bins left over',
        (m) => {
          m.points = toBin(Float64Array.from([...readF64(m.points, 'p'), 1]));
          m.binReason = toBin(Int32Array.from([...readI32(m.binReason, 'r'), 0]));
          m.binLabels = [...(m.binLabels as string[]), 'extra'];
        },
        /1 bins belong to no characteristic/,
      ],
      ['threshold range', (m) => setAt(m, 'thrCount', 3, 9), /thresholds \[4, 13\) fall outside thresholds/],
      ['lookup range', (m) => setAt(m, 'lookStart', 3, 11), /lookup \[11, 14\) falls outside lookup/],
      ['interval count', (m) => setAt(m, 'lookCount', 0, 2), /one lookup entry per interval \(3\), got 2/],
      ['categorical thresholds', (m) => setAt(m, 'thrCount', 2, 1), /a categorical characteristic has no thresholds/],
      ['unreachable', (m) => setAt(m, 'lookup', 1, 0), /bin 1 can never be reached/],
      ['points NaN', (m) => setAt(m, 'points', 3, NaN), /points\[3\]: NaN is not a finite number/],
      ['points huge', (m) => setAt(m, 'points', 3, 1e300), /points\[3\]: 1e\+300 is not a finite number within/],
      ['reason index', (m) => setAt(m, 'binReason', 0, 6), /binReason\[0\]: 6 is outside reasonCodes/],
      ['base points', (m) => (m.basePoints = Infinity), /basePoints: expected a finite number/],
      ['names', (m) => (m.names = ['age']), /names: has 1 entries, expected 4/],
      ['duplicate names', (m) => (m.names = ['age', 'age', 'housing', 'delinquencies']), /names: characteristic names must be unique/],
      ['labels', (m) => (m.binLabels = [1, 2]), /binLabels: has 2 entries, expected 16/],
      ['reason codes', (m) => (m.reasonCodes = 'AGE'), /reasonCodes: expected a list of strings/],
      ['array lengths', (m) => (m.missingBin = toBin(new Int32Array(3))), /missingBin: has 3 entries for 4 characteristics/],
      ['odd bytes', (m) => (m.lookup = new Uint8Array(7)), /lookup: 7 bytes is not a whole number of 4-byte elements/],
      ['not binary', (m) => (m.points = [1, 2]), /points: expected binary data, got an array/],
      ['transform', (m) => (m.transform = 'sigmoid'), /a scorecard has one group and an identity or scaledSigmoid transform/],
      ['no scaling', (m) => delete m.scaling, /scaling: expected a map/],
      ['pdo', (m) => (m.scaling = { pdo: 0, baseScore: 600, baseOdds: 50 }), /scaling: pdo must not be 0/],
      ['odds', (m) => (m.scaling = { pdo: 20, baseScore: 600, baseOdds: 0 }), /scaling: baseOdds must be above 0/],
      ['stray scaling', (m) => Object.assign(m, { transform: 'identity' }), /scaling is only allowed with the scaledSigmoid transform/],
      ['no characteristics', (m) => (m.features = new Uint8Array(0)), /a scorecard has 1 to 65536 characteristics, got 0/],
    ];
    for (const [name, mutate, message] of cases) {
      const { payload, model } = await section();
      mutate(model);
      const e = await errorOf(Model.fromBundle(encodeBundle(payload as never)));
      expect(e.code, name).toBe('BUNDLE_INVALID');
      expect(e.message, name).toMatch(/^model "credit"/);
      expect(e.message, name).toMatch(message);
    }
  });

  it('never lets a corrupted table reach the kernel (debug build asserts every bin)', async () => {
    const rand = mulberry32(5);
    const fields = Object.keys(readers) as Field[];
    const spec = randomScorecardSpec(mulberry32(11));
    const original = decodeBundle((await Model.fromScorecard(spec)).toBundle()).payload;
    let loaded = 0;
    for (let i = 0; i < 300; i++) {
      const payload = structuredClone(original) as Record<string, unknown>;
      const model = (payload.models as Record<string, unknown>[])[0]!;
      for (let k = randInt(rand, 1, 2); k > 0; k--) {
        const field = pick(rand, fields);
        const arr = readers[field](model[field], field);
        if (arr.length === 0) continue;
        const big = arr instanceof Float32Array || arr instanceof Float64Array;
        const value = big ? pick(rand, [NaN, Infinity, -1, 0, 1e6, rand() * 100]) : pick(rand, [-1, 0, 1, 2, arr.length, 255, 1 << 20, randInt(rand, 0, 40)]);
        setAt(model, field, randInt(rand, 0, arr.length - 1), value);
      }
      let m: Model;
      try {
        m = await Model.fromBundle(encodeBundle(payload as never), { wasm: 'debug' });
      } catch (e) {
        expect((e as NextbestError).code).toBe('BUNDLE_INVALID');
        continue;
      }
      loaded++;
      const rows = randomScorecardRows(rand, m, 40);
      expect(firstBitwiseMismatch(m.margin(rows, 40), referenceMargins(m.table, rows, 40, m.numFeatures))).toBe(-1);
      m.explain(rows.subarray(0, m.numFeatures));
    }
    // Some mutations are harmless (a point value, a threshold that stays increasing): those load and score.
    expect(loaded).toBeGreaterThan(0);
  });
});
