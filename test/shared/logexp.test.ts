import { describe, expect, it } from 'vitest';
import { WasmInstance } from '../../src/runtime/wasm.js';
import { plog, pexp, tlog } from '../../src/reference/logexp.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A double from random bits: every exponent, both signs, NaNs, subnormals. */
function randomBits(rand: () => number): number {
  u32[0] = (rand() * 2 ** 32) >>> 0;
  u32[1] = (rand() * 2 ** 32) >>> 0;
  return f64[0]!;
}

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

function ulpDistance(a: number, b: number): number {
  if (a === b) return 0;
  const x = new Float64Array([a, b]);
  const i = new BigInt64Array(x.buffer);
  const d = i[0]! - i[1]!;
  return Number(d < 0n ? -d : d);
}

const SPECIAL = [0, -0, 1, -1, 2, 0.5, Math.E, 1e-310, 5e-324, 1e308, Infinity, -Infinity, NaN, 709.78, 709.79, -745.13, -745.2, 1e-30, -1e-30, 0.34657359, 1.0397, 1 + 2 ** -21, 1 - 2 ** -22];

describe('portable log/exp/tlog (assembly/shared/logexp.ts and its TS twin)', () => {
  for (const variant of VARIANTS) {
    it(`wasm equals the TS twin bit for bit (${variant})`, () => {
      const ex = WasmInstance.create(variant).exports;
      const rand = mulberry32(11);
      const inputs = [...SPECIAL];
      for (let i = 0; i < 20000; i++) inputs.push(randomBits(rand));
      for (let i = 0; i < 20000; i++) inputs.push(rand() * 4, rand() * 1e6, (rand() - 0.5) * 1500, rand() * 1e-3);
      for (const x of inputs) {
        if (!sameBits(ex.plog(x), plog(x))) throw new Error(`plog(${x}): wasm ${ex.plog(x)} vs ts ${plog(x)}`);
        if (!sameBits(ex.pexp(x), pexp(x))) throw new Error(`pexp(${x}): wasm ${ex.pexp(x)} vs ts ${pexp(x)}`);
        if (!sameBits(ex.tlog(x), tlog(x))) throw new Error(`tlog(${x}): wasm ${ex.tlog(x)} vs ts ${tlog(x)}`);
      }
    });
  }

  it('is within 1 ulp of Math.log / Math.exp and handles the special values', () => {
    const rand = mulberry32(3);
    let worstLog = 0;
    let worstExp = 0;
    for (let i = 0; i < 50000; i++) {
      const x = rand() < 0.5 ? rand() * 1000 : Math.exp((rand() - 0.5) * 1400);
      worstLog = Math.max(worstLog, ulpDistance(plog(x), Math.log(x)));
      const y = (rand() - 0.5) * 1400;
      worstExp = Math.max(worstExp, ulpDistance(pexp(y), Math.exp(y)));
    }
    expect(worstLog).toBeLessThanOrEqual(1);
    let worstTable = 0;
    for (let i = 0; i < 50000; i++) {
      const x = rand() < 0.3 ? Math.floor(rand() * 1e6) + 1 / randInt(rand, 2, 1024) : rand() < 0.5 ? 1 + rand() * 1000 : Math.exp(rand() * 700);
      worstTable = Math.max(worstTable, ulpDistance(tlog(x), Math.log(x)));
    }
    expect(worstTable).toBeLessThanOrEqual(1);
    expect(tlog(0.37)).toBe(plog(0.37)); // below 1: plog
    expect(tlog(1)).toBe(0);
    expect(tlog(0)).toBe(-Infinity);
    expect(tlog(-2)).toBeNaN();
    expect(tlog(Infinity)).toBe(Infinity);
    expect(tlog(5e-324)).toBe(plog(5e-324));
    expect(worstExp).toBeLessThanOrEqual(1);
    expect(plog(0)).toBe(-Infinity);
    expect(plog(-0)).toBe(-Infinity);
    expect(plog(-1)).toBeNaN();
    expect(plog(NaN)).toBeNaN();
    expect(plog(Infinity)).toBe(Infinity);
    expect(plog(1)).toBe(0);
    expect(plog(5e-324)).toBe(Math.log(5e-324));
    expect(pexp(0)).toBe(1);
    expect(pexp(-Infinity)).toBe(0);
    expect(pexp(Infinity)).toBe(Infinity);
    expect(pexp(NaN)).toBeNaN();
    expect(pexp(1000)).toBe(Infinity);
    expect(pexp(-1000)).toBe(0);
  });
});
