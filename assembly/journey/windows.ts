// Sliding-window aggregates in bucketed ring buffers (docs/journeys.md
// "Windowed aggregates"). An aggregate over T with B buckets of width w = T/B
// keeps, in the customer's state, the B most recent buckets; bucket n (the
// integer floor(t / w)) sits at ring position n mod B.
//
// Block in the journeys section (at AR_BLOCK):
//   +0  u32 head: newest bucket number minus floor(base / w), plus 1 (0: empty)
//   +4  B buckets of AR_BUCKET_BYTES: u16 count (saturating), f32 sum, f32 min, f32 max (fields as present)
//
// The value "over the last T" at time `now` combines buckets n with
// floor(now / w) - B < n <= floor(now / w): it covers at least T - w and less
// than T. Sums are added in f64 from the oldest bucket to the newest; each
// bucket keeps float32 partials.
//
// State bytes are input: a head of any value gives ring positions in [0, B)
// and at most B buckets are read per value.
import { evalProgram } from "../decide/rules";
import {
  AR_BLOCK, AR_BUCKETS, AR_BUCKET_BYTES, AR_COUNT, AR_FILTER, AR_MAX, AR_MIN, AR_SUM, AR_VALUE, AR_WIDTH,
  FN_AVG, FN_COUNT, FN_MAX, FN_MIN, FN_SUM, bucketSlot,
} from "./tables";

// @ts-ignore: decorator
@inline function bucketAt(block: usize, n: f64, buckets: i32, bucketBytes: i32): usize {
  return block + 4 + bucketSlot(n, buckets) * <usize>bucketBytes;
}

/** Adds the event (its time is in frame slot 0) to aggregate `agg` if its filter holds and its value is not missing. */
export function aggregateAdd(agg: usize, sec: usize, base: f64, t: f64, frame: usize, features: usize): void {
  const filter = <usize>load<i32>(agg, AR_FILTER);
  if (filter != 0) {
    const f = evalProgram(filter, frame, features);
    if (!(f > 0 || f < 0)) return;
  }
  const valueProg = <usize>load<i32>(agg, AR_VALUE);
  let v: f64 = 0;
  if (valueProg != 0) {
    v = evalProgram(valueProg, frame, features);
    if (v != v) return;
  }
  const w = load<f64>(agg, AR_WIDTH);
  const buckets = load<i32>(agg, AR_BUCKETS);
  const bb = load<i32>(agg, AR_BUCKET_BYTES);
  const block = sec + <usize>load<i32>(agg, AR_BLOCK);
  const n = Math.floor(t / w);
  const baseBucket = Math.floor(base / w);
  const hv = load<u32>(block);
  if (hv == 0) {
    memory.fill(block + 4, 0, <usize>(buckets * bb));
    store<u32>(block, <u32>(n - baseBucket + 1));
  } else {
    const head = <f64>hv - 1 + baseBucket;
    if (n > head) {
      if (n - head >= <f64>buckets) {
        memory.fill(block + 4, 0, <usize>(buckets * bb));
      } else {
        for (let j = head + 1; j <= n; j++) memory.fill(bucketAt(block, j, buckets, bb), 0, <usize>bb);
      }
      store<u32>(block, <u32>(n - baseBucket + 1));
    } else if (n <= head - <f64>buckets) {
      return; // older than the ring: outside every window from now on
    }
  }
  const b = bucketAt(block, n, buckets, bb);
  const countOff = load<i32>(agg, AR_COUNT);
  let wasEmpty = true;
  if (countOff >= 0) {
    const c = load<u16>(b + <usize>countOff);
    wasEmpty = c == 0;
    if (c < 0xffff) store<u16>(b + <usize>countOff, c + 1);
  }
  const fv = <f32>v;
  const sumOff = load<i32>(agg, AR_SUM);
  if (sumOff >= 0) store<f32>(b + <usize>sumOff, <f32>(<f64>load<f32>(b + <usize>sumOff) + v));
  const minOff = load<i32>(agg, AR_MIN);
  if (minOff >= 0 && (wasEmpty || fv < load<f32>(b + <usize>minOff))) store<f32>(b + <usize>minOff, fv);
  const maxOff = load<i32>(agg, AR_MAX);
  if (maxOff >= 0 && (wasEmpty || fv > load<f32>(b + <usize>maxOff))) store<f32>(b + <usize>maxOff, fv);
}

