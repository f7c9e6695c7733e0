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
//                           the 8 trees as {f32 threshold, u32 address in ROW:
//                           ROW + slot * 4, + width * 4 if missing goes right};
//                           children of node i are 2i+1 and 2i+2.
//                           general: 16-byte records (see GENERAL_* below)
//         +16 leaves  usize perfect: 2^D leaf records of 32 bytes, record j = the
//                           8 trees' leaf values (f32) of slot 2^D-1+j
//         +20 cLast   u32   perfect: the last level's child offset (see lastStep);
//                           a run of depth 0 has no slots and nodes = leaves
//         +24 groups  usize i32[8]: byte offset (group * 4) of each tree's group
//   +40 base     usize f32[nGroups] base margins
//   +44 width    i32   floats per half of a row copy: the number of split features,
//                      rounded up to a multiple of 4 (at least 4)
//   +48 scratch  usize f32[block * nGroups] accumulators, then f32[block * 2 * width]
//                      missing-aware row copies
//   +52 nTrees   i32
//   +56 row      usize ROW: f32[2 * width], the row copy the padded layout reads
//   +60 nUsed    i32   split features (slots of a row copy)
//   +64 used     usize i32[nUsed]: byte offset in a row of the feature of each slot
//   +68 block    i32   rows per block (<= BLOCK)
//   +72 bitvector usize 0, or the table of the bitvector layout (trees-bitvector.ts):
//                      with +76 = 0 it holds every tree and only +40 base and +52
//                      nTrees of the fields above are set; else it holds some trees
//                      and the runs the others
//   +76 leafBuf  usize hybrid: f32[block * nTrees] each row's leaf value of every tree
//   +80 treeGroups usize hybrid: i32[nTrees] byte offset (group * 4) of each tree's group
//   +84 bitvector2 usize hybrid: 0, or a second bitvector table (two words per tree)
//
// Rows are scored in blocks of BLOCK. For every run, every row of the block
// descends the run's 8 trees side by side (8 independent chains of loads hide
// their latency), then adds the 8 leaves to its accumulator in tree order.
// Runs go in tree order, so each row's sum is XGBoost's sum.
import { treesBitvectorLeaves, treesBitvectorMargins } from "./trees-bitvector";
import { HEADER_GROUPS, HEADER_TRANSFORM, TRANSFORM_IDENTITY, TRANSFORM_SIGMOID, TRANSFORM_EXP, TRANSFORM_SOFTMAX, TRANSFORM_ARGMAX } from "./model";

export const TREES_NRUNS: usize = 32;
export const TREES_RUNS: usize = 36;
export const TREES_BASE: usize = 40;
export const TREES_WIDTH: usize = 44;
export const TREES_SCRATCH: usize = 48;
export const TREES_ROW: usize = 56;
export const TREES_NUSED: usize = 60;
export const TREES_USED: usize = 64;
export const TREES_BLOCK: usize = 68;
export const TREES_BITVECTOR: usize = 72;
export const TREES_LEAFBUF: usize = 76;
export const TREES_TREE_GROUPS: usize = 80;
export const TREES_BITVECTOR2: usize = 84;
export const TREES_NTREES: usize = 52;

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

// The most rows per block (BLOCK_ROWS in src/models/trees.ts); a model's own block size is at +68.
export const BLOCK: i32 = 64;

// ---------------------------------------------------------------------------
// One level of one chain in the padded layout. `p` is the absolute address of
// the chain's slot (nodes + 64 * i); `k` is a constant after inlining, so the
// tree's offset in the slot folds into the load offsets. The feature offset in
// a node record is an absolute address into ROW, the fixed buffer holding the
// current row's missing-aware copy (see treesMargins), so a value is one load
// and needs no missing test. With p absolute, the child's slot is
// 2p + (64 or 128) - nodes: one select and one lea. (Few live values: the
// eight chains, the two constants and the memory base fit x64's registers.)

