import { describe, expect, it } from 'vitest';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import { Explorer } from '../../src/adaptive/explore.js';
import { ReferencePrng } from '../../src/reference/prng.js';
import type { AdaptiveSpec } from '../../src/models/adaptive.js';
import { VARIANTS } from '../helpers/random.js';

const base: AdaptiveSpec = {
  id: 'offers',
  features: [{ name: 'plan', type: 'categorical', categories: ['basic', 'premium'] }],
  predictors: { plan: {} },
  scoreBins: 20,
};

function moments(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length };
}

async function withOutcomes(spec: AdaptiveSpec, positives: number, negatives: number, variant: (typeof VARIANTS)[number] = 'release') {
  const m = await AdaptiveModel.create(spec, { wasm: variant, learning: { seed: 9 } });
  for (let i = 0; i < positives + negatives; i++) {
    const obs = m.observe({ plan: 'basic' }, { action: 'a' });
    m.learn(obs, i < positives ? 'accept' : 'reject');
  }
  return m;
}

describe('exploration', () => {
  for (const variant of VARIANTS) {
    it(`Thompson draws are reproducible per seed and equal the TS twin (${variant})`, async () => {
      const m = await withOutcomes(base, 30, 170, variant);
      const p = m.propensity({ plan: 'basic' }, { action: 'a' });
      const e = 200;
      const draw = (seed: number) => {
        m.learning.seed(seed);
        return Array.from({ length: 50 }, () => m.learning.explore('offers', { action: 'a' }, p, 0));
      };
      const first = draw(7);
      expect(draw(7)).toEqual(first);
      expect(draw(8)).not.toEqual(first);
      const ref = new ReferencePrng(7);
      expect(first).toEqual(Array.from({ length: 50 }, () => ref.beta(p * e, (1 - p) * e)));
      const x = Explorer.create(7, { wasm: variant });
      expect(Array.from({ length: 50 }, () => x.thompson(p, e))).toEqual(first);
    });
  }

  it('Thompson draws center on the propensity and narrow with evidence (Pega: Beta(p e, (1 - p) e))', async () => {
    const x = Explorer.create(123);
    for (const [p, e] of [
      [0.05, 100],
      [0.05, 10000],
      [0.3, 500],
    ] as const) {
      const { mean, variance } = moments(Array.from({ length: 20000 }, () => x.thompson(p, e)));
      const v = (p * (1 - p)) / (e + 1);
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt(v / 20000));
      expect(Math.abs(variance / v - 1)).toBeLessThan(0.08);
    }
    // a new model (p = 0.5, no evidence) draws uniformly
    const u = moments(Array.from({ length: 20000 }, () => x.thompson(0.5, 0)));
    expect(u.mean).toBeCloseTo(0.5, 2);
    expect(u.variance).toBeCloseTo(1 / 12, 2);
    expect(x.thompson(NaN, 10)).toBeNaN();
    const edge = x.thompson(1, 1e6);
    expect(edge).toBeGreaterThan(0.99);
    expect(edge).toBeLessThanOrEqual(1);
  });

  it('epsilon-greedy explores on the decision coin, a uniform draw when it does', async () => {
    const m = await withOutcomes({ ...base, exploration: { method: 'epsilon', epsilon: 0.2 } }, 10, 90);
    const p = m.propensity({ plan: 'basic' }, { action: 'a' });
    expect(m.learning.explore('offers', { action: 'a' }, p, 0.5)).toBe(p);
    expect(m.learning.explore('offers', { action: 'a' }, p, 0.2)).toBe(p);
    const explored = m.learning.explore('offers', { action: 'a' }, p, 0.1);
    expect(explored).not.toBe(p);
    let changed = 0;
    const n = 20000;
    const draws: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = m.learning.explore('offers', { action: 'a' }, p); // coin drawn per call
      if (q !== p) {
        changed++;
        draws.push(q);
      }
    }
    expect(Math.abs(changed / n - 0.2)).toBeLessThan(0.015);
    expect(moments(draws).mean).toBeCloseTo(0.5, 1);
    const none = await withOutcomes({ ...base, exploration: { method: 'none' } }, 1, 1);
    expect(none.learning.explore('offers', { action: 'a' }, 0.37, 0)).toBe(0.37);
  });

  it('ramps exposure of new actions with their positives', async () => {
    const spec: AdaptiveSpec = { ...base, exploration: { method: 'none', ramp: { start: 0.1, positives: 50 } } };
    const share = async (positives: number) => {
      const m = await withOutcomes(spec, positives, 10);
      let admitted = 0;
      for (let i = 0; i < 20000; i++) if (m.learning.admit('offers', { action: 'a' })) admitted++;
      return admitted / 20000;
    };
    expect(Math.abs((await share(0)) - 0.1)).toBeLessThan(0.015);
    expect(Math.abs((await share(25)) - 0.55)).toBeLessThan(0.015);
    expect(await share(50)).toBe(1);
    const noRamp = await withOutcomes(base, 0, 0);
    expect(noRamp.learning.admit('offers', { action: 'a' })).toBe(true);
  });

  it('rejects bad seeds', () => {
    expect(() => Explorer.create(-1)).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(() => Explorer.create(1.5)).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });
});

describe('instance groups (one call for many actions)', () => {
  for (const variant of VARIANTS) {
    it(`score and explore like one instance at a time (${variant})`, async () => {
      const m = await AdaptiveModel.create(
        { ...base, features: [...base.features!, { name: 'age', type: 'numeric' }], predictors: { plan: {}, age: { thresholds: [30, 50] } } },
        { wasm: variant, learning: { seed: 4 } },
      );
      const actions = ['a', 'b', 'c', 'd', 'e'];
      for (let i = 0; i < 400; i++) {
        const f = { plan: i % 3 ? 'basic' : 'premium', age: (i * 7) % 70 };
        const a = actions[i % actions.length]!;
        m.learn(m.observe(f, { action: a }), (i * 13) % 7 < (a === 'b' ? 3 : 1) ? 'accept' : 'reject');
      }
      const g = m.learning.group('offers', actions.map((action) => ({ action })));
      const f = { plan: 'premium', age: 44 };
      const props = Array.from(g.propensities(f));
      expect(props).toEqual(actions.map((action) => m.propensity(f, { action })));
      m.learning.seed(77);
      const explored = Array.from(g.explore(f));
      m.learning.seed(77);
      expect(explored).toEqual(actions.map((action, i) => m.learning.explore('offers', { action }, props[i]!, 1)));
      expect(() => m.learning.group('offers', [])).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    });
  }
});