/** The value of function `fn` of aggregate `agg` over the window ending at `now`; `empty` says the section holds no data. */
export function aggregateValue(agg: usize, sec: usize, base: f64, now: f64, fn: i32, empty: bool): f64 {
  let count: f64 = 0;
  let sum: f64 = 0;
  let mn: f32 = 0;
  let mx: f32 = 0;
  let any = false;
  const hv = empty ? 0 : load<u32>(sec + <usize>load<i32>(agg, AR_BLOCK));
  if (hv != 0) {
    const w = load<f64>(agg, AR_WIDTH);
    const buckets = load<i32>(agg, AR_BUCKETS);
    const bb = load<i32>(agg, AR_BUCKET_BYTES);
    const block = sec + <usize>load<i32>(agg, AR_BLOCK);
    const head = <f64>hv - 1 + Math.floor(base / w);
    const nNow = Math.floor(now / w);
    const lo = Math.max(head - <f64>buckets + 1, nNow - <f64>buckets + 1);
    const hi = Math.min(head, nNow);
    if (lo <= hi) {
      // lo >= head - B + 1 and hi <= head: at most B buckets
      const span = hi - lo + 1;
      const nb = span < <f64>buckets ? <i32>span : buckets;
      const countOff = load<i32>(agg, AR_COUNT);
      const sumOff = load<i32>(agg, AR_SUM);
      const minOff = load<i32>(agg, AR_MIN);
      const maxOff = load<i32>(agg, AR_MAX);
      for (let i = 0; i < nb; i++) {
        const b = bucketAt(block, lo + <f64>i, buckets, bb);
        let c: u32 = 1;
        if (countOff >= 0) {
          c = <u32>load<u16>(b + <usize>countOff);
          count += <f64>c;
        }
        if (sumOff >= 0) sum += <f64>load<f32>(b + <usize>sumOff);
        if (c != 0) {
          if (minOff >= 0) {
            const x = load<f32>(b + <usize>minOff);
            if (!any || x < mn) mn = x;
          }
          if (maxOff >= 0) {
            const x = load<f32>(b + <usize>maxOff);
            if (!any || x > mx) mx = x;
          }
          any = true;
        }
      }
    }
  }
  switch (fn) {
    case FN_COUNT:
      return count;
    case FN_SUM:
      return sum;
    case FN_AVG:
      return count > 0 ? sum / count : NaN;
    case FN_MIN:
      return any && count > 0 ? <f64>mn : NaN;
    case FN_MAX:
      return any && count > 0 ? <f64>mx : NaN;
  }
  return NaN;
}

/** Moves the head to a new base; a ring entirely older than the new base is cleared. */
export function aggregateRebase(agg: usize, sec: usize, oldBase: f64, newBase: f64): void {
  const block = sec + <usize>load<i32>(agg, AR_BLOCK);
  const hv = load<u32>(block);
  if (hv == 0) return;
  const w = load<f64>(agg, AR_WIDTH);
  const head = <f64>hv - 1 + Math.floor(oldBase / w);
  const nv = head - Math.floor(newBase / w) + 1;
  if (nv < 1) {
    store<u32>(block, 0);
    memory.fill(block + 4, 0, <usize>(load<i32>(agg, AR_BUCKETS) * load<i32>(agg, AR_BUCKET_BYTES)));
  } else {
    store<u32>(block, <u32>nv);
  }
}
