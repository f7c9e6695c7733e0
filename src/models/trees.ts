/**
 * Tree ensembles (kind `trees`): the portable table every importer produces
 * (XGBoost today), its bundle encoding, the complete validation done at load,
 * and the lowering to the kernel layout (assembly/score/trees.ts) done when a
 * table is placed in memory. The bundle keeps the portable form, so the fast
 * layout can change without a bundle format change.
 *
 * Portable form (all node arrays indexed by global node id; tree t owns ids
 * [treeStart[t], treeStart[t+1]) and its root is the first of them):
 *   treeStart   i32[nTrees+1]  node offsets
 *   treeGroup   i32[nTrees]    output group (class) each tree adds to
 *   left, right i32[nodes]     tree-local child index; -1 for both on a leaf
 *   feature     i32[nodes]     schema index of the split feature (leaves: 0)
 *   value       f32[nodes]     split threshold (x < value goes left), or the leaf value
 *   defaultLeft u8[nodes]      1: a missing (NaN) value goes left, 0: right
 *   catNode     i32[]          global ids of categorical splits, ascending
 *   catStart    i32[]          first word of each one's category bitset in catBits
 *   catWords    i32[]          bitset length in 32-bit words
 *   catBits     u32[]          bit c set: category c goes right; any other value goes left
 *   baseMargin  f32[nGroups]   margin each row starts from, per group
 * Margins accumulate in float32, base margin first, then trees in order.
 */
import { NextbestError, type ErrorCode } from '../errors.js';
import { readF32, readI32, readU32, readU8, toBin } from '../bundle/binary.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { HEADER_SIZE, validateBase, writeHeader, type ModelTableBase, type Transform } from './table.js';
import { ceilingError, LIMIT_CEILINGS } from '../limits.js';
import { MAX_BITVECTOR_BYTES, placeBitvector, planBitvector, preferBitvector, type BitvectorPlan } from './trees-bitvector.js';

/** The transforms the trees kernel implements (XGBoost's float32 recipes). */
export const TREE_TRANSFORMS: readonly Transform[] = ['identity', 'sigmoid', 'softmax', 'argmax', 'exp'];

export interface TreesTable extends ModelTableBase {
  kind: 'trees';
  treeStart: Int32Array;
  treeGroup: Int32Array;
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  value: Float32Array;
  defaultLeft: Uint8Array;
  catNode: Int32Array;
  catStart: Int32Array;
  catWords: Int32Array;
  catBits: Uint32Array;
  baseMargin: Float32Array;
}

/** Deepest tree accepted (root = depth 0). Deeper trees are treated as malformed. */
export const MAX_TREE_DEPTH = LIMIT_CEILINGS.treeDepth;
/** Ceilings that keep a table's memory bounded (src/limits.ts; the configured limits are checked at load). */
export const MAX_TREES = LIMIT_CEILINGS.trees;
export const MAX_NODES = LIMIT_CEILINGS.nodes;
/** Category codes are exact in float32 below 2^24 (XGBoost treats larger ones as invalid). */
export const MAX_CATEGORY = 1 << 24;
export const MAX_CAT_WORDS = MAX_CATEGORY / 32;

const ARRAYS = ['treeStart', 'treeGroup', 'left', 'right', 'feature', 'value', 'defaultLeft', 'catNode', 'catStart', 'catWords', 'catBits', 'baseMargin'] as const;

export function treesToBundle(t: TreesTable): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: t.kind, id: t.id, nGroups: t.nGroups, nOutputs: t.nOutputs, transform: t.transform };
  for (const k of ARRAYS) o[k] = toBin(t[k]);
  return o;
}

/**
 * Checks every invariant the kernels rely on: array lengths, every index, that
 * each tree is a tree (each node reached exactly once from its root, so no
 * cycles, no sharing, nothing unreachable), the depth bound, category bitset
 * bounds, finite leaves and base margins. `code` is BUNDLE_INVALID when reading
 * a bundle and MODEL_INVALID when checking an importer's output.
 */
