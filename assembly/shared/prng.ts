// Seeded randomness for exploration, with a bit-identical TypeScript twin
// (src/reference/prng.ts): same seed, same draws, on every run and worker
// (DESIGN rule 5).
//
// Generator: xoshiro128** (Blackman and Vigna), 128 bits of state as four u32
// words, then the normal sampler's spare variate, at `state` (PRNG_STATE_BYTES,
// caller-owned, so the decision kernel, a test or a worker each keep their own
// stream):
//   +0 s0..s3 u32   +16 hasSpare i32   +20 reserved   +24 spare f64
// Seeding expands a 64-bit seed (two u32 halves) with the murmur3 finaliser;
// an all-zero state is avoided.
//
// Derived draws:
//   prngUniform  53-bit uniform in [0, 1)
//   prngUniform32  32-bit uniform in [0, 1) (one step; the samplers' inner loops)
//   prngNormal   standard normal, Marsaglia's polar method (log and sqrt only);
//                each accepted pair gives two variates, the second is kept
//   prngGamma    Gamma(shape, 1), Marsaglia and Tsang (2000); shape < 1 by
//                Gamma(shape + 1) * U^(1/shape)
//   prngBeta     Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b)
// Rejection loops are capped (MAX_TRIES) so a kernel can never spin: a capped
// normal returns 0 and a capped gamma returns its mean. The cap is reached
// with probability below 1e-100; it exists to bound the loop, not to matter.
import { plog, pexp } from "./logexp";

export const PRNG_STATE_BYTES: usize = 32;
const MAX_TRIES: i32 = 1000;

@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

@inline function fmix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** Seeds the stream at `state` from a 64-bit seed given as two u32 halves. */
export function prngSeed(state: usize, seedLo: u32, seedHi: u32): void {
  let s0 = fmix32(seedLo ^ 0x9e3779b9);
  let s1 = fmix32(seedHi ^ 0x7f4a7c15 ^ s0);
  let s2 = fmix32(s0 + 0x6a09e667 + seedHi);
  let s3 = fmix32(s1 ^ 0xbb67ae85 ^ seedLo);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
  store<u32>(state, s0, 0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  store<i32>(state, 0, 16);
  store<f64>(state, 0.0, 24);
}

/** Next 32 random bits. */
export function prngNext(state: usize): u32 {
  let s0 = load<u32>(state, 0);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  store<u32>(state, s0, 0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return result;
}

/** Uniform in [0, 1) with 53 random bits. */
export function prngUniform(state: usize): f64 {
  const a = prngNext(state) >>> 5; // 27 bits
  const b = prngNext(state) >>> 6; // 26 bits
  return (<f64>a * 67108864.0 + <f64>b) * (1.0 / 9007199254740992.0);
}

/** Uniform in [0, 1) with 32 random bits (one generator step). */
@inline export function prngUniform32(state: usize): f64 {
  return <f64>prngNext(state) * (1.0 / 4294967296.0);
}

/** Standard normal (Marsaglia's polar method; the pair's second variate is returned by the next call). */
export function prngNormal(state: usize): f64 {
  if (load<i32>(state, 16) != 0) {
    store<i32>(state, 0, 16);
    return load<f64>(state, 24);
  }
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const u = 2.0 * prngUniform32(state) - 1.0;
    const v = 2.0 * prngUniform32(state) - 1.0;
    const s = u * u + v * v;
    if (s > 0.0 && s < 1.0) {
      const m = Math.sqrt((-2.0 * plog(s)) / s);
      store<f64>(state, v * m, 24);
      store<i32>(state, 1, 16);
      return u * m;
    }
  }
  return 0.0;
}

/** Gamma(shape, 1) for shape > 0 (NaN or shape <= 0 returns NaN). */
export function prngGamma(state: usize, shape: f64): f64 {
  if (!(shape > 0.0) || shape == Infinity) return NaN;
  if (shape < 1.0) {
    const g = gammaAtLeastOne(state, shape + 1.0);
    return g * pexp(plog(prngUniform(state)) / shape);
  }
  return gammaAtLeastOne(state, shape);
}

function gammaAtLeastOne(state: usize, shape: f64): f64 {
  const d = shape - 1.0 / 3.0;
  const c = 1.0 / Math.sqrt(9.0 * d);
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const x = prngNormal(state);
    let v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const u = prngUniform32(state);
    const x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (plog(u) < 0.5 * x2 + d * (1.0 - v + plog(v))) return d * v;
  }
  return shape;
}

/** Beta(a, b) for a, b > 0: X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function prngBeta(state: usize, a: f64, b: f64): f64 {
  const x = prngGamma(state, a);
  const y = prngGamma(state, b);
  const s = x + y;
  if (!(s > 0.0)) return s == 0.0 ? a / (a + b) : NaN;
  return x / s;
}
