// Tree ensembles in the bitvector layout (QuickScorer's idea, with every
// feature's masks precomputed per threshold bin): for trees of at most 64
// (one word per mask) or 128 leaves (two words) without categorical splits;
// a table holds every tree of a model, or some (the others in trees.ts's
// runs). src/models/trees-bitvector.ts decides and places it. XGBoost
// semantics as in trees.ts.
//
// Each tree's leaves are numbered left to right (bit i = leaf i). A split that
// sends a row right rules out the leaves of its left subtree; the row's leaf
// is the lowest leaf no split ruled out. For a used feature j with distinct
// thresholds t_0 < ... < t_{B-1}, a row's bin is the number of thresholds
// <= x (0..B), or the missing bin B+1 when x is NaN; masks_j row b holds, per
// tree, the AND of the masks (ones except the left subtree's leaves) of the
// tree's splits on j that send a row of bin b right. A row's leaves are then
// the lowest set bit of the AND of its bins' rows over the used features:
// loads, ANDs and one ctz per tree (two with two words), no chain of
// dependent loads.
//
// Table (at the pointer in the trees header, TREES_BITVECTOR):
//   +0  nTrees   i32
//   +4  nPtrs    i32   used features rounded up to a multiple of 4 (at least 4)
//   +8  rowBytes i32   bytes of one mask row: nTrees * words rounded up to even, * 8
//   +12 feats    usize nUsed records of 16 bytes: {i32 feature byte offset in a
//                      row, usize thresholds (f32[P], sorted, NaN-padded), i32 P
//                      (a power of two > B), usize masks (B + 2 rows: bins 0..B,
//                      then the missing bin)}
//   +16 nUsed    i32
//   +20 leaves   usize f32[nTrees * 64 * words]: tree t's leaf i at leaves + 256 * words * t + 4i
//   +24 offsets  usize i32[nTrees]: each tree's byte offset in a row of the output:
//                      its group * 4 (treesBitvectorMargins), or its index in the
//                      ensemble * 4 (treesBitvectorLeaves, a table of some of the trees)
//   +28 bv       usize u64[rowBytes / 8] scratch: the AND of a row's mask rows
//   +32 ptrs     usize usize[nPtrs] scratch: each used feature's mask row for the
//                      current row, padded with the all-ones row
//   +36 ones     usize an all-ones mask row
//   +40 missing  usize i32[nUsed]: byte offset of each feature's missing row in masks
//   +44 words    i32   64-bit words per tree's mask: 1 (up to 64 leaves), or 2 (up to
//                      128: rows hold 16 bytes per tree, leaves 128 per tree)
import { HEADER_GROUPS } from "./model";

export const BV_FEAT_SIZE: usize = 16;

/** The number of thresholds <= x (NaN-padded thresholds count as greater than everything). */
// @ts-ignore: decorator
@inline function binOf(thr: usize, p: i32, x: f32): usize {
  let pos: usize = 0;
  for (let s = <usize>p >> 1; s > 0; s >>= 1) {
    pos += select<usize>(s, 0, load<f32>(thr + ((pos + s - 1) << 2)) <= x);
  }
  return pos;
}

/** The AND of row's mask rows over the used features, into the table's bv scratch. */
// @ts-ignore: decorator
@inline function rowMask(table: usize, row: usize): void {
  const nPtrs = load<i32>(table, 4);
  const rowBytes = <usize>load<i32>(table, 8);
  const feats = load<usize>(table, 12);
  const nUsed = load<i32>(table, 16);
  const bv = load<usize>(table, 28);
  const ptrs = load<usize>(table, 32);
  const missingRows = load<usize>(table, 40);
  // Each used feature's mask row for this row's value (ptrs[nUsed..nPtrs) hold the all-ones row).
  for (let j = 0; j < nUsed; j++) {
    const f = feats + <usize>j * BV_FEAT_SIZE;
    const x = load<f32>(row + <usize>load<i32>(f));
    const masks = load<usize>(f, 12);
    const off = x != x ? <usize>load<i32>(missingRows + (<usize>j << 2)) : binOf(load<usize>(f, 4), load<i32>(f, 8), x) * rowBytes;
    store<usize>(ptrs + (<usize>j << 2), masks + off);
  }
  // AND the rows, four at a time.
  for (let j = 0; j < nPtrs; j += 4) {
    const q = ptrs + (<usize>j << 2);
    const a = load<usize>(q), b = load<usize>(q, 4), c = load<usize>(q, 8), d = load<usize>(q, 12);
    if (j == 0) {
      for (let i: usize = 0; i < rowBytes; i += 16) {
        v128.store(bv + i, v128.and(v128.and(v128.load(a + i), v128.load(b + i)), v128.and(v128.load(c + i), v128.load(d + i))));
      }
    } else {
      for (let i: usize = 0; i < rowBytes; i += 16) {
        v128.store(bv + i, v128.and(v128.and(v128.load(bv + i), v128.and(v128.load(a + i), v128.load(b + i))), v128.and(v128.load(c + i), v128.load(d + i))));
      }
    }
  }
}

