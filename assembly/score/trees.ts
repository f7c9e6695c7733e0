// Tree ensembles (XGBoost semantics): float32 comparisons (x < threshold goes
// left), a default direction per node for missing (NaN) values, categorical
// splits (a category in the node's set goes right, anything else left), and
// float32 accumulation: base margin, then trees in order, per group.
//
// Layout after the 32-byte model header (placed by src/models/trees.ts):
//   +32 nRuns    i32
//   +36 runs     usize -> nRuns records of 32 bytes:
//         +0  kind    i32   RUN_PERFECT | RUN_GENERAL
//         +4  count   i32   trees in the run (perfect: 1..8, general: 1)
//         +8  depth   i32   perfect: padded depth D
//         +12 nodes   usize perfect: 2^D-1 slots of 64 bytes, slot i = node i of each of
//                           the 8 trees as {f32 threshold, i32 feature byte offset};
//                           children of node i are 2i+1 and 2i+2.
//                           general: 16-byte records (see GENERAL_* below)
//         +16 leaves  usize perfect: leaf of slot i (i >= 2^D-1) of tree k at
//                           leaves + (i << 5) + 4k (the base is pre-offset)
//         +20 dr      usize perfect: missing-goes-right byte of slot i, tree k at dr + 8i + k
//         +24 groups  usize i32[8]: byte offset (group * 4) of each tree's group
//   +40 base     usize f32[nGroups] base margins
//   +44 nUsed    i32   features any split reads
//   +48 used     usize i32[nUsed] their byte offsets in a row (for the NaN check)
//   +52 scratch  usize f32[BLOCK * nGroups] accumulators, then i32[BLOCK] x 2 row lists
//   +56 nTrees   i32
//
// Rows are scored in blocks of BLOCK. Each block is split into rows without
// NaN in any used feature (the fast path: one compare per level, no missing
// test) and rows with NaN (default directions). For every run, every row of
// the block descends the run's 8 trees side by side (8 independent chains of
// loads hide their latency), then adds the 8 leaves to its accumulator in
// tree order. Runs go in tree order, so each row's sum is XGBoost's sum.
import { HEADER_GROUPS, HEADER_TRANSFORM, TRANSFORM_IDENTITY, TRANSFORM_SIGMOID, TRANSFORM_EXP, TRANSFORM_SOFTMAX, TRANSFORM_ARGMAX } from "./model";

export const TREES_NRUNS: usize = 32;
export const TREES_RUNS: usize = 36;
export const TREES_BASE: usize = 40;
export const TREES_NUSED: usize = 44;
export const TREES_USED: usize = 48;
export const TREES_SCRATCH: usize = 52;

export const RUN_SIZE: usize = 32;
export const RUN_PERFECT: i32 = 0;
export const RUN_GENERAL: i32 = 1;
export const RUN_TREES: i32 = 8;

// General records (one tree, explicit children):
//   +0  threshold / leaf value f32; categorical: bitset pointer usize
//   +4  feature byte offset i32
//   +8  left child byte offset from the tree's first record; right = left + 16
//   +12 flags: GENERAL_LEAF | GENERAL_MISSING_RIGHT | GENERAL_CATEGORICAL, bitset words << 8
export const GENERAL_LEAF: i32 = 1;
export const GENERAL_MISSING_RIGHT: i32 = 2;
export const GENERAL_CATEGORICAL: i32 = 4;

// Must match BLOCK_ROWS in src/models/trees.ts (the scratch is sized with it).
export const BLOCK: i32 = 64;

// ---------------------------------------------------------------------------
// One level of one chain in the padded layout. `k` is a constant after
// inlining, so the tree's offset in the slot folds into the load offsets.

// @ts-ignore: decorator
@inline function stepFast(nodes: usize, row: usize, i: u32, k: usize): u32 {
  const rec = nodes + (<usize>i << 6) + (k << 3);
  const x = load<f32>(row + <usize>load<u32>(rec, 4));
  return (i << 1) + 2 - <u32>(x < load<f32>(rec));
}

// @ts-ignore: decorator
@inline function stepMissing(nodes: usize, dr: usize, row: usize, i: u32, k: usize): u32 {
  const rec = nodes + (<usize>i << 6) + (k << 3);
  const x = load<f32>(row + <usize>load<u32>(rec, 4));
  const right = <u32>(x >= load<f32>(rec)) | (<u32>(x != x) & <u32>load<u8>(dr + (<usize>i << 3) + k));
  return (i << 1) + 1 + right;
}