export function checkTrees(t: TreesTable, numFeatures: number, what: string, code: ErrorCode = 'BUNDLE_INVALID'): void {
  const bad = (msg: string, details?: Record<string, unknown>): never => {
    throw new NextbestError(code, `${what}: ${msg}`, details);
  };
  const nTrees = t.treeGroup.length;
  if (nTrees > MAX_TREES) throw ceilingError('trees', nTrees, `${what}: trees`);
  if (t.treeStart.length !== nTrees + 1) bad(`treeStart has ${t.treeStart.length} entries for ${nTrees} trees (needs ${nTrees + 1})`);
  const nodes = t.left.length;
  if (nodes > MAX_NODES) throw ceilingError('nodes', nodes, `${what}: nodes`);
  for (const k of ['right', 'feature', 'value', 'defaultLeft'] as const) {
    if (t[k].length !== nodes) bad(`${k} has ${t[k].length} entries for ${nodes} nodes`);
  }
  if (t.treeStart[0] !== 0 || t.treeStart[nTrees] !== nodes) bad(`treeStart must run from 0 to the node count ${nodes}`);
  if (t.baseMargin.length !== t.nGroups) bad(`baseMargin has ${t.baseMargin.length} entries for ${t.nGroups} groups`);
  for (let g = 0; g < t.nGroups; g++) {
    if (!Number.isFinite(t.baseMargin[g]!)) bad(`base margin of group ${g} is not finite`);
  }
  const isCat = new Uint8Array(nodes);
  const nc = t.catNode.length;
  if (t.catStart.length !== nc || t.catWords.length !== nc) bad(`catNode, catStart and catWords must have the same length`);
  for (let c = 0; c < nc; c++) {
    const id = t.catNode[c]!;
    if (id < 0 || id >= nodes || (c > 0 && id <= t.catNode[c - 1]!)) bad(`catNode[${c}] = ${id} is out of range or not ascending`);
    const s = t.catStart[c]!;
    const w = t.catWords[c]!;
    if (w < 0 || w > MAX_CAT_WORDS || s < 0 || s + w > t.catBits.length) {
      bad(`category bitset ${c} [${s}, ${s + w}) falls outside catBits (${t.catBits.length} words) or is too long`);
    }
    isCat[id] = 1;
  }
  const stack = new Int32Array(2 * (MAX_TREE_DEPTH + 2));
  for (let tr = 0; tr < nTrees; tr++) {
    const s = t.treeStart[tr]!;
    const e = t.treeStart[tr + 1]!;
    const n = e - s;
    if (!(n >= 1)) bad(`tree ${tr} has no nodes`, { tree: tr });
    const g = t.treeGroup[tr]!;
    if (!(g >= 0 && g < t.nGroups)) bad(`tree ${tr} adds to group ${g}, outside 0..${t.nGroups - 1}`, { tree: tr });
    const seen = new Uint8Array(n);
    let reached = 0;
    // Depth-first walk with an explicit stack of (node, depth): no recursion on hostile input.
    let sp = 0;
    stack[sp++] = 0;
    stack[sp++] = 0;
    seen[0] = 1;
    while (sp > 0) {
      const depth = stack[--sp]!;
      const local = stack[--sp]!;
      reached++;
      const id = s + local;
      const l = t.left[id]!;
      const r = t.right[id]!;
      if (l === -1 || r === -1) {
        if (l !== r) bad(`tree ${tr} node ${local}: one child is -1 and the other is not`, { tree: tr, node: local });
        if (!Number.isFinite(t.value[id]!)) bad(`tree ${tr} leaf ${local}: leaf value is not finite`, { tree: tr, node: local });
        if (isCat[id]) bad(`tree ${tr} node ${local}: a leaf cannot be a categorical split`, { tree: tr, node: local });
        continue;
      }
      if (depth + 1 > MAX_TREE_DEPTH) bad(`tree ${tr} is deeper than ${MAX_TREE_DEPTH} levels`, { tree: tr });
      for (const c of [l, r]) {
        if (!(c > 0 && c < n)) bad(`tree ${tr} node ${local}: child ${c} is outside 1..${n - 1}`, { tree: tr, node: local });
        if (seen[c]) bad(`tree ${tr} node ${c} is reached twice (a cycle or a shared subtree)`, { tree: tr, node: c });
        seen[c] = 1;
      }
      const f = t.feature[id]!;
      if (!(f >= 0 && f < numFeatures)) {
        bad(`tree ${tr} node ${local}: feature index ${f} is outside the schema (0..${numFeatures - 1})`, { tree: tr, node: local });
      }
      const dl = t.defaultLeft[id]!;
      if (dl !== 0 && dl !== 1) bad(`tree ${tr} node ${local}: defaultLeft must be 0 or 1`, { tree: tr, node: local });
      stack[sp++] = r;
      stack[sp++] = depth + 1;
      stack[sp++] = l;
      stack[sp++] = depth + 1;
    }
    if (reached !== n) bad(`tree ${tr}: ${n - reached} of its ${n} nodes are not reachable from the root`, { tree: tr });
  }
}