// @ts-ignore: decorator
@inline function step(p: u32, k: usize, cLeft: u32, cRight: u32): u32 {
  const rec = <usize>p + (k << 3);
  const x = load<f32>(<usize>load<u32>(rec, 4));
  return (p << 1) + select<u32>(cLeft, cRight, x < load<f32>(rec));
}

// The last level: the child is a leaf record (32 bytes: the run's 8 leaf
// values) instead of a slot. For p = nodes + 64i at level D-1, leaf slot
// 2i+1+b-(2^D-1) is at leaves + 32 * that = p + cLast + 32b with cLast =
// leaves + 32 - 32 * (2^D-1) - nodes (u32 arithmetic wraps; the sum does not).
// @ts-ignore: decorator
@inline function lastStep(p: u32, k: usize, cLast: u32, cLast2: u32): u32 {
  const rec = <usize>p + (k << 3);
  const x = load<f32>(<usize>load<u32>(rec, 4));
  return p + select<u32>(cLast, cLast2, x < load<f32>(rec));
}

/** Tree k's leaf value in the leaf record at p. */
// @ts-ignore: decorator
@inline function leafOf(p: u32, k: usize): f32 {
  return load<f32>(<usize>p + (k << 2));
}

// @ts-ignore: decorator
@inline function addLeaf(accRow: usize, groups: usize, k: usize, v: f32): void {
  const a = accRow + <usize>load<i32>(groups + (k << 2));
  store<f32>(a, load<f32>(a) + v);
}

/** Copies a missing-aware row copy (bytes, a multiple of 16) into ROW. */
// @ts-ignore: decorator
@inline function loadRow(rowBuf: usize, src: usize, bytes: usize): void {
  for (let j: usize = 0; j < bytes; j += 16) v128.store(rowBuf + j, v128.load(src + j));
}

/**
 * A run of 8 trees over m rows of the block. Row r's copy is at aug + r *
 * augStride (m > 1) or already in ROW (m == 1). Depths up to 8 are unrolled
 * (a switch falling through one level per case, the last level apart), deeper
 * runs loop. A run of depth 0 has no slots: nodes is its leaf record.
 */
function runPerfect8(run: usize, rowBuf: usize, aug: usize, augStride: usize, m: i32, acc: usize, accStride: usize, single: bool): void {
  const depth = load<i32>(run, 8);
  assert(depth >= 0 && depth <= 10, "padded run deeper than the layout allows");
  const nodes = load<u32>(run, 12);
  const cLast = load<u32>(run, 20);
  const cLast2 = cLast + 32;
  const groups = load<usize>(run, 24);
  const cLeft = <u32>64 - nodes;
  const cRight = <u32>128 - nodes;
  for (let r = 0; r < m; r++) {
    if (m > 1) loadRow(rowBuf, aug + <usize>r * augStride, augStride);
    let p0 = nodes, p1 = nodes, p2 = nodes, p3 = nodes, p4 = nodes, p5 = nodes, p6 = nodes, p7 = nodes;
    if (depth <= 8) {
      switch (depth) {
      case 8:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 7:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 6:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 5:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 4:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 3:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      case 2:
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      }
    } else {
      for (let d = 1; d < depth; d++) {
        p0 = step(p0, 0, cLeft, cRight);
        p1 = step(p1, 1, cLeft, cRight);
        p2 = step(p2, 2, cLeft, cRight);
        p3 = step(p3, 3, cLeft, cRight);
        p4 = step(p4, 4, cLeft, cRight);
        p5 = step(p5, 5, cLeft, cRight);
        p6 = step(p6, 6, cLeft, cRight);
        p7 = step(p7, 7, cLeft, cRight);
      }
    }
    if (depth > 0) {
      p0 = lastStep(p0, 0, cLast, cLast2);
      p1 = lastStep(p1, 1, cLast, cLast2);
      p2 = lastStep(p2, 2, cLast, cLast2);
      p3 = lastStep(p3, 3, cLast, cLast2);
      p4 = lastStep(p4, 4, cLast, cLast2);
      p5 = lastStep(p5, 5, cLast, cLast2);
      p6 = lastStep(p6, 6, cLast, cLast2);
      p7 = lastStep(p7, 7, cLast, cLast2);
    }
    const accRow = acc + <usize>r * accStride;
    if (single) {
      // One group: the running sum stays in a register; float32 adds in tree order.
      let s = load<f32>(accRow);
      s += leafOf(p0, 0);
      s += leafOf(p1, 1);
      s += leafOf(p2, 2);
      s += leafOf(p3, 3);
      s += leafOf(p4, 4);
      s += leafOf(p5, 5);
      s += leafOf(p6, 6);
      s += leafOf(p7, 7);
      store<f32>(accRow, s);
    } else {
      addLeaf(accRow, groups, 0, leafOf(p0, 0));
      addLeaf(accRow, groups, 1, leafOf(p1, 1));
      addLeaf(accRow, groups, 2, leafOf(p2, 2));
      addLeaf(accRow, groups, 3, leafOf(p3, 3));
      addLeaf(accRow, groups, 4, leafOf(p4, 4));
      addLeaf(accRow, groups, 5, leafOf(p5, 5));
      addLeaf(accRow, groups, 6, leafOf(p6, 6));
      addLeaf(accRow, groups, 7, leafOf(p7, 7));
    }
  }
}

