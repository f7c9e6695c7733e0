// Scorecards: a base score plus, per characteristic, the points of the one bin
// the row's value falls in.
//
// Layout after the 32-byte model header:
//   +32 basePoints f64
//   +40 nChars     i32
//   +44 chars      usize -> nChars records of 32 bytes:
//         +0  featByte   i32   byte offset of the feature in a row (index * 4)
//         +4  kind       i32   CHAR_NUMERIC | CHAR_CATEGORICAL
//         +8  thrPtr     usize numeric: nThr f32 thresholds, strictly increasing, finite,
//                              16-byte aligned and padded with NaN to a multiple of 4
//         +12 nThr       i32   numeric: thresholds; 0 for categorical
//         +16 lookPtr    usize i32 bin per interval (numeric, nThr + 1 entries) or
//                              per category code (categorical, nLook entries)
//         +20 nLook      i32
//         +24 missingBin i32   bin of a NaN input
//         +28 otherBin   i32   categorical: bin of a code outside [0, nLook) or not an integer
//   +48 points     usize -> f64 points per bin (bins are global to the model)
//   +52 nBins      i32   (debug assertions only)
//
// Numeric interval i is [thr[i-1], thr[i]) with thr[-1] = -inf and thr[nThr] = +inf,
// so a value equal to a threshold falls in the bin above it and +inf in the last
// interval. The interval of x is the number of thresholds <= x.
// The score is accumulated in f64 in characteristic order and rounded to f32 once.
export const SCORECARD_BASE: usize = 32;
export const SCORECARD_NCHARS: usize = 40;
export const SCORECARD_CHARS: usize = 44;
export const SCORECARD_POINTS: usize = 48;
export const SCORECARD_NBINS: usize = 52;
export const CHAR_SIZE: usize = 32;
export const CHAR_NUMERIC: i32 = 0;
export const CHAR_CATEGORICAL: i32 = 1;
/** Threshold lists longer than this are searched by bisection, shorter ones scanned with SIMD. */
const SIMD_SCAN_MAX: i32 = 32;
/** Bytes per characteristic written by scorecardExplain: bin i32, pad, points f64. */
export const EXPLAIN_RECORD: usize = 16;

/** Number of thresholds <= x (x is not NaN). */
@inline function intervalOf(thr: usize, nThr: i32, x: f32): i32 {
  if (nThr <= SIMD_SCAN_MAX) {
    // Four thresholds per compare, no data-dependent branch; the NaN padding
    // after the last threshold never compares >=.
    const xs = f32x4.splat(x);
    const end = thr + (<usize>nThr << 2);
    let i = 0;
    for (let p = thr; p < end; p += 16) i += <i32>popcnt(i32x4.bitmask(f32x4.ge(xs, v128.load(p))));
    return i;
  }
  let lo = 0;
  let n = nThr;
  while (n > 0) {
    const half = n >> 1;
    const above = x >= load<f32>(thr + (<usize>(lo + half) << 2));
    lo = select(lo + half + 1, lo, above);
    n = select(n - half - 1, half, above);
  }
  return lo;
}

/** The global bin of characteristic record ch for the row. Any f32 bit pattern is safe. */
@inline function binOf(ch: usize, row: usize): i32 {
  const x = load<f32>(row + <usize>load<i32>(ch));
  if (x != x) return load<i32>(ch, 24);
  if (load<i32>(ch, 4) == CHAR_NUMERIC) {
    return load<i32>(load<usize>(ch, 16) + (<usize>intervalOf(load<usize>(ch, 8), load<i32>(ch, 12), x) << 2));
  }
  // Only exact integer codes inside the lookup table select a listed bin.
  const nLook = load<i32>(ch, 20);
  if (x >= 0 && x < <f32>nLook) {
    const code = <i32>x;
    if (<f32>code == x) return load<i32>(load<usize>(ch, 16) + (<usize>code << 2));
  }
  return load<i32>(ch, 28);
}

@inline function pointsOf(model: usize, bin: i32): f64 {
  assert(bin >= 0 && bin < load<i32>(model, SCORECARD_NBINS), "scorecard bin out of range");
  return load<f64>(load<usize>(model, SCORECARD_POINTS) + (<usize>bin << 3));
}

@inline export function scorecardMarginRow(model: usize, row: usize): f64 {
  let sum = load<f64>(model, SCORECARD_BASE);
  const nChars = load<i32>(model, SCORECARD_NCHARS);
  let ch = load<usize>(model, SCORECARD_CHARS);
  for (let c = 0; c < nChars; c++, ch += CHAR_SIZE) {
    sum += pointsOf(model, binOf(ch, row));
  }
  return sum;
}

export function scorecardMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  for (let r = 0; r < n; r++) {
    store<f32>(out + (<usize>r << 2), <f32>scorecardMarginRow(model, rows + <usize>(r * strideBytes)));
  }
}

/**
 * One row, characteristic by characteristic: writes the global bin (i32 at +0)
 * and its points (f64 at +8) of characteristic c at out + c * 16, and returns
 * the score exactly as scorecardMargins computes it.
 */
export function scorecardExplain(model: usize, row: usize, out: usize): f32 {
  assert(load<i32>(model) == 2, "scorecardExplain needs a scorecard model");
  let sum = load<f64>(model, SCORECARD_BASE);
  const nChars = load<i32>(model, SCORECARD_NCHARS);
  let ch = load<usize>(model, SCORECARD_CHARS);
  for (let c = 0; c < nChars; c++, ch += CHAR_SIZE, out += EXPLAIN_RECORD) {
    const bin = binOf(ch, row);
    const points = pointsOf(model, bin);
    store<i32>(out, bin);
    store<f64>(out, points, 8);
    sum += points;
  }
  return <f32>sum;
}
