/**
 * The bitvector layout of a tree ensemble (assembly/score/trees-bitvector.ts
 * has the field list and the method): tables of the trees of at most 64 and of
 * 65 to 128 leaves without categorical splits, each used when it is expected
 * to beat the padded runs of assembly/score/trees.ts (few used features
 * relative to the trees' depth); placeTrees (trees.ts) combines them with runs
 * for the other trees. Placement only: the portable table and the bundle do
 * not change.
 */
import type { WasmInstance } from '../runtime/wasm.js';
import type { TreesTable } from './trees.js';

const FEAT_SIZE = 16;
/** Mask tables larger than this stay with the padded runs (they would live in L3 or memory). */
export const MAX_BITVECTOR_BYTES = 8 << 20;

interface Split {
  tree: number;
  threshold: number;
  defaultLeft: boolean;
  lo: number; // mask: ones except the leaves lo..hi-1 (the left subtree)
  hi: number;
}

export interface BitvectorPlan {
  /** The trees in the table (ensemble indices, ascending); the others go to runs. */
  trees: number[];
  /** Used features, ascending, with their splits (Split.tree indexes `trees`). */
  features: { feature: number; splits: Split[]; thresholds: number[] }[];
  /** Leaf values, the table's tree t's leaf i (left to right) at t * 64 + i. */
  leaves: Float32Array;
  nTrees: number;
  /** 64-bit words per tree's mask: 1 (up to 64 leaves) or 2 (up to 128). */
  words: number;
  rowBytes: number;
  nPtrs: number;
  tableBytes: number;
}

/**
 * A table of the trees with more than 64 * (words - 1) and at most 64 * words
 * leaves and no categorical split: numbers their leaves left to right and
 * collects every split with the range of its left subtree's leaves. Null when
 * no tree qualifies.
 */
export function planBitvector(t: TreesTable, words: 1 | 2 = 1): BitvectorPlan | null {
  const MAX_LEAVES = 64 * words;
  const cat = new Set<number>(t.catNode);
  const trees: number[] = [];
  for (let tr = 0; tr < t.treeGroup.length; tr++) {
    let leafCount = 0;
    let ok = true;
    for (let id = t.treeStart[tr]!; id < t.treeStart[tr + 1]!; id++) {
      if (t.left[id] === -1) leafCount++;
      else if (cat.has(id)) ok = false;
    }
    if (ok && leafCount <= MAX_LEAVES && leafCount > MAX_LEAVES - 64) trees.push(tr);
  }
  if (!trees.length) return null;
  const nTrees = trees.length;
  const leaves = new Float32Array(nTrees * MAX_LEAVES);
  const byFeature = new Map<number, Split[]>();
  for (let k = 0; k < nTrees; k++) {
    const tr = trees[k]!;
    const s = t.treeStart[tr]!;
    let next = 0;
    // Iterative in-order walk: each split's left subtree covers the leaves numbered while it is open.
    const open: { id: number; lo: number; stage: number }[] = [{ id: s, lo: 0, stage: 0 }];
    while (open.length) {
      const top = open[open.length - 1]!;
      if (t.left[top.id] === -1) {
        leaves[k * MAX_LEAVES + next++] = t.value[top.id]!;
        open.pop();
      } else if (top.stage === 0) {
        top.stage = 1;
        top.lo = next;
        open.push({ id: s + t.left[top.id]!, lo: 0, stage: 0 });
      } else if (top.stage === 1) {
        top.stage = 2;
        const f = t.feature[top.id]!;
        let list = byFeature.get(f);
        if (!list) byFeature.set(f, (list = []));
        list.push({ tree: k, threshold: t.value[top.id]!, defaultLeft: t.defaultLeft[top.id] === 1, lo: top.lo, hi: next });
        open.push({ id: s + t.right[top.id]!, lo: 0, stage: 0 });
      } else {
        open.pop();
      }
    }
  }
  const rowBytes = Math.ceil((nTrees * words) / 2) * 16;
  const features = [...byFeature.keys()]
    .sort((a, b) => a - b)
    .map((feature) => {
      const splits = byFeature.get(feature)!;
      const thresholds = [...new Set(splits.filter((x) => x.threshold > -Infinity).map((x) => x.threshold))].sort((a, b) => a - b);
      return { feature, splits, thresholds };
    });
  const nPtrs = Math.max(4, Math.ceil(features.length / 4) * 4);
  const tableBytes = features.reduce((a, f) => a + (f.thresholds.length + 2) * rowBytes, 0);
  return { trees, features, leaves, nTrees, words, rowBytes, nPtrs, tableBytes };
}

