/**
 * Plain-TypeScript twin of assembly/score/trees.ts: a node-by-node walker over
 * the portable table (not the kernel layout), with the same float32
 * semantics: x < threshold goes left, NaN follows the node's default,
 * categorical codes as XGBoost decides them, float32 accumulation of the base
 * margin and then each tree in order. Used by differential tests and as the
 * plain-JS peer in benchmarks.
 */
import type { TreesTable } from '../models/trees.js';
import { expf, sigmoidXgb } from '../models/libm32.js';

const acc32 = new Float32Array(1);

/** XGBoost's categorical decision for a non-missing value: true goes right. */
export function categoryGoesRight(bits: Uint32Array, start: number, words: number, x: number): boolean {
  if (!(x >= 0) || x >= 16777216) return false;
  const c = Math.trunc(x);
  const w = c >>> 5;
  if (w >= words) return false;
  return ((bits[start + w]! >>> (c & 31)) & 1) === 1;
}

/** Index of each node's category bitset (or -1), cached per table. */
const catIndexCache = new WeakMap<TreesTable, Int32Array>();
function catIndex(t: TreesTable): Int32Array {
  let idx = catIndexCache.get(t);
  if (!idx) {
    idx = new Int32Array(t.left.length).fill(-1);
    t.catNode.forEach((id, c) => (idx![id] = c));
    catIndexCache.set(t, idx);
  }
  return idx;
}

/** The leaf value tree `tr` gives the row at `offset`. */
export function referenceTreeLeaf(t: TreesTable, tr: number, row: ArrayLike<number>, offset: number): number {
  const s = t.treeStart[tr]!;
  const cats = catIndex(t);
  let id = s;
  while (t.left[id] !== -1) {
    const x = row[offset + t.feature[id]!]!;
    let right: boolean;
    if (Number.isNaN(x)) right = t.defaultLeft[id] === 0;
    else if (cats[id]! >= 0) {
      const c = cats[id]!;
      right = categoryGoesRight(t.catBits, t.catStart[c]!, t.catWords[c]!, x);
    } else right = !(x < t.value[id]!);
    id = s + (right ? t.right[id]! : t.left[id]!);
  }
  return t.value[id]!;
}

/** Margins of one row into out[0..nGroups): float32 sums in XGBoost's order. */
export function referenceTreesMargins(t: TreesTable, row: ArrayLike<number>, offset: number, out: Float32Array): void {
  for (let g = 0; g < t.nGroups; g++) out[g] = t.baseMargin[g]!;
  const n = t.treeGroup.length;
  for (let tr = 0; tr < n; tr++) {
    const g = t.treeGroup[tr]!;
    acc32[0] = out[g]! + referenceTreeLeaf(t, tr, row, offset);
    out[g] = acc32[0]!;
  }
}

/** XGBoost's transforms in float32, on n rows of nGroups margins: n * nOutputs values. */
export function referenceTreesTransform(t: TreesTable, margins: Float32Array, n: number): Float32Array {
  const G = t.nGroups;
  const out = new Float32Array(n * t.nOutputs);
  for (let r = 0; r < n; r++) {
    const m = margins.subarray(r * G, r * G + G);
    switch (t.transform) {
      case 'identity':
        out.set(m, r * G);
        break;
      case 'sigmoid':
        for (let g = 0; g < G; g++) out[r * G + g] = sigmoidXgb(m[g]!);
        break;
      case 'exp':
        for (let g = 0; g < G; g++) out[r * G + g] = expf(m[g]!);
        break;
      case 'softmax': {
        let wmax = m[0]!;
        for (let g = 1; g < G; g++) if (m[g]! > wmax || Number.isNaN(wmax)) wmax = m[g]!;
        let wsum = 0;
        const e = new Float32Array(G);
        for (let g = 0; g < G; g++) {
          e[g] = expf(Math.fround(m[g]! - wmax));
          wsum += e[g]!;
        }
        const s = Math.fround(wsum);
        for (let g = 0; g < G; g++) out[r * G + g] = Math.fround(e[g]! / s);
        break;
      }
      case 'argmax': {
        let best = 0;
        for (let g = 1; g < G; g++) if (m[g]! > m[best]!) best = g;
        out[r] = best;
        break;
      }
    }
  }
  return out;
}