/** Validates a decoded bundle section; every index is checked before anything reaches memory. */
export function validateTrees(o: Record<string, unknown>, numFeatures: number, what: string): TreesTable {
  validateBase(o, what);
  if (!TREE_TRANSFORMS.includes(o.transform as Transform)) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: a tree ensemble's transform is one of ${TREE_TRANSFORMS.join(', ')}, got ${String(o.transform)}`);
  }
  const t: TreesTable = {
    kind: 'trees',
    id: o.id as string,
    nGroups: o.nGroups as number,
    nOutputs: o.nOutputs as number,
    transform: o.transform as TreesTable['transform'],
    treeStart: readI32(o.treeStart, `${what}.treeStart`),
    treeGroup: readI32(o.treeGroup, `${what}.treeGroup`),
    left: readI32(o.left, `${what}.left`),
    right: readI32(o.right, `${what}.right`),
    feature: readI32(o.feature, `${what}.feature`),
    value: readF32(o.value, `${what}.value`),
    defaultLeft: readU8(o.defaultLeft, `${what}.defaultLeft`),
    catNode: readI32(o.catNode, `${what}.catNode`),
    catStart: readI32(o.catStart, `${what}.catStart`),
    catWords: readI32(o.catWords, `${what}.catWords`),
    catBits: readU32(o.catBits, `${what}.catBits`),
    baseMargin: readF32(o.baseMargin, `${what}.baseMargin`),
  };
  checkTrees(t, numFeatures, what);
  return t;
}

// ---------------------------------------------------------------------------
// Lowering to the kernel layout (see assembly/score/trees.ts for the field list)

/** Trees per interleaved run; the kernel descends them side by side. */
export const RUN_TREES = 8;
/** Deepest tree given the padded complete-binary layout; deeper trees use explicit children. */
export const MAX_PERFECT_DEPTH = 10;
/** Rows per block in the kernel (fewer for very wide models, so a block's row copies stay within 1 MiB). */
export const BLOCK_ROWS = 64;

const RUN_SIZE = 32;
const RUN_PERFECT = 0;
const RUN_GENERAL = 1;
const GENERAL_NODE_SIZE = 16;
const FLAG_LEAF = 1;
const FLAG_MISSING_RIGHT = 2;
const FLAG_CATEGORICAL = 4;

interface TreeInfo {
  depth: number;
  /** Categorical splits, or a default-left split with a -Inf or NaN threshold (see treesMargins). */
  needsExplicit: boolean;
}

function treeInfos(t: TreesTable): TreeInfo[] {
  const cat = new Set<number>(t.catNode);
  const infos: TreeInfo[] = [];
  for (let tr = 0; tr < t.treeGroup.length; tr++) {
    const s = t.treeStart[tr]!;
    let depth = 0;
    let needsExplicit = false;
    const stack: number[] = [0, 0];
    while (stack.length) {
      const d = stack.pop()!;
      const id = s + stack.pop()!;
      if (t.left[id] === -1) {
        if (d > depth) depth = d;
        continue;
      }
      const v = t.value[id]!;
      if (cat.has(id) || (t.defaultLeft[id] === 1 && !(v > -Infinity))) needsExplicit = true;
      stack.push(t.left[id]!, d + 1, t.right[id]!, d + 1);
    }
    infos.push({ depth, needsExplicit });
  }
  return infos;
}