/**
 * Whether the bitvector layout is expected to be faster than the padded runs:
 * its work per row is the mask bytes ANDed (nPtrs rows of rowBytes) plus a
 * ctz per tree; the runs' is a chain of dependent loads per tree level.
 */
export function preferBitvector(plan: BitvectorPlan, depthSum: number): boolean {
  return (plan.nPtrs * plan.rowBytes) / 16 < depthSum * 2;
}

/**
 * Places the plan's table; returns its pointer (the trees header's bitvector
 * field). `offsets`: each tree's output offset is its group (a table of every
 * tree, summed by the kernel) or its index in the ensemble (leaf values stored
 * for the hybrid layout).
 */
export function placeBitvector(wasm: WasmInstance, t: TreesTable, plan: BitvectorPlan, offsets: 'groups' | 'trees'): number {
  const { nTrees, rowBytes, nPtrs, features } = plan;
  const rowWords = rowBytes / 4;
  const ones = new Uint32Array(rowWords).fill(0xffffffff);
  const featRecs = new Int32Array((features.length || 1) * (FEAT_SIZE / 4));
  const missing = new Int32Array(features.length || 1);
  features.forEach((f, j) => {
    const B = f.thresholds.length;
    let P = 1;
    while (P < B + 1) P *= 2;
    const thr = new Float32Array(P).fill(NaN);
    thr.set(f.thresholds);
    const rank = new Map<number, number>(f.thresholds.map((v, i) => [v, i]));
    // Rows 0..B: bin b applies the splits with threshold rank < b, and those no value
    // passes (NaN or -Inf thresholds: every non-missing value goes right); row B+1: missing.
    const masks = new Uint32Array((B + 2) * rowWords).fill(0xffffffff);
    const byRank: Split[][] = Array.from({ length: B }, () => []);
    const apply = (row: number, x: Split) => {
      const w = row * rowWords + x.tree * 2 * plan.words;
      for (let i = x.lo; i < x.hi; i++) masks[w + (i >> 5)] = masks[w + (i >> 5)]! & ~(1 << (i & 31));
    };
    for (const x of f.splits) {
      const r = x.threshold > -Infinity ? rank.get(x.threshold) : undefined;
      if (r === undefined) apply(0, x);
      else byRank[r]!.push(x);
      if (!x.defaultLeft) apply(B + 1, x);
    }
    for (let b = 1; b <= B; b++) {
      masks.copyWithin(b * rowWords, (b - 1) * rowWords, b * rowWords);
      for (const x of byRank[b - 1]!) apply(b, x);
    }
    const q = j * (FEAT_SIZE / 4);
    featRecs[q] = f.feature * 4;
    featRecs[q + 1] = wasm.place(thr);
    featRecs[q + 2] = P;
    featRecs[q + 3] = wasm.place(masks);
    missing[j] = (B + 1) * rowBytes;
  });
  const groups = new Int32Array(Math.max(1, nTrees));
  plan.trees.forEach((tr, k) => (groups[k] = (offsets === 'groups' ? t.treeGroup[tr]! : tr) * 4));
  const table = wasm.alloc(48, 16);
  const fields = [
    nTrees,
    nPtrs,
    rowBytes,
    wasm.place(featRecs),
    features.length,
    wasm.place(plan.leaves.length ? plan.leaves : new Float32Array(1)),
    wasm.place(groups),
    wasm.alloc(Math.max(16, rowBytes), 16),
    wasm.alloc(nPtrs * 4, 16),
    wasm.place(ones.length ? ones : new Uint32Array(4)),
    wasm.place(missing),
    plan.words,
  ];
  wasm.i32.set(fields, table >> 2);
  return table;
}
