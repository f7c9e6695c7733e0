import { describe, expect, it } from 'vitest';
import { Model, NextbestError } from '../../src/index.js';
import { referenceMargins } from '../../src/models/registry.js';
import { firstBitwiseMismatch, mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import type { LinearSpec } from '../../src/models/linear.js';

function randomSpec(rand: () => number): LinearSpec {
  const nNum = randInt(rand, 0, 12);
  const nCat = randInt(rand, 0, 4);
  const weights: LinearSpec['weights'] = {};
  const missing: Record<string, number> = {};
  const features: LinearSpec['features'] = [];
  for (let i = 0; i < nNum; i++) {
    features.push({ name: `x${i}`, type: 'numeric' });
    weights[`x${i}`] = (rand() - 0.5) * 4;
    if (rand() < 0.5) missing[`x${i}`] = rand() * 10;
  }
  for (let i = 0; i < nCat; i++) {
    const k = randInt(rand, 1, 6);
    const cats = Array.from({ length: k }, (_, j) => `c${j}`);
    features.push({ name: `k${i}`, type: 'categorical', categories: cats });
    const w: Record<string, number> = {};
    for (const c of cats) if (rand() < 0.8) w[c] = (rand() - 0.5) * 2;
    weights[`k${i}`] = w;
    if (rand() < 0.5) missing[`k${i}`] = rand() - 0.5;
  }
  // a feature in the schema the model does not use
  features.push({ name: 'unused', type: 'numeric' });
  return { features, weights, missing, intercept: rand() * 2 - 1, link: rand() < 0.5 ? 'logit' : 'identity' };
}

function randomRows(rand: () => number, m: Model, n: number): Float32Array {
  const rows = new Float32Array(n * m.numFeatures);
  for (let i = 0; i < rows.length; i++) {
    const f = i % m.numFeatures;
    const u = rand();
    if (u < 0.1) rows[i] = NaN;
    else if (m.schema.isCategorical(f)) rows[i] = u < 0.15 ? rand() * 10 - 2 : randInt(rand, -1, 7);
    else rows[i] = u < 0.12 ? [Infinity, -Infinity, 1e30, -0][randInt(rand, 0, 3)]! : (rand() - 0.5) * 200;
  }
  return rows;
}

describe('linear model', () => {
  for (const variant of VARIANTS) {
    it(`matches the reference twin bitwise on random models (${variant})`, async () => {
      const rand = mulberry32(42);
      for (let trial = 0; trial < 60; trial++) {
        const spec = randomSpec(rand);
        const m = await Model.fromLinear(spec, { wasm: variant });
        const n = randInt(rand, 1, 300);
        const rows = randomRows(rand, m, n);
        const margins = m.margin(rows, n);
        const ref = referenceMargins(m.table, rows, n, m.numFeatures);
        expect(firstBitwiseMismatch(margins, ref)).toBe(-1);
        const preds = m.predict(rows, n);
        for (let i = 0; i < n; i++) {
          const want = spec.link === 'logit' ? Math.fround(1 / (1 + Math.exp(-ref[i]!))) : ref[i]!;
          expect(Object.is(preds[i], want) || (Number.isNaN(preds[i]) && Number.isNaN(want))).toBe(true);
        }
      }
    });
  }

  it('scores a logistic model by hand', async () => {
    const m = await Model.fromLinear({
      id: 'churn',
      intercept: -1,
      link: 'logit',
      weights: { tenure: -0.05, plan: { basic: 0.4, premium: -0.3 } },
      missing: { tenure: 24 },
    });
    expect(m.featureNames).toEqual(['tenure', 'plan']);
    const z = -1 + -0.05 * 12 + -0.3;
    expect(m.predictOne({ tenure: 12, plan: 'premium' })[0]).toBe(Math.fround(1 / (1 + Math.exp(-z))));
    expect(m.marginOne({ plan: 'basic' })[0]).toBe(Math.fround(-1 + -0.05 * 24 + 0.4));
    expect(m.marginOne({ tenure: null })[0]).toBe(Math.fround(-1 + -0.05 * 24));
  });

  it('reports bad input with typed errors', async () => {
    const m = await Model.fromLinear({ weights: { a: 1, b: 2 } });
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(NextbestError);
        return (e as NextbestError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => m.predictOne({ a: 1, zzz: 3 }))).toBe('FEATURE_UNKNOWN');
    expect(codeOf(() => m.predictOne({ a: 'x' }))).toBe('FEATURE_TYPE');
    expect(codeOf(() => m.predictOne(new Float32Array(3)))).toBe('ROWS_SHAPE');
    expect(codeOf(() => m.predict(new Float32Array(3), 2))).toBe('ROWS_SHAPE');
    expect(codeOf(() => m.predict([1, 2] as unknown as Float32Array, 1))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.predict(new Float32Array(4), 2, new Float32Array(1)))).toBe('ROWS_SHAPE');
    expect(codeOf(() => m.predict(new Float32Array(4), -1))).toBe('ARGUMENT_INVALID');
    const lenient = await Model.fromLinear({ weights: { a: 1 } }, { encode: { ignoreUnknown: true } });
    expect(lenient.predictOne({ a: 2, extra: 'x' })[0]).toBe(2);
  });

  it('round-trips through a bundle', async () => {
    const rand = mulberry32(7);
    const m = await Model.fromLinear(randomSpec(rand));
    const m2 = await Model.fromBundle(m.toBundle());
    const rows = randomRows(rand, m, 50);
    expect(firstBitwiseMismatch(m.predict(rows, 50), m2.predict(rows, 50))).toBe(-1);
    expect(m2.featureNames).toEqual(m.featureNames);
  });

  it('scores batches larger than one scratch chunk', async () => {
    const features = Array.from({ length: 300 }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const }));
    const weights = Object.fromEntries(features.map((f, i) => [f.name, (i % 7) - 3]));
    const m = await Model.fromLinear({ features, weights });
    const n = 2000; // 2000 * 300 * 4 bytes > 1 MiB chunk
    const rows = new Float32Array(n * 300).map((_, i) => (i % 13) - 6);
    expect(firstBitwiseMismatch(m.margin(rows, n), referenceMargins(m.table, rows, n, 300))).toBe(-1);
  });
});
