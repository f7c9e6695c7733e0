/**
 * The value semantics of the expression language, in one place for the
 * TypeScript side: constant folding, the AST evaluator and the bytecode
 * reference interpreter all call these. The wasm VM (assembly/decide/rules.ts)
 * implements the same definitions independently; the differential tests hold
 * them together bit for bit.
 *
 * Values are f64. Bools are exactly 0 or 1. Missing is NaN.
 * - Arithmetic is IEEE: NaN propagates, x/0 is +-Infinity (0/0 NaN), % is the
 *   truncated remainder (sign of the dividend).
 * - Every comparison (== != < <= > >=, in, not in) is false when an operand is
 *   missing. So `x != 3` is false for missing x while `not (x == 3)` is true.
 * - exp, log, log10 and pow are the host's Math functions (the wasm VM imports
 *   them), so both sides round identically.
 */

export type UnaryOp =
  | 'neg'
  | 'not'
  | 'abs'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'trunc'
  | 'round'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'log10'
  | 'sigmoid'
  | 'isMissing'
  | 'hourOfDay'
  | 'dayOfWeek';

export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'min' | 'max' | 'pow' | 'coalesce' | CompareFn;
export type CompareFn = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Round half away from zero (2.5 -> 3, -2.5 -> -3); NaN and infinities pass through. */
export function roundHalfAway(x: number): number {
  let t = Math.trunc(x);
  if (Math.abs(x - t) >= 0.5) t += x < 0 ? -1 : 1;
  return t;
}

export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Hour of the day (0..23, UTC) of an epoch-millisecond time. */
export function hourOfDay(t: number): number {
  const r = Math.floor(t / MS_PER_HOUR) % 24;
  return r < 0 ? r + 24 : r + 0;
}

/** ISO day of the week (1 Monday .. 7 Sunday, UTC) of an epoch-millisecond time. 1970-01-01 was a Thursday. */
export function dayOfWeek(t: number): number {
  const r = (Math.floor(t / MS_PER_DAY) + 3) % 7;
  return (r < 0 ? r + 7 : r) + 1;
}

/** A bool read from memory: anything but 0 and NaN is true. */
export function truthy(v: number): number {
  return v > 0 || v < 0 ? 1 : 0;
}

export function applyUnary(op: UnaryOp, x: number): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'not':
      return x === 0 ? 1 : 0;
    case 'abs':
      return Math.abs(x);
    case 'sign':
      return sign(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'trunc':
      return Math.trunc(x);
    case 'round':
      return roundHalfAway(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'log10':
      return Math.log10(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'isMissing':
      return x !== x ? 1 : 0;
    case 'hourOfDay':
      return hourOfDay(x);
    case 'dayOfWeek':
      return dayOfWeek(x);
  }
}

export function compare(op: CompareFn, a: number, b: number): number {
  switch (op) {
    case 'eq':
      return a === b ? 1 : 0;
    case 'ne':
      return a < b || a > b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
  }
}

export function applyBinary(op: BinaryFn, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'mod':
      return a % b;
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    case 'pow':
      return Math.pow(a, b);
    case 'coalesce':
      return a !== a ? b : a;
    default:
      return compare(op, a, b);
  }
}

/** Membership in a 64-bit set of small integer codes: only exact integers in [0, 64) can be members. */
export function inMask(x: number, lo: number, hi: number): boolean {
  if (x >= 0 && x < 64 && Math.trunc(x) === x) {
    const i = x | 0;
    return ((i < 32 ? lo >>> i : hi >>> (i - 32)) & 1) === 1;
  }
  return false;
}

/** Membership in a strictly ascending run of constants (binary search, as the VM does). */
export function inSorted(x: number, consts: Float64Array, start: number, count: number): boolean {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (consts[start + mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && consts[start + lo] === x;
}