/** The features any split reads, ascending: the only ones copied into the kernel's row buffer. */
function splitFeatures(t: TreesTable): number[] {
  const used = new Set<number>();
  for (let i = 0; i < t.left.length; i++) if (t.left[i] !== -1) used.add(t.feature[i]!);
  return [...used].sort((a, b) => a - b);
}

/** Which kernel layout placeTrees uses: chosen per table ('auto'), or forced (tests of each layout). */
export const treesLayout: { force: 'auto' | 'runs' | 'bitvector' } = { force: 'auto' };

/** Places a validated table in wasm memory in the kernel layout; returns the model pointer. */
export function placeTrees(wasm: WasmInstance, t: TreesTable): number {
  const infos = treeInfos(t);
  const nTrees = t.treeGroup.length;
  // The bitvector layout for the trees it can hold (one table of trees of up to 64
  // leaves, one of 65 to 128), each when it pays (or when forced).
  const plans: BitvectorPlan[] = [];
  if (treesLayout.force !== 'runs') {
    for (const words of [1, 2] as const) {
      const plan = planBitvector(t, words);
      if (!plan || plan.tableBytes > MAX_BITVECTOR_BYTES) continue;
      const depthSum = plan.trees.reduce((a, tr) => a + Math.max(1, infos[tr]!.depth), 0);
      if (treesLayout.force === 'bitvector' || preferBitvector(plan, depthSum)) plans.push(plan);
    }
  }
  const plan = plans[0];
  if (plan && plans.length === 1 && plan.trees.length === nTrees) {
    const model = wasm.alloc(HEADER_SIZE + 64, 16);
    const bv = placeBitvector(wasm, t, plan, 'groups');
    const basePtr = wasm.place(t.baseMargin);
    const { i32 } = wasm;
    writeHeader(i32, model, t);
    const m = model >> 2;
    i32[m + 10] = basePtr;
    i32[m + 13] = nTrees;
    i32[m + 18] = bv;
    return model;
  }
  // Hybrid (tables of some trees): runs store each of their trees' leaf in the
  // row's leaf buffer at the tree's index, beside the bitvector tables' trees.
  const inTable = new Uint8Array(nTrees);
  for (const p of plans) p.trees.forEach((tr) => (inTable[tr] = 1));
  const catIndex = new Map<number, number>();
  t.catNode.forEach((id, c) => catIndex.set(id, c));
  // Runs: up to RUN_TREES consecutive trees of the padded layout, or one tree with explicit children.
  const runs: { general: boolean; trees: number[]; depth: number }[] = [];
  let cur: { general: boolean; trees: number[]; depth: number } | null = null;
  infos.forEach((info, tr) => {
    if (inTable[tr]) return;
    if (info.needsExplicit || info.depth > MAX_PERFECT_DEPTH) {
      cur = null;
      runs.push({ general: true, trees: [tr], depth: info.depth });
      return;
    }
    if (!cur || cur.trees.length === RUN_TREES) {
      cur = { general: false, trees: [], depth: 0 };
      runs.push(cur);
    }
    cur.trees.push(tr);
    cur.depth = Math.max(cur.depth, info.depth);
  });

  // Scratch and the row buffer first: padded-layout nodes hold absolute addresses into ROW.
  // The row buffer holds the split features only, compacted: slot j = used[j].
  const used = splitFeatures(t);
  const slotOf = new Map<number, number>(used.map((f, j) => [f, j]));
  const width = Math.max(4, Math.ceil(used.length / 4) * 4);
  const leafBufRows = plan ? Math.floor((1 << 20) / (4 * nTrees)) : BLOCK_ROWS;
  const blockRows = Math.max(1, Math.min(BLOCK_ROWS, leafBufRows, Math.floor((1 << 20) / (8 * width))));
  const scratch = wasm.alloc(blockRows * t.nGroups * 4 + blockRows * 2 * width * 4, 16);
  const rowBuf = wasm.alloc(2 * width * 4, 16);
  const usedPtr = wasm.place(Int32Array.from(used.length ? used.map((f) => f * 4) : [0]));
  // Category bitsets next (general nodes point at them).
  const catPtr = wasm.place(t.catBits.length ? t.catBits : new Uint32Array(1));
  const runPtrs: { nodes: number; leaves: number; cLast: number; groups: number }[] = [];
  for (const run of runs) {
    const groups = new Int32Array(RUN_TREES);
    run.trees.forEach((tr, k) => (groups[k] = (plan ? tr : t.treeGroup[tr]!) * 4));
    const groupsPtr = wasm.place(groups);
    if (run.general) {
      runPtrs.push({ ...placeGeneral(wasm, t, run.trees[0]!, catIndex, catPtr), groups: groupsPtr });
    } else {
      runPtrs.push({ ...placePerfect(wasm, t, run.trees, run.depth, rowBuf, width, slotOf), groups: groupsPtr });
    }
  }
  const basePtr = wasm.place(t.baseMargin);
  const runsPtr = wasm.alloc(Math.max(1, runs.length) * RUN_SIZE, 16);
  const model = wasm.alloc(HEADER_SIZE + 64, 16);
  const hybrid = plan
    ? {
        tables: plans.map((p) => placeBitvector(wasm, t, p, 'trees')),
        leafBuf: wasm.alloc(blockRows * nTrees * 4 + 16, 16),
        treeGroups: wasm.place(Int32Array.from(t.treeGroup, (g) => g * 4)),
      }
    : null;
  const { i32 } = wasm;
  runs.forEach((run, r) => {
    const p = (runsPtr + r * RUN_SIZE) >> 2;
    const ptrs = runPtrs[r]!;
    i32[p] = run.general ? RUN_GENERAL : RUN_PERFECT;
    i32[p + 1] = run.trees.length;
    i32[p + 2] = run.depth;
    i32[p + 3] = ptrs.nodes;
    i32[p + 4] = ptrs.leaves;
    i32[p + 5] = ptrs.cLast;
    i32[p + 6] = ptrs.groups;
  });
  writeHeader(i32, model, t);
  const m = model >> 2;
  i32[m + 8] = runs.length;
  i32[m + 9] = runsPtr;
  i32[m + 10] = basePtr;
  i32[m + 11] = width;
  i32[m + 12] = scratch;
  i32[m + 13] = t.treeGroup.length;
  i32[m + 14] = rowBuf;
  i32[m + 15] = used.length;
  i32[m + 16] = usedPtr;
  i32[m + 17] = blockRows;
  if (hybrid) {
    i32[m + 18] = hybrid.tables[0]!;
    i32[m + 21] = hybrid.tables[1] ?? 0;
    i32[m + 19] = hybrid.leafBuf;
    i32[m + 20] = hybrid.treeGroups;
  }
  return model;
}

