/**
 * float32 expf and logf exactly as glibc (>= 2.27), musl and AssemblyScript's
 * Mathf compute them: the table-driven algorithms of ARM's optimized-routines,
 * evaluated in double and rounded once. XGBoost calls expf/logf on float32
 * values (sigmoid, softmax, exp links, ProbToMargin of base_score), so
 * reproducing the very same algorithm (not just a correctly rounded result:
 * logf is off by up to 0.82 ulp) is what makes base margins bitwise equal to
 * XGBoost's and probabilities equal to its float32 output.
 *
 * The wasm kernels get the same functions from AssemblyScript's Mathf.exp /
 * Mathf.log (std/assembly/util/math.ts, the same algorithm and tables);
 * test/models/libm32.test.ts checks the two agree bit for bit.
 */

// 2^(i/32) as double bits, minus (i << 47): tab[i] + (k << 47) = 2^(k/32) for k = i mod 32.
const EXP2F_TAB_HI = new Uint32Array([
  0x3ff00000, 0x3fefd9b0, 0x3fefb558, 0x3fef9301, 0x3fef72b8, 0x3fef5487, 0x3fef387a, 0x3fef1e9d,
  0x3fef06fe, 0x3feef1a7, 0x3feedea6, 0x3feece08, 0x3feebfda, 0x3feeb42b, 0x3feeab07, 0x3feea47e,
  0x3feea09e, 0x3fee9f75, 0x3feea114, 0x3feea589, 0x3feeace5, 0x3feeb737, 0x3feec491, 0x3feed503,
  0x3feee89f, 0x3feeff76, 0x3fef199b, 0x3fef3720, 0x3fef5818, 0x3fef7c97, 0x3fefa4af, 0x3fefd076,
]);
const EXP2F_TAB_LO = new Uint32Array([
  0x00000000, 0xd3158574, 0x6cf9890f, 0xd0125b51, 0x3c7d517b, 0x3168b9aa, 0x6e756238, 0xf51fdee1,
  0x0a31b715, 0x373aa9cb, 0x4c123422, 0x6061892d, 0xd5362a27, 0x569d4f82, 0xdd485429, 0xb03a5585,
  0x667f3bcd, 0xe8ec5f74, 0x73eb0187, 0x994cce13, 0x422aa0db, 0xb0cdc5e5, 0x82a3f090, 0xb23e255d,
  0x995ad3ad, 0xf2fb5e47, 0xdd85529c, 0xdcef9069, 0xdcfba487, 0x337b9b5f, 0xa2a490da, 0x5b6e4540,
]);

// logf: 16 subintervals of [0x3f330000, 2*0x3f330000) with {1/c, log(c)} near their centres.
const LOGF_INVC = new Float64Array(16);
const LOGF_LOGC = new Float64Array(16);
const LOGF_BITS = [
  [0x3ff661ec, 0x79f8f3be, 0xbfd57bf7, 0x808caade],
  [0x3ff571ed, 0x4aaf883d, 0xbfd2bef0, 0xa7c06ddb],
  [0x3ff49539, 0xf0f010b0, 0xbfd01eae, 0x7f513a67],
  [0x3ff3c995, 0xb0b80385, 0xbfcb31d8, 0xa68224e9],
  [0x3ff30d19, 0x0c8864a5, 0xbfc6574f, 0x0ac07758],
  [0x3ff25e22, 0x7b0b8ea0, 0xbfc1aa2b, 0xc79c8100],
  [0x3ff1bb4a, 0x4a1a343f, 0xbfba4e76, 0xce8c0e5e],
  [0x3ff12358, 0xf08ae5ba, 0xbfb1973c, 0x5a611ccc],
  [0x3ff0953f, 0x419900a7, 0xbfa252f4, 0x38e10c1e],
  [0x3ff00000, 0x00000000, 0x00000000, 0x00000000],
  [0x3fee608c, 0xfd9a47ac, 0x3faaa5aa, 0x5df25984],
  [0x3feca4b3, 0x1f026aa0, 0x3fbc5e53, 0xaa362eb4],
  [0x3feb2036, 0x576afce6, 0x3fc526e5, 0x7720db08],
  [0x3fe9c2d1, 0x63a1aa2d, 0x3fcbc286, 0x0d224770],
  [0x3fe886e6, 0x037841ed, 0x3fd1058b, 0xc8a07ee1],
  [0x3fe767dc, 0xf5534862, 0x3fd40430, 0x57b6ee09],
];

const f64 = new Float64Array(1);
const u32of64 = new Uint32Array(f64.buffer); // [lo, hi] on little-endian hosts
const f32 = new Float32Array(1);
const u32of32 = new Uint32Array(f32.buffer);

