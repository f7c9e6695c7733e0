// Natural log and exp with a bit-identical TypeScript twin (src/reference/logexp.ts).
//
// Math.log and Math.exp are not portable bit for bit: AssemblyScript ships
// musl's table-driven versions, V8 ships fdlibm's, and the two differ in the
// last bit for some inputs. Kernels whose results must equal a plain-TS twin
// exactly (adaptive models, the Beta sampler) use these instead. Both follow
// the classic fdlibm algorithms (e_log.c, e_exp.c: argument reduction by a
// power of two, then a minimax polynomial; error < 1 ulp) using only IEEE
// add, sub, mul, div and exact bit manipulation, which wasm and JS evaluate
// identically. No fused multiply-add is ever emitted for f64 in wasm.

const LN2_HI: f64 = 6.93147180369123816490e-1; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3dea39ef35793c76
const TWO54: f64 = 1.80143985094819840000e16;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

@inline function highWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >> 32);
}

@inline function lowWord(x: f64): u32 {
  return <u32>reinterpret<u64>(x);
}

@inline function withHighWord(x: f64, hi: i32): f64 {
  return reinterpret<f64>((<u64><u32>hi << 32) | (reinterpret<u64>(x) & 0xffffffff));
}

/** ln(x); log(0) = -Infinity, log(x < 0) = NaN, log(NaN) = NaN, log(Infinity) = Infinity. */
export function plog(x: f64): f64 {
  let hx = highWord(x);
  const lx = lowWord(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    // zero, negative or subnormal
    if (((hx & 0x7fffffff) | <i32>lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHighWord(x, hx | (i ^ 0x3ff00000)); // normalize x or x/2
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2^-20 <= f < 2^-20
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const dk = <f64>k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - r;
    const dk = <f64>k;
    return dk * LN2_HI - ((r - dk * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  let i2 = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i2 |= j;
  const r = t2 + t1;
  if (i2 > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + r));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - r);
  return dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f);
}

const HUGE: f64 = 1.0e300;
const TWOM1000: f64 = 9.33263618503218878990e-302; // 2^-1000
const O_THRESHOLD: f64 = 7.09782712893383973096e2;
const U_THRESHOLD: f64 = -7.45133219101941108420e2;
const INV_LN2: f64 = 1.44269504088896338700e0;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;

/** e^x; exp(-Infinity) = 0, exp(Infinity) = Infinity, exp(NaN) = NaN. */
export function pexp(x: f64): f64 {
  let hx = highWord(x);
  const xsb = (hx >> 31) & 1;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <i32>lowWord(x)) != 0) return x + x; // NaN
      return xsb == 0 ? x : 0.0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5 ln2
      if (xsb == 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
      }
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INV_LN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    if (HUGE + x > 1.0) return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return withHighWord(y, highWord(y) + (k << 20));
  return withHighWord(y, highWord(y) + ((k + 1000) << 20)) * TWOM1000;
}

// tlog: a table-driven log for the adaptive kernels' hot paths (about a third
// of plog's cost). x = 2^k m, m in [1, 2); c = 1 + j/128 for the top 7
// mantissa bits j; log x = k ln2 + log c + log1p(r), r = (m - c) / c in
// [0, 1/128), with m - c exact (Sterbenz) and the division a multiplication by
// the rounded 1/c, so r carries a relative error of a few ulps; log1p by its
// series to r^8 (the remainder is below 2^-63 r). The table holds plog(c), so
// TS and wasm build identical tables and results. For x >= 1 every term is
// >= 0, nothing cancels and the error is about 1 ulp; x < 1 (and zero,
// negative, infinite and NaN inputs) go to plog. The adaptive caches take
// logs of counts + 1/nBins and 1 + totals: x >= 1 except for empty bins.
const TLOG_INV = memory.data(128 << 3, 16);
const TLOG_T = memory.data(128 << 3, 16);
for (let j = 0; j < 128; j++) {
  const c = 1.0 + <f64>j / 128.0;
  store<f64>(TLOG_INV + (<usize>j << 3), 1.0 / c);
  store<f64>(TLOG_T + (<usize>j << 3), plog(c));
}

export function tlog(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  const hi = <i32>(bits >> 32);
  if (hi < 0x3ff00000 || hi >= 0x7ff00000) return plog(x);
  const k = <f64>((hi >> 20) - 1023);
  const j = (hi >> 13) & 127;
  const m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  const r = (m - (1.0 + <f64>j / 128.0)) * load<f64>(TLOG_INV + (<usize>j << 3));
  const p = r - r * r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0 - r * (1.0 / 7.0 - r * 0.125))))));
  return k * LN2_HI + (k * LN2_LO + load<f64>(TLOG_T + (<usize>j << 3)) + p);
}