/** Tree t's leaf value for the mask in bv (the lowest leaf no split ruled out): one 64-bit word per tree. */
// @ts-ignore: decorator
@inline function leafValue(bv: usize, leaves: usize, t: usize): f32 {
  const leaf = <usize>ctz(load<u64>(bv + (t << 3))) & 63;
  return load<f32>(leaves + (t << 8) + (leaf << 2));
}

/** The same with two words per tree (up to 128 leaves): the low word's lowest bit, else the high word's. */
// @ts-ignore: decorator
@inline function leafValue2(bv: usize, leaves: usize, t: usize): f32 {
  const lo = load<u64>(bv + (t << 4));
  const hi = load<u64>(bv + (t << 4), 8);
  const leaf = <usize>select<u64>(ctz(lo), ctz(hi) + 64, lo != 0) & 127;
  return load<f32>(leaves + (t << 9) + (leaf << 2));
}

/** Checks the table's shape and fills the padding pointers with the all-ones row. */
function prepare(table: usize): void {
  const nPtrs = load<i32>(table, 4);
  const rowBytes = load<i32>(table, 8);
  const nUsed = load<i32>(table, 16);
  const ptrs = load<usize>(table, 32);
  assert(nPtrs >= 4 && (nPtrs & 3) == 0 && nUsed <= nPtrs && (rowBytes & 15) == 0, "bad bitvector table");
  for (let j = nUsed; j < nPtrs; j++) store<usize>(ptrs + (<usize>j << 2), load<usize>(table, 36));
}

/**
 * Margins of n rows (row r at rows + r * strideBytes) into out (n * nGroups
 * f32), for a table holding every tree: +24 holds each tree's group offset.
 */
export function treesBitvectorMargins(model: usize, table: usize, base: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  prepare(table);
  const groups = load<i32>(model, HEADER_GROUPS);
  const nTrees = <usize>load<i32>(table);
  const leaves = load<usize>(table, 20);
  const treeGroups = load<usize>(table, 24);
  const bv = load<usize>(table, 28);
  const wide = load<i32>(table, 44) == 2;
  for (let r = 0; r < n; r++) {
    rowMask(table, rows + <usize>r * <usize>strideBytes);
    // Each tree's leaf, added in tree order (float32, base margin first).
    const o = out + (<usize>(r * groups) << 2);
    if (groups == 1) {
      let s = load<f32>(base);
      if (wide) {
        for (let t: usize = 0; t < nTrees; t++) s += leafValue2(bv, leaves, t);
      } else {
        for (let t: usize = 0; t < nTrees; t++) s += leafValue(bv, leaves, t);
      }
      store<f32>(o, s);
    } else {
      for (let g = 0; g < groups; g++) store<f32>(o + (<usize>g << 2), load<f32>(base + (<usize>g << 2)));
      for (let t: usize = 0; t < nTrees; t++) {
        const a = o + <usize>load<i32>(treeGroups + (t << 2));
        store<f32>(a, load<f32>(a) + (wide ? leafValue2(bv, leaves, t) : leafValue(bv, leaves, t)));
      }
    }
  }
}

/**
 * The leaf values of the table's trees for n rows, stored (not added) at
 * dst + r * dstStride + the tree's offset at +24: a table holding some of the
 * trees, the others in runs (see treesMargins).
 */
export function treesBitvectorLeaves(table: usize, rows: usize, n: i32, strideBytes: i32, dst: usize, dstStride: usize): void {
  prepare(table);
  const nTrees = <usize>load<i32>(table);
  const leaves = load<usize>(table, 20);
  const offsets = load<usize>(table, 24);
  const bv = load<usize>(table, 28);
  const wide = load<i32>(table, 44) == 2;
  for (let r = 0; r < n; r++) {
    rowMask(table, rows + <usize>r * <usize>strideBytes);
    const d = dst + <usize>r * dstStride;
    if (wide) {
      for (let t: usize = 0; t < nTrees; t++) store<f32>(d + <usize>load<i32>(offsets + (t << 2)), leafValue2(bv, leaves, t));
    } else {
      for (let t: usize = 0; t < nTrees; t++) store<f32>(d + <usize>load<i32>(offsets + (t << 2)), leafValue(bv, leaves, t));
    }
  }
}