// @ts-ignore: decorator
@inline function leaf(leaves: usize, i: u32, k: usize): f32 {
  return load<f32>(leaves + (<usize>i << 5) + (k << 2));
}

// @ts-ignore: decorator
@inline function addLeaf(accRow: usize, groups: usize, k: usize, v: f32): void {
  const a = accRow + <usize>load<i32>(groups + (k << 2));
  store<f32>(a, load<f32>(a) + v);
}

/** 8 trees, rows listed in `list`, no missing values in them. */
function runPerfect8Fast(run: usize, block: usize, stride: usize, list: usize, cnt: i32, acc: usize, accStride: usize, single: bool): void {
  const depth = load<i32>(run, 8);
  const nodes = load<usize>(run, 12);
  const leaves = load<usize>(run, 16);
  const groups = load<usize>(run, 24);
  for (let q = 0; q < cnt; q++) {
    const r = <usize>load<i32>(list + (<usize>q << 2));
    const row = block + r * stride;
    let i0: u32 = 0, i1: u32 = 0, i2: u32 = 0, i3: u32 = 0, i4: u32 = 0, i5: u32 = 0, i6: u32 = 0, i7: u32 = 0;
    for (let d = 0; d < depth; d++) {
      i0 = stepFast(nodes, row, i0, 0);
      i1 = stepFast(nodes, row, i1, 1);
      i2 = stepFast(nodes, row, i2, 2);
      i3 = stepFast(nodes, row, i3, 3);
      i4 = stepFast(nodes, row, i4, 4);
      i5 = stepFast(nodes, row, i5, 5);
      i6 = stepFast(nodes, row, i6, 6);
      i7 = stepFast(nodes, row, i7, 7);
    }
    const accRow = acc + r * accStride;
    if (single) {
      // One group: keep the running sum in a register; float32 adds in tree order.
      let s = load<f32>(accRow);
      s += leaf(leaves, i0, 0);
      s += leaf(leaves, i1, 1);
      s += leaf(leaves, i2, 2);
      s += leaf(leaves, i3, 3);
      s += leaf(leaves, i4, 4);
      s += leaf(leaves, i5, 5);
      s += leaf(leaves, i6, 6);
      s += leaf(leaves, i7, 7);
      store<f32>(accRow, s);
    } else {
      addLeaf(accRow, groups, 0, leaf(leaves, i0, 0));
      addLeaf(accRow, groups, 1, leaf(leaves, i1, 1));
      addLeaf(accRow, groups, 2, leaf(leaves, i2, 2));
      addLeaf(accRow, groups, 3, leaf(leaves, i3, 3));
      addLeaf(accRow, groups, 4, leaf(leaves, i4, 4));
      addLeaf(accRow, groups, 5, leaf(leaves, i5, 5));
      addLeaf(accRow, groups, 6, leaf(leaves, i6, 6));
      addLeaf(accRow, groups, 7, leaf(leaves, i7, 7));
    }
  }
}

/** 8 trees, rows with at least one missing value: default directions apply. */
function runPerfect8Missing(run: usize, block: usize, stride: usize, list: usize, cnt: i32, acc: usize, accStride: usize, single: bool): void {
  const depth = load<i32>(run, 8);
  const nodes = load<usize>(run, 12);
  const leaves = load<usize>(run, 16);
  const dr = load<usize>(run, 20);
  const groups = load<usize>(run, 24);
  for (let q = 0; q < cnt; q++) {
    const r = <usize>load<i32>(list + (<usize>q << 2));
    const row = block + r * stride;
    let i0: u32 = 0, i1: u32 = 0, i2: u32 = 0, i3: u32 = 0, i4: u32 = 0, i5: u32 = 0, i6: u32 = 0, i7: u32 = 0;
    for (let d = 0; d < depth; d++) {
      i0 = stepMissing(nodes, dr, row, i0, 0);
      i1 = stepMissing(nodes, dr, row, i1, 1);
      i2 = stepMissing(nodes, dr, row, i2, 2);
      i3 = stepMissing(nodes, dr, row, i3, 3);
      i4 = stepMissing(nodes, dr, row, i4, 4);
      i5 = stepMissing(nodes, dr, row, i5, 5);
      i6 = stepMissing(nodes, dr, row, i6, 6);
      i7 = stepMissing(nodes, dr, row, i7, 7);
    }
    const accRow = acc + r * accStride;
    if (single) {
      let s = load<f32>(accRow);
      s += leaf(leaves, i0, 0);
      s += leaf(leaves, i1, 1);
      s += leaf(leaves, i2, 2);
      s += leaf(leaves, i3, 3);
      s += leaf(leaves, i4, 4);
      s += leaf(leaves, i5, 5);
      s += leaf(leaves, i6, 6);
      s += leaf(leaves, i7, 7);
      store<f32>(accRow, s);
    } else {
      addLeaf(accRow, groups, 0, leaf(leaves, i0, 0));
      addLeaf(accRow, groups, 1, leaf(leaves, i1, 1));
      addLeaf(accRow, groups, 2, leaf(leaves, i2, 2));
      addLeaf(accRow, groups, 3, leaf(leaves, i3, 3));
      addLeaf(accRow, groups, 4, leaf(leaves, i4, 4));
      addLeaf(accRow, groups, 5, leaf(leaves, i5, 5));
      addLeaf(accRow, groups, 6, leaf(leaves, i6, 6));
      addLeaf(accRow, groups, 7, leaf(leaves, i7, 7));
    }
  }
}