function fromBits(hi: number, lo: number): number {
  u32of64[0] = lo;
  u32of64[1] = hi;
  return f64[0]!;
}

LOGF_BITS.forEach(([ih, il, lh, ll], i) => {
  LOGF_INVC[i] = fromBits(ih!, il!);
  LOGF_LOGC[i] = fromBits(lh!, ll!);
});

const SHIFT = fromBits(0x43380000, 0); // 0x1.8p52
const INV_LN2_N = fromBits(0x3ff71547, 0x652b82fe) * 32;
const EC0 = fromBits(0x3fac6af8, 0x4b912394) / 32 / 32 / 32;
const EC1 = fromBits(0x3fcebfce, 0x50fac4f3) / 32 / 32;
const EC2 = fromBits(0x3fe62e42, 0xff0c52d6) / 32;
const LN2 = fromBits(0x3fe62e42, 0xfefa39ef);
const LA0 = fromBits(0xbfd00ea3, 0x48b88334);
const LA1 = fromBits(0x3fd5575b, 0x0be00b6a);
const LA2 = fromBits(0xbfdffffe, 0xf20a4123);

function bitsOf32(x: number): number {
  f32[0] = x;
  return u32of32[0]!;
}

/** expf(x) for a float32 x, bit-identical to glibc/musl/AssemblyScript. */
export function expf(x: number): number {
  x = Math.fround(x);
  const ix = bitsOf32(x);
  const abstop = (ix >>> 20) & 0x7ff;
  if (abstop >= 0x42b) {
    // |x| >= 88 or NaN
    if (ix === 0xff800000) return 0;
    if (abstop >= 0x7f8) return x + x;
    if (x > 88.72283172607422 /* 0x1.62e42ep6f */) return Infinity;
    if (x < -103.97207641601562 /* -0x1.9fe368p6f */) return 0;
  }
  const z = INV_LN2_N * x;
  const kd0 = z + SHIFT;
  f64[0] = kd0;
  const kiLo = u32of64[0]!;
  const kd = kd0 - SHIFT;
  const r = z - kd;
  const i = kiLo & 31;
  // t = tab[i] + (ki << 47): only the low 17 bits of ki reach the high word.
  const s = fromBits((EXP2F_TAB_HI[i]! + (kiLo << 15)) >>> 0, EXP2F_TAB_LO[i]!);
  const zz = EC0 * r + EC1;
  let y = EC2 * r + 1;
  y += zz * (r * r);
  y *= s;
  return Math.fround(y);
}

/** logf(x) for a float32 x, bit-identical to glibc/musl/AssemblyScript. */
export function logf(x: number): number {
  x = Math.fround(x);
  let ux = bitsOf32(x);
  if (((ux - 0x00800000) >>> 0) >= 0x7f800000 - 0x00800000) {
    if (((ux << 1) >>> 0) === 0) return -Infinity;
    if (ux === 0x7f800000) return x;
    if (ux >>> 31 || ((ux << 1) >>> 0) >= 0xff000000) return NaN;
    // subnormal: normalize
    ux = (bitsOf32(Math.fround(x * 8388608)) - (23 << 23)) >>> 0;
  }
  const tmp = (ux - 0x3f330000) >>> 0;
  const i = (tmp >>> 19) & 15;
  const k = (tmp | 0) >> 23;
  const iz = (ux - (tmp & (0x1ff << 23))) >>> 0;
  u32of32[0] = iz;
  const z = f32[0]!;
  const r = z * LOGF_INVC[i]! - 1;
  const y0 = LOGF_LOGC[i]! + k * LN2;
  const r2 = r * r;
  let y = LA1 * r + LA2;
  y += LA0 * r2;
  y = y * r2 + (y0 + r);
  return Math.fround(y);
}

/** XGBoost's logistic link of a probability, in float32: -logf(1/p - 1). */
export function probToMarginLogistic(p: number): number {
  const q = Math.fround(Math.fround(1 / Math.fround(p)) - 1);
  return Math.fround(-logf(q));
}

/** XGBoost's common::Sigmoid in float32 (1.7 and 2.x): 1 / (expf(min(-x, 88.7)) + 1). */
export function sigmoidXgb(x: number): number {
  let nx = Math.fround(-Math.fround(x));
  // std::min(-x, 88.7f): returns -x when it is NaN
  if (88.69999694824219 < nx) nx = 88.69999694824219;
  const denom = Math.fround(expf(nx) + 1);
  return Math.fround(1 / denom);
}