/**
 * The padded complete-binary layout of a run of up to 8 trees, interleaved:
 * slot i (64 bytes) holds node i of every tree of the run as {f32 threshold,
 * u32 address in ROW, the kernel's row buffer}; node i's children are 2i+1
 * (left) and 2i+2. ROW holds [values, NaN as -Inf | values, NaN as +Inf]
 * (width floats each, the split features compacted: slot j holds feature
 * used[j]), so the address is ROW + j * 4 for a node whose missing values go
 * left and ROW + (width + j) * 4 for one whose missing values go right. A leaf above the run's depth D becomes pass-through nodes (threshold
 * NaN: every value goes right) down to depth D. Leaves at depth D are f32 in a
 * separate array of leaf records, 8 per record (32 bytes); the kernel's last
 * level steps from a slot straight to its child's leaf record (cLast).
 */
function placePerfect(
  wasm: WasmInstance,
  t: TreesTable,
  trees: number[],
  depth: number,
  rowBuf: number,
  width: number,
  slotOf: Map<number, number>,
): { nodes: number; leaves: number; cLast: number } {
  const internal = (1 << depth) - 1;
  const nLeaves = 1 << depth;
  const slots = new ArrayBuffer(Math.max(1, internal) * 64);
  const thr = new Float32Array(slots);
  const feat = new Int32Array(slots);
  const leaves = new Float32Array(nLeaves * RUN_TREES);
  trees.forEach((tr, k) => {
    const s = t.treeStart[tr]!;
    // (slot, node, level) triples to fill; a leaf reached above depth D fills its whole subtree.
    const stack: number[] = [0, 0, 0];
    while (stack.length) {
      const level = stack.pop()!;
      const local = stack.pop()!;
      const slot = stack.pop()!;
      const id = s + local;
      if (level === depth) {
        leaves[(slot - internal) * RUN_TREES + k] = t.value[id]!;
        continue;
      }
      const q = slot * 16 + k * 2;
      if (t.left[id] === -1) {
        thr[q] = NaN;
        feat[q + 1] = rowBuf + width * 4;
        stack.push(2 * slot + 1, local, level + 1, 2 * slot + 2, local, level + 1);
      } else {
        thr[q] = t.value[id]!;
        feat[q + 1] = rowBuf + (slotOf.get(t.feature[id]!)! + (t.defaultLeft[id] ? 0 : width)) * 4;
        stack.push(2 * slot + 1, t.left[id]!, level + 1, 2 * slot + 2, t.right[id]!, level + 1);
      }
    }
  });
  // A run of depth 0 has no slots: its descent starts (and ends) at the leaf record.
  const nodesPtr = internal > 0 ? wasm.place(new Uint8Array(slots)) : 0;
  const leavesPtr = wasm.place(leaves);
  const nodes = internal > 0 ? nodesPtr : leavesPtr;
  // The last level's child offset (see lastStep in the kernel), as u32 arithmetic.
  const cLast = (leavesPtr + 32 - 32 * internal - nodes) | 0;
  return { nodes, leaves: leavesPtr, cLast };
}

