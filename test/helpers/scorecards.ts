/** Scorecard fixtures for tests: the documented example and seeded random scorecards and rows. */
import type { Model } from '../../src/index.js';
import type { ScorecardSpec, ScorecardTable } from '../../src/models/scorecard.js';
import type { FeatureDef } from '../../src/runtime/features.js';
import { randInt } from './random.js';

/** The example of docs/models.md ("Scorecards"). */
export const CREDIT: ScorecardSpec = {
  id: 'credit',
  basePoints: 400,
  scaling: { pdo: 20, baseScore: 600, baseOdds: 50 },
  characteristics: [
    {
      feature: 'age',
      reasonCode: 'AGE',
      bins: [
        { below: 25, points: 10 },
        { from: 25, below: 40, points: 25 },
        { from: 40, points: 40 },
      ],
      missing: 15,
    },
    {
      feature: 'income',
      reasonCode: 'INCOME',
      bins: [
        { below: 2000, points: 5, reasonCode: 'LOW_INCOME' },
        { from: 2000, below: 5000, points: 30 },
        { from: 5000, points: 60 },
      ],
      missing: { points: 0, reasonCode: 'INCOME_MISSING' },
    },
    {
      feature: 'housing',
      reasonCode: 'HOUSING',
      bins: [
        { categories: ['own'], points: 50 },
        { categories: ['rent'], points: 20 },
        { categories: ['parents', 'other'], points: 30, label: 'parents or other' },
      ],
      missing: 10,
    },
    {
      feature: 'delinquencies',
      reasonCode: 'DELINQ',
      bins: [
        { below: 1, points: 70 },
        { from: 1, below: 3, points: 30 },
        { from: 3, points: 0 },
      ],
    },
  ],
};

const POOL = ['R1', 'R2', 'R3', 'R4'];

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[randInt(rand, 0, xs.length - 1)]!;
}

function shuffle<T>(rand: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randInt(rand, 0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function randomPoints(rand: () => number): number {
  return rand() < 0.3 ? randInt(rand, -20, 60) : (rand() - 0.3) * 100;
}

/** A random scorecard: numeric (threshold lists for the SIMD scan and for bisection, gaps), categorical with and without a dictionary. */
export function randomScorecardSpec(rand: () => number): ScorecardSpec {
  const features: FeatureDef[] = [{ name: 'unused', type: 'numeric' }];
  const characteristics: ScorecardSpec['characteristics'] = [];
  const nChars = randInt(rand, 1, 8);
  for (let c = 0; c < nChars; c++) {
    const kind = pick(rand, ['numeric', 'numeric', 'dict', 'codes'] as const);
    const feature = `f${c}`;
    const ch: ScorecardSpec['characteristics'][number] = { feature, bins: [] };
    if (rand() < 0.6) ch.reasonCode = pick(rand, POOL);
    if (rand() < 0.7) ch.missing = rand() < 0.5 ? randomPoints(rand) : { points: randomPoints(rand), reasonCode: pick(rand, POOL) };
    if (kind === 'numeric') {
      features.push({ name: feature, type: 'numeric' });
      const m = rand() < 0.1 ? randInt(rand, 33, 70) : rand() < 0.3 ? randInt(rand, 5, 32) : randInt(rand, 1, 4);
      const cuts = new Set<number>();
      while (cuts.size < m) cuts.add(rand() < 0.5 ? randInt(rand, -50, 50) : Math.fround((rand() - 0.5) * 200));
      const b = [...cuts].sort((x, y) => x - y);
      const intervals: { from?: number; below?: number }[] = [{ below: b[0]! }];
      for (let i = 1; i < b.length; i++) intervals.push({ from: b[i - 1]!, below: b[i]! });
      intervals.push({ from: b[b.length - 1]! });
      const gaps = rand() < 0.3;
      const kept = intervals.filter(() => !gaps || rand() < 0.7);
      if (kept.length === 0) kept.push(intervals[0]!);
      if (kept.length < intervals.length || rand() < 0.2) ch.other = randomPoints(rand);
      ch.bins = shuffle(
        rand,
        kept.map((iv) => ({ ...iv, points: randomPoints(rand), ...(rand() < 0.2 ? { reasonCode: pick(rand, POOL) } : {}) })),
      );
    } else {
      const dict = kind === 'dict';
      const k = randInt(rand, 1, 8);
      const values: (string | number)[] = dict ? Array.from({ length: k }, (_, i) => `c${i}`) : shuffle(rand, Array.from({ length: 20 }, (_, i) => i)).slice(0, k);
      features.push(dict ? { name: feature, type: 'categorical', categories: values as string[] } : { name: feature, type: 'categorical' });
      const listed = values.filter(() => rand() < 0.85);
      if (listed.length === 0) listed.push(values[0]!);
      if (listed.length < values.length || rand() < 0.5) ch.other = rand() < 0.5 ? randomPoints(rand) : { points: randomPoints(rand), reasonCode: pick(rand, POOL) };
      const nBins = randInt(rand, 1, listed.length);
      const groups: (string | number)[][] = Array.from({ length: nBins }, () => []);
      shuffle(rand, listed).forEach((v, i) => groups[i < nBins ? i : randInt(rand, 0, nBins - 1)]!.push(v));
      ch.bins = groups.map((categories) => ({ categories, points: randomPoints(rand), ...(rand() < 0.2 ? { reasonCode: pick(rand, POOL) } : {}) }));
    }
    characteristics.push(ch);
  }
  const spec: ScorecardSpec = { features: shuffle(rand, features), basePoints: rand() < 0.5 ? 0 : randInt(rand, -100, 600), characteristics };
  if (rand() < 0.5) spec.scaling = { pdo: 5 + rand() * 45, baseScore: rand() * 600, baseOdds: 0.1 + rand() * 50 };
  return spec;
}

function f32Bits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

export function nextF32(x: number, dir: 1 | -1): number {
  const b = new Float32Array([x]);
  const u = new Int32Array(b.buffer);
  if (x === 0) return dir * f32Bits(1);
  u[0] = u[0]! + (x > 0 === (dir > 0) ? 1 : -1);
  return b[0]!;
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 3.4e38, f32Bits(1), f32Bits(0x7fc00001), f32Bits(0xffffffff), f32Bits(0x7f800001)];

/** Rows that hit thresholds exactly, one float32 either side, special values and odd category codes. */
export function randomScorecardRows(rand: () => number, m: Model, n: number): Float32Array {
  const t = m.table as ScorecardTable;
  const near = [...t.thresholds].flatMap((v) => [v, nextF32(v, 1), nextF32(v, -1)]);
  const rows = new Float32Array(n * m.numFeatures);
  for (let i = 0; i < rows.length; i++) {
    const f = i % m.numFeatures;
    const u = rand();
    if (u < 0.1) rows[i] = pick(rand, SPECIALS);
    else if (m.schema.isCategorical(f)) rows[i] = u < 0.15 ? rand() * 30 - 3 : randInt(rand, -2, 22);
    else if (u < 0.6 && near.length) rows[i] = pick(rand, near);
    else rows[i] = (rand() - 0.5) * 300;
  }
  return rows;
}

