import { describe, expect, it } from 'vitest';
import { WasmInstance } from '../../src/runtime/wasm.js';
import { ReferencePrng, seedWords } from '../../src/reference/prng.js';
import { mulberry32, VARIANTS } from '../helpers/random.js';

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

describe('seeded PRNG and samplers (assembly/shared/prng.ts and its TS twin)', () => {
  for (const variant of VARIANTS) {
    it(`draws the same numbers as the TS twin for the same seed (${variant})`, () => {
      const wasm = WasmInstance.create(variant);
      const ex = wasm.exports;
      const state = wasm.alloc(32);
      const rand = mulberry32(5);
      for (const seed of [0, 1, 42, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 123456789012]) {
        const ref = new ReferencePrng(seed);
        const [lo, hi] = seedWords(seed);
        ex.prngSeed(state, lo, hi);
        expect([...wasm.u32.subarray(state >> 2, (state >> 2) + 4)]).toEqual(ref.state);
        for (let i = 0; i < 200; i++) expect(ex.prngNext(state) >>> 0).toBe(ref.next());
        for (let i = 0; i < 200; i++) expect(ex.prngUniform(state)).toBe(ref.uniform());
        for (let i = 0; i < 201; i++) expect(ex.prngNormal(state)).toBe(ref.normal()); // odd: leaves a spare
        expect(ex.prngUniform(state)).toBe(ref.uniform());
        for (let i = 0; i < 300; i++) {
          const shape = [rand() * 0.2, rand() * 3, 1 + rand() * 50, rand() * 1e6, 1, 0, -1, NaN, Infinity][i % 9]!;
          const a = ex.prngGamma(state, shape);
          const b = ref.gamma(shape);
          if (!sameBits(a, b)) throw new Error(`gamma(${shape}): ${a} vs ${b}`);
        }
        for (let i = 0; i < 300; i++) {
          const a = [rand() * 0.1, rand() * 5, rand() * 1e5][i % 3]!;
          const b = [rand() * 5, rand() * 0.1, rand() * 1e5][(i >> 1) % 3]!;
          const x = ex.prngBeta(state, a, b);
          const y = ref.beta(a, b);
          if (!sameBits(x, y)) throw new Error(`beta(${a}, ${b}): ${x} vs ${y}`);
        }
        for (let i = 0; i < 100; i++) {
          const p = rand();
          const e = [0, 1, 10, 1000, 1e7, NaN][i % 6]!;
          const x = ex.thompsonDraw(state, p, e);
          const pe = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
          const ee = e > 2 ? e : 2;
          expect(sameBits(x, ref.beta(pe * ee, (1 - pe) * ee))).toBe(true);
        }
        expect([...wasm.u32.subarray(state >> 2, (state >> 2) + 4)]).toEqual(ref.state);
      }
    });
  }

  it('is deterministic per seed and differs across seeds', () => {
    const a = new ReferencePrng(7);
    const b = new ReferencePrng(7);
    const c = new ReferencePrng(8);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
  });

  it('has the right moments: uniform, normal, gamma and beta (seeded)', () => {
    const r = new ReferencePrng(2024);
    const n = 40000;
    const moments = (draw: () => number) => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        s += x;
        s2 += x * x;
      }
      const mean = s / n;
      return { mean, variance: s2 / n - mean * mean };
    };
    const u = moments(() => r.uniform());
    expect(u.mean).toBeCloseTo(0.5, 2);
    expect(u.variance).toBeCloseTo(1 / 12, 2);
    const z = moments(() => r.normal());
    expect(Math.abs(z.mean)).toBeLessThan(0.02);
    expect(Math.abs(z.variance - 1)).toBeLessThan(0.03);
    for (const k of [0.3, 1, 4.5, 100]) {
      const g = moments(() => r.gamma(k));
      // mean k, variance k; 5 standard errors
      expect(Math.abs(g.mean - k)).toBeLessThan(5 * Math.sqrt(k / n));
      expect(Math.abs(g.variance / k - 1)).toBeLessThan(0.08);
    }
    for (const [a, b] of [
      [0.5, 0.5],
      [2, 8],
      [30, 970],
      [0.05, 1.95],
    ] as const) {
      const m = moments(() => r.beta(a, b));
      const mean = a / (a + b);
      const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
      expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.1);
    }
  });
});