/**
 * One tree with explicit children, for trees deeper than MAX_PERFECT_DEPTH or
 * with categorical splits. Nodes are renumbered breadth-first so siblings are
 * adjacent; records are 16 bytes:
 *   +0 threshold or leaf value f32 (categorical: bitset pointer)
 *   +4 feature byte offset i32
 *   +8 left child byte offset from the tree's first record (right = left + 16)
 *   +12 flags: FLAG_LEAF | FLAG_MISSING_RIGHT | FLAG_CATEGORICAL, bitset words << 8
 */
function placeGeneral(
  wasm: WasmInstance,
  t: TreesTable,
  tr: number,
  catIndex: Map<number, number>,
  catPtr: number,
): { nodes: number; leaves: number; cLast: number } {
  const s = t.treeStart[tr]!;
  const n = t.treeStart[tr + 1]! - s;
  const buf = new ArrayBuffer(n * GENERAL_NODE_SIZE);
  const f32 = new Float32Array(buf);
  const i32 = new Int32Array(buf);
  const order: number[] = [0];
  for (let q = 0; q < order.length; q++) {
    const local = order[q]!;
    const id = s + local;
    const p = q * 4;
    if (t.left[id] === -1) {
      f32[p] = t.value[id]!;
      i32[p + 3] = FLAG_LEAF;
      continue;
    }
    const childSlot = order.length;
    order.push(t.left[id]!, t.right[id]!);
    i32[p + 1] = t.feature[id]! * 4;
    i32[p + 2] = childSlot * GENERAL_NODE_SIZE;
    let flags = t.defaultLeft[id] ? 0 : FLAG_MISSING_RIGHT;
    const c = catIndex.get(id);
    if (c !== undefined) {
      i32[p] = catPtr + t.catStart[c]! * 4;
      flags |= FLAG_CATEGORICAL | (t.catWords[c]! << 8);
    } else {
      f32[p] = t.value[id]!;
    }
    i32[p + 3] = flags;
  }
  return { nodes: wasm.place(new Uint8Array(buf)), leaves: 0, cLast: 0 };
}
