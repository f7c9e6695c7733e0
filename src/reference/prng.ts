/**
 * Plain-TypeScript twin of assembly/shared/prng.ts: xoshiro128** with the
 * same seeding, and the same uniform, normal (with its spare variate), Gamma
 * and Beta draws, so the same seed gives the same numbers bit for bit in TS
 * and in wasm.
 */
import { plog, pexp } from './logexp.js';
import { seedWords } from '../adaptive/explore.js';

const MAX_TRIES = 1000;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function fmix32(h: number): number {
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export { seedWords };

export class ReferencePrng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private hasSpare = false;
  private spare = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const [lo, hi] = seedWords(seed);
    this.seedWords(lo, hi);
  }

  seedWords(lo: number, hi: number): void {
    lo >>>= 0;
    hi >>>= 0;
    const s0 = fmix32((lo ^ 0x9e3779b9) >>> 0);
    const s1 = fmix32((hi ^ 0x7f4a7c15 ^ s0) >>> 0);
    const s2 = fmix32((s0 + 0x6a09e667 + hi) >>> 0);
    const s3 = fmix32((s1 ^ 0xbb67ae85 ^ lo) >>> 0);
    this.s0 = (s0 | s1 | s2 | s3) === 0 ? 1 : s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.hasSpare = false;
    this.spare = 0;
  }

  /** The four state words (for comparing with a kernel's state). */
  get state(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  next(): number {
    let { s0, s1, s2, s3 } = this;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return result;
  }

  uniform(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  uniform32(): number {
    return this.next() * (1.0 / 4294967296.0);
  }

  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const u = 2.0 * this.uniform32() - 1.0;
      const v = 2.0 * this.uniform32() - 1.0;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2.0 * plog(s)) / s);
        this.spare = v * m;
        this.hasSpare = true;
        return u * m;
      }
    }
    return 0;
  }

  gamma(shape: number): number {
    if (!(shape > 0) || shape === Infinity) return NaN;
    if (shape < 1) {
      const g = this.gammaAtLeastOne(shape + 1.0);
      return g * pexp(plog(this.uniform()) / shape);
    }
    return this.gammaAtLeastOne(shape);
  }

  private gammaAtLeastOne(shape: number): number {
    const d = shape - 1.0 / 3.0;
    const c = 1.0 / Math.sqrt(9.0 * d);
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const x = this.normal();
      let v = 1.0 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.uniform32();
      const x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
      if (plog(u) < 0.5 * x2 + d * (1.0 - v + plog(v))) return d * v;
    }
    return shape;
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const s = x + y;
    if (!(s > 0)) return s === 0 ? a / (a + b) : NaN;
    return x / s;
  }
}
