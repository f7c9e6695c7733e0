/**
 * Plain-TypeScript twin of assembly/shared/logexp.ts: fdlibm's log and exp,
 * operation for operation, so results equal the wasm kernels' bit for bit
 * (JS numbers are IEEE f64 and each + - * / rounds exactly as in wasm).
 * Used wherever a TS result must equal a kernel result exactly (the adaptive
 * reference, the sampler twin); everything else may use Math.log.
 */
const buf = new ArrayBuffer(8);
const f64 = new Float64Array(buf);
const i32 = new Int32Array(buf); // little-endian: [0] low word, [1] high word

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const TWO54 = 1.8014398509481984e16;
const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

function highWord(x: number): number {
  f64[0] = x;
  return i32[1]!;
}

function lowWord(x: number): number {
  f64[0] = x;
  return i32[0]!;
}

function withHighWord(x: number, hi: number): number {
  f64[0] = x;
  i32[1] = hi;
  return f64[0]!;
}

export function plog(x: number): number {
  let hx = highWord(x);
  const lx = lowWord(x);
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHighWord(x, hx | (i ^ 0x3ff00000));
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f === 0) {
      if (k === 0) return 0;
      return k * LN2_HI + k * LN2_LO;
    }
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    if (k === 0) return f - r;
    return k * LN2_HI - ((r - k * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = k;
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
    if (k === 0) return f - (hfsq - s * (hfsq + r));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
  }
  if (k === 0) return f - s * (f - r);
  return dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f);
}

const HUGE = 1.0e300;
const TWOM1000 = 9.3326361850321887899e-302;
const O_THRESHOLD = 7.09782712893383973096e2;
const U_THRESHOLD = -7.4513321910194110842e2;
const INV_LN2 = 1.442695040888963387;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.6533902205465251539e-6;
const P5 = 4.13813679705723846039e-8;

export function pexp(x: number): number {
  let hx = highWord(x);
  const xsb = (hx >> 31) & 1;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | lowWord(x)) !== 0) return x + x;
      return xsb === 0 ? x : 0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (xsb === 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
      }
      k = 1 - xsb - xsb;
    } else {
      k = (INV_LN2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0; // truncates toward zero, like i32.trunc_f64_s
      const t = k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    if (HUGE + x > 1.0) return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return withHighWord(y, highWord(y) + (k << 20));
  return withHighWord(y, highWord(y) + ((k + 1000) << 20)) * TWOM1000;
}

// tlog: twin of the table-driven log in assembly/shared/logexp.ts.
const TLOG_INV = new Float64Array(128);
const TLOG_T = new Float64Array(128);
for (let j = 0; j < 128; j++) {
  const c = 1.0 + j / 128.0;
  TLOG_INV[j] = 1.0 / c;
  TLOG_T[j] = plog(c);
}
const u32 = new Uint32Array(buf);

export function tlog(x: number): number {
  f64[0] = x;
  const hi = i32[1]!;
  if (hi < 0x3ff00000 || hi >= 0x7ff00000) return plog(x); // x < 1, or not finite and positive
  const k = (hi >> 20) - 1023;
  const j = (hi >> 13) & 127;
  u32[1] = (u32[1]! & 0x000fffff) | 0x3ff00000;
  const m = f64[0]!;
  const r = (m - (1.0 + j / 128.0)) * TLOG_INV[j]!;
  const p = r - r * r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0 - r * (1.0 / 7.0 - r * 0.125))))));
  return k * LN2_HI + (k * LN2_LO + TLOG_T[j]! + p);
}