/** A run with fewer than 8 trees (the last one): one tree at a time, same layout. */
function runPerfectPartial(run: usize, rowBuf: usize, aug: usize, augStride: usize, m: i32, acc: usize, accStride: usize): void {
  const count = load<i32>(run, 4);
  const depth = load<i32>(run, 8);
  const nodes = load<u32>(run, 12);
  const cLast = load<u32>(run, 20);
  const groups = load<usize>(run, 24);
  const cLeft = <u32>64 - nodes;
  const cRight = <u32>128 - nodes;
  for (let r = 0; r < m; r++) {
    if (m > 1) loadRow(rowBuf, aug + <usize>r * augStride, augStride);
    for (let k = 0; k < count; k++) {
      const kk = <usize>k;
      let p = nodes;
      for (let d = 1; d < depth; d++) p = step(p, kk, cLeft, cRight);
      if (depth > 0) p = lastStep(p, kk, cLast, cLast + 32);
      addLeaf(acc + <usize>r * accStride, groups, kk, leafOf(p, kk));
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

/**
 * Margins of n rows into out (n * nGroups f32).
 *
 * Rows go in blocks (64 rows, fewer for very wide models). The split features
 * of each row of a block are first copied twice, side by side, into the
 * scratch: once with missing values as -Infinity, once as +Infinity. A padded-layout node whose missing values go left reads the first
 * copy (-Inf < threshold: left), one whose missing values go right the second
 * (+Inf < threshold is false: right); other values are the same in both. (The
 * layout keeps trees whose default-left nodes have a -Inf or NaN threshold out
 * of the padded layout, where this would not hold.) So every row takes the same
 * branch-free path, missing values or not. Before a run descends for a row, the
 * row's copy is moved into ROW, the buffer the node records address directly.
 */
export function treesMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  const bitvector = load<usize>(model, TREES_BITVECTOR);
  const leafBuf = load<usize>(model, TREES_LEAFBUF);
  if (bitvector != 0 && leafBuf == 0) {
    treesBitvectorMargins(model, bitvector, load<usize>(model, TREES_BASE), rows, n, strideBytes, out);
    return;
  }
  // Some trees in a bitvector table, the others in runs: each tree's leaf goes to
  // leafBuf, then each row's leaves are added in tree order.
  const hybrid = leafBuf != 0;
  const groups = load<i32>(model, HEADER_GROUPS);
  const nRuns = load<i32>(model, TREES_NRUNS);
  const runs = load<usize>(model, TREES_RUNS);
  const base = load<usize>(model, TREES_BASE);
  const width = <usize>load<i32>(model, TREES_WIDTH);
  const rowBuf = load<usize>(model, TREES_ROW);
  const acc = load<usize>(model, TREES_SCRATCH);
  const accStride = <usize>groups << 2;
  const block = load<i32>(model, TREES_BLOCK);
  assert(block >= 1 && block <= BLOCK, "bad block size");
  assert(nRuns >= 0 && groups >= 1, "bad trees header");
  const aug = acc + <usize>(block * groups) * 4;
  const half = width << 2;
  const augStride = half << 1;
  const stride = <usize>strideBytes;
  const single = groups == 1;
  const nUsed = load<i32>(model, TREES_NUSED);
  const used = load<usize>(model, TREES_USED);
  const nTrees = <usize>load<i32>(model, TREES_NTREES);
  const treeGroups = load<usize>(model, TREES_TREE_GROUPS);
  // Where the runs add their leaves: the accumulators, or (hybrid) leafBuf rows of nTrees.
  const dst = hybrid ? leafBuf : acc;
  const dstStride = hybrid ? nTrees << 2 : accStride;
  for (let r0 = 0; r0 < n; r0 += block) {
    const m = min(block, n - r0);
    const blockRows = rows + <usize>r0 * stride;
    for (let r = 0; r < m; r++) {
      const row = blockRows + <usize>r * stride;
      const accRow = acc + <usize>r * accStride;
      for (let g = 0; g < groups; g++) store<f32>(accRow + (<usize>g << 2), load<f32>(base + (<usize>g << 2)));
      // A single row is built straight into ROW; a block's rows go to aug and move to ROW per run.
      const a = m == 1 ? rowBuf : aug + <usize>r * augStride;
      for (let j = 0; j < nUsed; j++) {
        const x = load<f32>(row + <usize>load<i32>(used + (<usize>j << 2)));
        const missing = x != x;
        const s = a + (<usize>j << 2);
        store<f32>(s, select<f32>(-Infinity, x, missing));
        store<f32>(s + half, select<f32>(Infinity, x, missing));
      }
    }
    if (hybrid) {
      // The runs add into -0 (-0 + v is v for every leaf value v, +0 and -0 included).
      const negZero = i32x4.splat(0x80000000);
      const bytes = <usize>m * dstStride;
      for (let i: usize = 0; i < bytes; i += 16) v128.store(leafBuf + i, negZero);
      if (bitvector != 0) treesBitvectorLeaves(bitvector, blockRows, m, strideBytes, leafBuf, dstStride);
      const bitvector2 = load<usize>(model, TREES_BITVECTOR2);
      if (bitvector2 != 0) treesBitvectorLeaves(bitvector2, blockRows, m, strideBytes, leafBuf, dstStride);
    }
    for (let k = 0; k < nRuns; k++) {
      const run = runs + <usize>k * RUN_SIZE;
      if (load<i32>(run) == RUN_GENERAL) {
        runGeneral(run, blockRows, stride, m, dst, dstStride);
      } else if (load<i32>(run, 4) == RUN_TREES) {
        runPerfect8(run, rowBuf, aug, augStride, m, dst, dstStride, single && !hybrid);
      } else {
        runPerfectPartial(run, rowBuf, aug, augStride, m, dst, dstStride);
      }
    }
    if (hybrid) {
      for (let r = 0; r < m; r++) {
        const accRow = acc + <usize>r * accStride;
        const leafRow = leafBuf + <usize>r * dstStride;
        if (single) {
          let s = load<f32>(accRow);
          for (let t: usize = 0; t < nTrees; t++) s += load<f32>(leafRow + (t << 2));
          store<f32>(accRow, s);
        } else {
          for (let t: usize = 0; t < nTrees; t++) {
            const a = accRow + <usize>load<i32>(treeGroups + (t << 2));
            store<f32>(a, load<f32>(a) + load<f32>(leafRow + (t << 2)));
          }
        }
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