/** A run with fewer than 8 trees (the last one): one tree at a time, same layout. */
function runPerfectPartial(run: usize, block: usize, stride: usize, list: usize, cnt: i32, acc: usize, accStride: usize, missing: bool): void {
  const count = load<i32>(run, 4);
  const depth = load<i32>(run, 8);
  const nodes = load<usize>(run, 12);
  const leaves = load<usize>(run, 16);
  const dr = load<usize>(run, 20);
  const groups = load<usize>(run, 24);
  for (let k = 0; k < count; k++) {
    const kk = <usize>k;
    for (let q = 0; q < cnt; q++) {
      const r = <usize>load<i32>(list + (<usize>q << 2));
      const row = block + r * stride;
      let i: u32 = 0;
      if (missing) {
        for (let d = 0; d < depth; d++) i = stepMissing(nodes, dr, row, i, kk);
      } else {
        for (let d = 0; d < depth; d++) i = stepFast(nodes, row, i, kk);
      }
      addLeaf(acc + r * accStride, groups, kk, leaf(leaves, i, kk));
    }
  }
}

/** XGBoost's categorical decision: true goes right (a valid code whose bit is set). */
// @ts-ignore: decorator
@inline function categoryGoesRight(bits: usize, words: i32, x: f32): bool {
  // Negative, >= 2^24 (and NaN, handled before) are invalid and go left; codes truncate.
  if (!(x >= 0) || x >= <f32>16777216) return false;
  const c = <u32>x;
  if ((c >> 5) >= <u32>words) return false;
  return ((load<u32>(bits + (<usize>(c >> 5) << 2)) >> (c & 31)) & 1) != 0;
}

/** A tree with explicit children (deep or categorical): a plain walk per row. */
function runGeneral(run: usize, block: usize, stride: usize, m: i32, acc: usize, accStride: usize): void {
  const nodes = load<usize>(run, 12);
  const groups = load<usize>(run, 24);
  for (let r = 0; r < m; r++) {
    const row = block + <usize>r * stride;
    let p = nodes;
    let flags = load<i32>(p, 12);
    while (!(flags & GENERAL_LEAF)) {
      const x = load<f32>(row + <usize>load<i32>(p, 4));
      let right: bool;
      if (x != x) {
        right = (flags & GENERAL_MISSING_RIGHT) != 0;
      } else if (flags & GENERAL_CATEGORICAL) {
        right = categoryGoesRight(load<usize>(p), flags >>> 8, x);
      } else {
        right = !(x < load<f32>(p));
      }
      p = nodes + <usize>load<i32>(p, 8) + (right ? 16 : 0);
      flags = load<i32>(p, 12);
    }
    addLeaf(acc + <usize>r * accStride, groups, 0, load<f32>(p));
  }
}

