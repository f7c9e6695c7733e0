/**
 * XGBoost 2.x save_model layouts made from 1.7 documents, for format tests
 * (only 1.7 is installable here). What 2.x writes differently, from its
 * sources (src/gbm/gbtree_model.cc, src/learner.cc, src/tree/tree_model.cc):
 * - `version` [2, x, y];
 * - gbtree model: `gbtree_model_param` without size_leaf_vector, plus
 *   `iteration_indptr` (tree offsets of each boosting round);
 * - trees: `tree_param.size_leaf_vector` "1" for scalar leaves (1.7: "0"), and
 *   trees are placed by their `id` field, not by array position;
 * - learner_model_param: `boost_from_average`, `num_target`; base_score stays a
 *   float32 string in probability space ("5E-1"), newer releases write it as a
 *   vector "[5E-1]".
 * UBJ: XGBoost's writer emits typed arrays for node arrays (float32 'd',
 * int32 'l', uint8 'U', int64 'L' for category segments), int64 'L' lengths and generic arrays of ints for
 * tree_info and iteration_indptr.
 */
type Doc = Record<string, any>;

export interface Xgb2Options {
  version?: [number, number, number];
  /** Store trees in reverse array order (ids still give the order). */
  shuffleTrees?: boolean;
  /** base_score as "[v]" (or one entry per group). */
  vectorBaseScore?: boolean;
}

export function toXGBoost2(doc1: Doc, o: Xgb2Options = {}): Doc {
  const doc: Doc = structuredClone(doc1);
  doc.version = o.version ?? [2, 1, 4];
  const learner = doc.learner;
  const mp = learner.learner_model_param;
  mp.boost_from_average ??= '0';
  mp.num_target ??= '1';
  if (o.vectorBaseScore) {
    const groups = Math.max(1, Number(mp.num_class));
    mp.base_score = `[${Array.from({ length: groups }, () => mp.base_score).join(',')}]`;
  }
  const gb = learner.gradient_booster;
  const model = gb.name === 'dart' ? gb.gbtree.model : gb.model;
  const param = model.gbtree_model_param;
  delete param.size_leaf_vector;
  const groups = Math.max(1, Number(mp.num_class), Number(mp.num_target));
  const perRound = groups * Number(param.num_parallel_tree ?? 1);
  const n = model.trees.length;
  model.iteration_indptr = Array.from({ length: Math.floor(n / perRound) + 1 }, (_, i) => i * perRound);
  for (const t of model.trees) t.tree_param.size_leaf_vector = '1';
  if (o.shuffleTrees) model.trees.reverse();
  return doc;
}

// ---------------------------------------------------------------------------
// UBJSON writer in XGBoost's style

// (dart's weight_drop is a generic array of 'd' numbers, which the generic path writes)
const FLOAT_ARRAYS = new Set(['base_weights', 'loss_changes', 'split_conditions', 'sum_hessian']);
const INT_ARRAYS = new Set(['left_children', 'right_children', 'parents', 'split_indices', 'categories', 'categories_nodes']);
const I64_ARRAYS = new Set(['categories_segments', 'categories_sizes']);
const U8_ARRAYS = new Set(['default_left', 'split_type']);

class Writer {
  private chunks: number[] = [];
  byte(b: number): void {
    this.chunks.push(b & 0xff);
  }
  bytes(b: ArrayLike<number>): void {
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]!);
  }
  int64(v: number): void {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setBigInt64(0, BigInt(v));
    this.byte(0x4c);
    this.bytes(new Uint8Array(dv.buffer));
  }
  smallInt(v: number): void {
    if (v >= -128 && v <= 127) {
      this.byte(0x69);
      this.byte(v);
    } else if (v >= -(2 ** 31) && v < 2 ** 31) {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setInt32(0, v);
      this.byte(0x6c);
      this.bytes(new Uint8Array(dv.buffer));
    } else this.int64(v);
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.int64(b.length);
    this.bytes(b);
  }
  typed(marker: number, values: ArrayLike<number>): void {
    this.byte(0x5b);
    this.byte(0x24);
    this.byte(marker);
    this.byte(0x23);
    this.int64(values.length);
    const size = marker === 0x55 ? 1 : marker === 0x4c ? 8 : 4;
    const dv = new DataView(new ArrayBuffer(values.length * size));
    for (let i = 0; i < values.length; i++) {
      if (marker === 0x64) dv.setFloat32(i * size, values[i]!);
      else if (marker === 0x6c) dv.setInt32(i * size, values[i]!);
      else if (marker === 0x4c) dv.setBigInt64(i * size, BigInt(values[i]!));
      else dv.setUint8(i, values[i]!);
    }
    this.bytes(new Uint8Array(dv.buffer));
  }
  value(v: unknown, key = ''): void {
    if (v === null) this.byte(0x5a);
    else if (typeof v === 'boolean') this.byte(v ? 0x54 : 0x46);
    else if (typeof v === 'string') {
      this.byte(0x53);
      this.str(v);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && !Object.is(v, -0)) this.smallInt(v);
      else {
        const dv = new DataView(new ArrayBuffer(4));
        dv.setFloat32(0, v);
        this.byte(0x64);
        this.bytes(new Uint8Array(dv.buffer));
      }
    } else if (Array.isArray(v)) {
      if (FLOAT_ARRAYS.has(key)) this.typed(0x64, v);
      else if (INT_ARRAYS.has(key)) this.typed(0x6c, v);
      else if (U8_ARRAYS.has(key)) this.typed(0x55, v);
      else if (I64_ARRAYS.has(key)) this.typed(0x4c, v);
      else {
        this.byte(0x5b);
        this.byte(0x23);
        this.int64(v.length);
        for (const x of v) this.value(x);
      }
    } else if (typeof v === 'object') {
      this.byte(0x7b);
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        this.str(k);
        this.value(x, k);
      }
      this.byte(0x7d);
    } else throw new Error(`cannot encode ${typeof v}`);
  }
  result(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function encodeXGBoostUbj(doc: unknown): Uint8Array {
  const w = new Writer();
  w.value(doc);
  return w.result();
}