/** Margins of n rows into out (n * nGroups f32). */
export function treesMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  const groups = load<i32>(model, HEADER_GROUPS);
  const nRuns = load<i32>(model, TREES_NRUNS);
  const runs = load<usize>(model, TREES_RUNS);
  const base = load<usize>(model, TREES_BASE);
  const nUsed = load<i32>(model, TREES_NUSED);
  const used = load<usize>(model, TREES_USED);
  const acc = load<usize>(model, TREES_SCRATCH);
  const accStride = <usize>groups << 2;
  const cleanList = acc + <usize>(BLOCK * groups) * 4;
  const nanList = cleanList + (<usize>BLOCK << 2);
  const stride = <usize>strideBytes;
  const single = groups == 1;
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const m = min(BLOCK, n - r0);
    const block = rows + <usize>r0 * stride;
    let nClean = 0;
    let nNan = 0;
    for (let r = 0; r < m; r++) {
      const row = block + <usize>r * stride;
      const accRow = acc + <usize>r * accStride;
      for (let g = 0; g < groups; g++) store<f32>(accRow + (<usize>g << 2), load<f32>(base + (<usize>g << 2)));
      let hasNan = false;
      for (let j = 0; j < nUsed; j++) {
        const x = load<f32>(row + <usize>load<i32>(used + (<usize>j << 2)));
        if (x != x) {
          hasNan = true;
          break;
        }
      }
      if (hasNan) {
        store<i32>(nanList + (<usize>nNan << 2), r);
        nNan++;
      } else {
        store<i32>(cleanList + (<usize>nClean << 2), r);
        nClean++;
      }
    }
    for (let k = 0; k < nRuns; k++) {
      const run = runs + <usize>k * RUN_SIZE;
      if (load<i32>(run) == RUN_GENERAL) {
        runGeneral(run, block, stride, m, acc, accStride);
      } else if (load<i32>(run, 4) == RUN_TREES) {
        if (nClean > 0) runPerfect8Fast(run, block, stride, cleanList, nClean, acc, accStride, single);
        if (nNan > 0) runPerfect8Missing(run, block, stride, nanList, nNan, acc, accStride, single);
      } else {
        if (nClean > 0) runPerfectPartial(run, block, stride, cleanList, nClean, acc, accStride, false);
        if (nNan > 0) runPerfectPartial(run, block, stride, nanList, nNan, acc, accStride, true);
      }
    }
    memory.copy(out + (<usize>(r0 * groups) << 2), acc, <usize>(m * groups) << 2);
  }
}

// ---------------------------------------------------------------------------
// Transforms, as XGBoost computes them in float32 (expf is Mathf.exp: the same
// table-driven algorithm as glibc's and musl's expf).

/** common::Sigmoid: 1 / (expf(min(-x, 88.7f)) + 1), all in float32. */
// @ts-ignore: decorator
@inline export function xgbSigmoid(x: f32): f32 {
  let nx = -x;
  if (<f32>88.7 < nx) nx = <f32>88.7;
  return <f32>1 / (Mathf.exp(nx) + <f32>1);
}

/** common::Softmax: max via fmaxf, expf of the differences, sum in double, divide by (float)sum. */
function xgbSoftmax(p: usize, k: i32): void {
  let wmax = load<f32>(p);
  for (let i = 1; i < k; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    // fmaxf: NaN loses to a number
    if (v > wmax || wmax != wmax) wmax = v;
  }
  let wsum: f64 = 0;
  for (let i = 0; i < k; i++) {
    const e = Mathf.exp(load<f32>(p + (<usize>i << 2)) - wmax);
    store<f32>(p + (<usize>i << 2), e);
    wsum += <f64>e;
  }
  const s = <f32>wsum;
  for (let i = 0; i < k; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) / s);
}

/** common::FindMaxIndex: the first index whose value is strictly greater than all before it. */
function xgbArgmax(p: usize, k: i32): i32 {
  let best = 0;
  let bestV = load<f32>(p);
  for (let i = 1; i < k; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v > bestV) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/** margins (n * nGroups) -> out (n * nOutputs); out may alias margins. */
export function treesTransform(model: usize, margins: usize, n: i32, out: usize): void {
  const transform = load<i32>(model, HEADER_TRANSFORM);
  const groups = load<i32>(model, HEADER_GROUPS);
  const total = n * groups;
  if (transform == TRANSFORM_IDENTITY) {
    if (out != margins) memory.copy(out, margins, <usize>total << 2);
  } else if (transform == TRANSFORM_SIGMOID) {
    for (let i = 0; i < total; i++) store<f32>(out + (<usize>i << 2), xgbSigmoid(load<f32>(margins + (<usize>i << 2))));
  } else if (transform == TRANSFORM_EXP) {
    for (let i = 0; i < total; i++) store<f32>(out + (<usize>i << 2), Mathf.exp(load<f32>(margins + (<usize>i << 2))));
  } else if (transform == TRANSFORM_SOFTMAX) {
    if (out != margins) memory.copy(out, margins, <usize>total << 2);
    for (let r = 0; r < n; r++) xgbSoftmax(out + (<usize>(r * groups) << 2), groups);
  } else if (transform == TRANSFORM_ARGMAX) {
    // out may alias margins: row r's class goes to r, which is <= r * groups.
    for (let r = 0; r < n; r++) store<f32>(out + (<usize>r << 2), <f32>xgbArgmax(margins + (<usize>(r * groups) << 2), groups));
  } else {
    abort("unknown transform");
  }
}
