/**
 * Import of XGBoost models saved with `save_model` (JSON text or bytes, UBJ
 * bytes, optionally gzipped) by XGBoost 1.x and 2.x, into the portable tree
 * table (src/models/trees.ts) and a feature schema.
 *
 * Semantics reproduced exactly (checked against XGBoost 1.7.4's own output in
 * test/models/xgboost.test.ts):
 * - margins: base margin, then every tree in order, accumulated in float32 per
 *   output group (`tree_info`); `x < split_condition` goes left; a missing
 *   (NaN) value follows `default_left`;
 * - categorical splits (`split_type` 1): a value whose truncated integer code
 *   is in the node's category set goes right; anything else, including
 *   negative codes and codes >= 2^24, goes left;
 * - `base_score` is stored in probability space and turned into a margin the
 *   way the objective's ProbToMargin does it, in float32 with glibc's logf:
 *   -logf(1/p - 1) for binary:logistic and reg:logistic, logf(p) for
 *   count:poisson, reg:gamma and reg:tweedie, p itself otherwise; for
 *   binary:logitraw p itself since 1.3.1 (dmlc/xgboost#6517) and the logistic
 *   link in models saved by 1.0.0 to 1.3.0;
 *   Its string form may be "5E-1" (1.7+), "0.500000" (1.0-1.6) or a bracketed
 *   vector "[5E-1]" (newer releases; one value per output or one for all);
 * - dart: each leaf is pre-multiplied by its tree's weight_drop in float32,
 *   as XGBoost's dart predictor multiplies each tree's output.
 * Transforms (sigmoid, softmax, argmax, exp) follow XGBoost's float32 code in
 * the kernel (assembly/score/trees.ts).
 *
 * Not supported, with a MODEL_UNSUPPORTED error naming the feature: gblinear,
 * vector-leaf trees (multi_strategy=multi_output_tree), and objectives whose
 * prediction is not an identity/sigmoid/exp/softmax/argmax of the margin.
 */
import { gunzipSync } from 'node:zlib';
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import type { FeatureDef } from '../runtime/features.js';
import type { Transform } from './table.js';
import { MODEL_ID_PATTERN } from './table.js';
import { decodeUbjson } from './ubjson.js';
import { ceilingError } from '../limits.js';
import { logf, probToMarginLogistic } from './libm32.js';
import { checkTrees, MAX_CATEGORY, MAX_NODES, MAX_TREE_DEPTH, type TreesTable } from './trees.js';

export interface XGBoostOptions {
  /** Model id in a bundle (default "model"). */
  id?: string;
  /** Force the input format instead of detecting it. */
  format?: 'json' | 'ubj';
  /** Feature names to use instead of the model's own (or of f0..fN-1 when it has none). */
  featureNames?: string[];
  /** String dictionaries of categorical features: name -> categories, the index being XGBoost's code. */
  categories?: Record<string, string[]>;
}

export interface ImportedXGBoost {
  table: TreesTable;
  features: FeatureDef[];
  /** What was read, for inspection and messages. */
  info: { version: number[]; objective: string; booster: string; trees: number; numFeatures: number };
}

type Json = unknown;
type Obj = Record<string, Json>;

const NAN_MARK = '\u0000NaN';
const INF_MARK = '\u0000Infinity';
const NEG_INF_MARK = '\u0000-Infinity';
const MAX_INPUT_BYTES = 1 << 30;

function parseError(msg: string, details?: Record<string, unknown>): NextbestError {
  return new NextbestError('MODEL_PARSE', `XGBoost model: ${msg}`, details);
}
function invalid(msg: string, details?: Record<string, unknown>): NextbestError {
  return new NextbestError('MODEL_INVALID', `XGBoost model: ${msg}`, details);
}
function unsupported(msg: string): NextbestError {
  return new NextbestError('MODEL_UNSUPPORTED', `XGBoost model: ${msg}`);
}

// ---------------------------------------------------------------------------
// Reading the document

/**
 * JSON as XGBoost writes it: standard JSON plus the bare tokens NaN, Infinity
 * and -Infinity (1.x writes non-finite floats that way). A single scan that
 * knows where strings are rewrites those tokens, outside strings only, into
 * marker strings that the numeric readers below map back; then JSON.parse.
 */
export function parseXGBoostJson(text: string): Json {
  let out: string[] | null = null;
  let last = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    let token: string | null = null;
    let mark = '';
    if (c === 0x4e /* N */ && text.startsWith('NaN', i)) {
      token = 'NaN';
      mark = NAN_MARK;
    } else if (c === 0x49 /* I */ && text.startsWith('Infinity', i)) {
      token = 'Infinity';
      mark = INF_MARK;
    } else if (c === 0x2d /* - */ && text.startsWith('-Infinity', i)) {
      token = '-Infinity';
      mark = NEG_INF_MARK;
    }
    if (token !== null) {
      out ??= [];
      out.push(text.slice(last, i), JSON.stringify(mark));
      i += token.length;
      last = i;
      continue;
    }
    i++;
  }
  const src = out ? (out.push(text.slice(last)), out.join('')) : text;
  try {
    return JSON.parse(src);
  } catch (e) {
    throw parseError(`not valid JSON: ${(e as Error).message}`);
  }
}

function toBytes(input: unknown): Uint8Array | string {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new NextbestError('ARGUMENT_INVALID', `an XGBoost model is JSON text or the bytes of a JSON/UBJ file, got ${describe(input)}`);
}

function looksLikeUbj(b: Uint8Array): boolean {
  // UBJ: '{' then a key-length marker (i U I l L), an optimized-container header ($ #) or a no-op (N).
  // JSON: '{' then whitespace, '"' or '}'.
  return b.length >= 2 && b[0] === 0x7b && [0x69, 0x55, 0x49, 0x6c, 0x4c, 0x24, 0x23, 0x4e].includes(b[1]!);
}

/** Parses JSON text/bytes or UBJ bytes (gzip-compressed or not) into a plain document. */
export function readXGBoostDocument(input: unknown, format?: 'json' | 'ubj'): Json {
  let data = toBytes(input);
  if (typeof data !== 'string' && data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = new Uint8Array(gunzipSync(data, { maxOutputLength: MAX_INPUT_BYTES }));
    } catch (e) {
      throw parseError(`gzip data could not be decompressed: ${(e as Error).message}`);
    }
  }
  if (typeof data === 'string') {
    if (format === 'ubj') throw new NextbestError('ARGUMENT_INVALID', 'format "ubj" needs the bytes of the file, not a string');
    return parseXGBoostJson(data.charCodeAt(0) === 0xfeff ? data.slice(1) : data);
  }
  if (data.length === 0) throw parseError('the input is empty');
  if (format === 'ubj' || (format === undefined && looksLikeUbj(data))) return decodeUbjson(data);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    throw parseError('the bytes are neither UBJ nor UTF-8 JSON');
  }
  return parseXGBoostJson(text);
}

// ---------------------------------------------------------------------------
// Typed access to the document

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function obj(v: Json, what: string): Obj {
  if (!isObj(v)) throw invalid(`${what} must be an object, got ${describe(v)}`);
  return v;
}

function num(v: Json, what: string): number {
  if (typeof v === 'number') return v;
  if (v === NAN_MARK) return NaN;
  if (v === INF_MARK) return Infinity;
  if (v === NEG_INF_MARK) return -Infinity;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw invalid(`${what} must be a number, got ${describe(v)}`);
}

/** A numeric array: a JSON array or a UBJ typed array. */
function nums(v: Json, what: string): ArrayLike<number> {
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array ||
      v instanceof Int8Array || v instanceof Int16Array) {
    return v;
  }
  if (!Array.isArray(v)) throw invalid(`${what} must be an array of numbers, got ${describe(v)}`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = num(v[i], `${what}[${i}]`);
  return out;
}

function optNums(v: Json, what: string): ArrayLike<number> {
  return v === undefined || v === null ? new Float64Array(0) : nums(v, what);
}

function int(v: Json, what: string, min = -Infinity, max = Infinity): number {
  const x = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : num(v, what);
  if (!Number.isInteger(x) || x < min || x > max) throw invalid(`${what} must be an integer in [${min}, ${max}], got ${describe(v)}`);
  return x;
}

function str(v: Json, what: string): string {
  if (typeof v !== 'string') throw invalid(`${what} must be a string, got ${describe(v)}`);
  return v;
}

function strings(v: Json, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${what} must be an array of strings`);
  return v.map((s, i) => str(s, `${what}[${i}]`));
}

/** base_score: "5E-1", "0.500000", "[5E-1]", "[0.5,0.25]" or a number; float32 values. */
export function parseBaseScore(v: Json, outputs: number): Float32Array {
  let values: number[];
  if (typeof v === 'number') values = [v];
  else if (typeof v === 'string') {
    let s = v.trim();
    if (s.startsWith('(')) s = `[${s.slice(1)}`;
    if (s.endsWith(')')) s = `${s.slice(0, -1)}]`;
    if (s.startsWith('[')) {
      const parsed = parseXGBoostJson(s);
      if (!Array.isArray(parsed) || parsed.length === 0) throw invalid(`base_score "${v.slice(0, 60)}" is not a list of numbers`);
      values = parsed.map((x, i) => num(x, `base_score[${i}]`));
    } else {
      const x = Number(s);
      if (s === '' || Number.isNaN(x)) throw invalid(`base_score "${v.slice(0, 60)}" is not a number`);
      values = [x];
    }
  } else {
    throw invalid(`learner_model_param.base_score must be a string, got ${describe(v)}`);
  }
  if (values.length !== 1 && values.length !== outputs) {
    throw invalid(`base_score has ${values.length} values; expected 1 or ${outputs} (one per output)`);
  }
  const out = new Float32Array(outputs);
  for (let g = 0; g < outputs; g++) out[g] = values.length === 1 ? values[0]! : values[g]!;
  return out;
}

// ---------------------------------------------------------------------------
// Objectives

interface Link {
  transform: Transform;
  /** base_score (probability space, float32) -> margin, as the objective's ProbToMargin. */
  margin: (p: number, what: string) => number;
}

const identityMargin = (p: number) => p;
const logisticMargin = (p: number, what: string) => {
  if (!(p > 0 && p < 1)) throw invalid(`${what} must be in (0, 1) for a logistic objective, got ${p}`);
  return probToMarginLogistic(p);
};
const logMargin = (p: number, what: string) => {
  if (!(p > 0)) throw invalid(`${what} must be positive for a log-link objective, got ${p}`);
  return logf(p);
};

const OBJECTIVES: Record<string, Link> = {
  'binary:logistic': { transform: 'sigmoid', margin: logisticMargin },
  'reg:logistic': { transform: 'sigmoid', margin: logisticMargin },
  'binary:logitraw': { transform: 'identity', margin: identityMargin },
  'reg:squarederror': { transform: 'identity', margin: identityMargin },
  'reg:linear': { transform: 'identity', margin: identityMargin },
  'reg:squaredlogerror': { transform: 'identity', margin: identityMargin },
  'reg:pseudohubererror': { transform: 'identity', margin: identityMargin },
  'reg:absoluteerror': { transform: 'identity', margin: identityMargin },
  'reg:quantileerror': { transform: 'identity', margin: identityMargin },
  'count:poisson': { transform: 'exp', margin: logMargin },
  'reg:gamma': { transform: 'exp', margin: logMargin },
  'reg:tweedie': { transform: 'exp', margin: logMargin },
  'rank:pairwise': { transform: 'identity', margin: identityMargin },
  'rank:ndcg': { transform: 'identity', margin: identityMargin },
  'rank:map': { transform: 'identity', margin: identityMargin },
  'multi:softprob': { transform: 'softmax', margin: identityMargin },
  'multi:softmax': { transform: 'argmax', margin: identityMargin },
};

function versionBefore(v: number[], w: number[]): boolean {
  for (let i = 0; i < w.length; i++) {
    const a = v[i] ?? 0;
    if (a !== w[i]) return a < w[i]!;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Trees

interface RawTree {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  feature: ArrayLike<number>;
  value: ArrayLike<number>;
  defaultLeft: ArrayLike<number>;
  splitType: ArrayLike<number>;
  catNodes: ArrayLike<number>;
  catSegments: ArrayLike<number>;
  catSizes: ArrayLike<number>;
  categories: ArrayLike<number>;
}

function readTree(v: Json, t: number): RawTree {
  const what = `trees[${t}]`;
  const o = obj(v, what);
  const param = isObj(o.tree_param) ? o.tree_param : {};
  const leafVec = param.size_leaf_vector === undefined ? 0 : int(param.size_leaf_vector, `${what}.tree_param.size_leaf_vector`, 0);
  if (leafVec > 1) {
    throw unsupported(`tree ${t} has vector leaves (size_leaf_vector=${leafVec}, multi_strategy="multi_output_tree"); only scalar-leaf trees are supported`);
  }
  const tree: RawTree = {
    left: nums(o.left_children, `${what}.left_children`),
    right: nums(o.right_children, `${what}.right_children`),
    feature: nums(o.split_indices, `${what}.split_indices`),
    value: nums(o.split_conditions, `${what}.split_conditions`),
    defaultLeft: nums(o.default_left, `${what}.default_left`),
    splitType: optNums(o.split_type, `${what}.split_type`),
    catNodes: optNums(o.categories_nodes, `${what}.categories_nodes`),
    catSegments: optNums(o.categories_segments, `${what}.categories_segments`),
    catSizes: optNums(o.categories_sizes, `${what}.categories_sizes`),
    categories: optNums(o.categories, `${what}.categories`),
  };
  const n = tree.left.length;
  if (n === 0) throw invalid(`${what} has no nodes`, { tree: t });
  if (n > MAX_NODES) throw ceilingError('treeNodes', n, `XGBoost model: nodes of ${what}`);
  if (param.num_nodes !== undefined && int(param.num_nodes, `${what}.tree_param.num_nodes`, 0) !== n) {
    throw invalid(`${what}: tree_param.num_nodes is ${describe(param.num_nodes)} but left_children has ${n} entries`, { tree: t });
  }
  for (const k of ['right', 'feature', 'value', 'defaultLeft'] as const) {
    if (tree[k].length !== n) throw invalid(`${what}: ${k === 'feature' ? 'split_indices' : k === 'value' ? 'split_conditions' : k === 'right' ? 'right_children' : 'default_left'} has ${tree[k].length} entries for ${n} nodes`, { tree: t });
  }
  if (tree.splitType.length !== 0 && tree.splitType.length !== n) throw invalid(`${what}: split_type has ${tree.splitType.length} entries for ${n} nodes`, { tree: t });
  const nc = tree.catNodes.length;
  if (tree.catSegments.length !== nc || tree.catSizes.length !== nc) {
    throw invalid(`${what}: categories_nodes, categories_segments and categories_sizes must have the same length`, { tree: t });
  }
  return tree;
}

interface Compacted {
  left: number[];
  right: number[];
  feature: number[];
  value: number[];
  defaultLeft: number[];
  /** new local id -> category bitset words, for categorical splits */
  cats: Map<number, Uint32Array>;
}

/**
 * Walks a tree from its root (breadth first), checking every index, and
 * renumbers the reachable nodes 0..m-1 in walk order. Unreachable nodes (XGBoost
 * keeps pruned, "deleted" nodes in its arrays) are dropped. A node reached
 * twice (a cycle or a shared subtree), a child index out of range or a tree
 * deeper than MAX_TREE_DEPTH is MODEL_INVALID.
 */
function compactTree(tree: RawTree, t: number, numFeature: number, scale: number): Compacted {
  const n = tree.left.length;
  const what = `tree ${t}`;
  const catOf = new Map<number, number>();
  for (let c = 0; c < tree.catNodes.length; c++) {
    const id = tree.catNodes[c]!;
    if (!Number.isInteger(id) || id < 0 || id >= n) throw invalid(`${what}: categories_nodes[${c}] = ${id} is not a node`, { tree: t });
    catOf.set(id, c);
  }
  const newId = new Int32Array(n).fill(-1);
  const order: number[] = [0];
  const depth: number[] = [0];
  newId[0] = 0;
  const out: Compacted = { left: [], right: [], feature: [], value: [], defaultLeft: [], cats: new Map() };
  for (let q = 0; q < order.length; q++) {
    const id = order[q]!;
    const l = tree.left[id]!;
    const r = tree.right[id]!;
    if (l === -1 && r === -1) {
      const v = tree.value[id]!;
      if (!Number.isFinite(v)) throw invalid(`${what} leaf ${id}: leaf value ${v} is not finite`, { tree: t, node: id });
      out.left.push(-1);
      out.right.push(-1);
      out.feature.push(0);
      out.value.push(scale === 1 ? v : Math.fround(Math.fround(v + 0) * scale));
      out.defaultLeft.push(0);
      continue;
    }
    for (const c of [l, r]) {
      if (!Number.isInteger(c) || c < 1 || c >= n) throw invalid(`${what} node ${id}: child index ${c} is outside 1..${n - 1}`, { tree: t, node: id });
      if (newId[c] !== -1) throw invalid(`${what}: node ${c} is reached twice (a cycle or a shared subtree)`, { tree: t, node: c });
    }
    if (depth[q]! + 1 > MAX_TREE_DEPTH) throw invalid(`${what} is deeper than ${MAX_TREE_DEPTH} levels`, { tree: t });
    const f = tree.feature[id]!;
    if (!Number.isInteger(f) || f < 0 || f >= numFeature) {
      throw invalid(`${what} node ${id}: split feature ${f} is outside 0..${numFeature - 1}`, { tree: t, node: id });
    }
    const dl = tree.defaultLeft[id]!;
    if (dl !== 0 && dl !== 1) throw invalid(`${what} node ${id}: default_left must be 0 or 1, got ${dl}`, { tree: t, node: id });
    newId[l] = order.length;
    order.push(l);
    depth.push(depth[q]! + 1);
    newId[r] = order.length;
    order.push(r);
    depth.push(depth[q]! + 1);
    out.left.push(newId[l]!);
    out.right.push(newId[r]!);
    out.feature.push(f);
    out.value.push(tree.value[id]!);
    out.defaultLeft.push(dl);
    const st = tree.splitType.length ? tree.splitType[id]! : 0;
    if (st === 1) {
      const c = catOf.get(id);
      if (c === undefined) throw invalid(`${what} node ${id} is a categorical split but has no entry in categories_nodes`, { tree: t, node: id });
      const s = tree.catSegments[c]!;
      const k = tree.catSizes[c]!;
      if (!Number.isInteger(s) || !Number.isInteger(k) || s < 0 || k < 0 || s + k > tree.categories.length) {
        throw invalid(`${what} node ${id}: its categories [${s}, ${s + k}) fall outside the categories array (${tree.categories.length})`, { tree: t, node: id });
      }
      let max = -1;
      for (let i = s; i < s + k; i++) {
        const cat = tree.categories[i]!;
        if (!Number.isInteger(cat) || cat < 0) throw invalid(`${what} node ${id}: category ${cat} is not a non-negative integer`, { tree: t, node: id });
        if (cat < MAX_CATEGORY && cat > max) max = cat;
      }
      const bits = new Uint32Array(max < 0 ? 0 : (max >> 5) + 1);
      for (let i = s; i < s + k; i++) {
        const cat = tree.categories[i]!;
        // Codes >= 2^24 are invalid inputs in XGBoost (they always go left): nothing to store.
        if (cat < MAX_CATEGORY) bits[cat >> 5]! |= 1 << (cat & 31);
      }
      out.cats.set(q, bits);
    } else if (st !== 0) {
      throw unsupported(`${what} node ${id} has split type ${st}; only numerical (0) and categorical (1) splits exist`);
    }
  }
  return out;
}

/**
 * XGBoost places each tree by its `id` (GBTreeModel::LoadModel), not by its
 * position in the array; the ids must be a permutation of 0..n-1. Documents
 * without ids keep the array order.
 */
function treesById(trees: Json[]): Json[] {
  const ids = trees.map((t) => (isObj(t) ? t.id : undefined));
  if (ids.every((id) => id === undefined)) return trees;
  const out: Json[] = new Array(trees.length);
  ids.forEach((id, i) => {
    const k = int(id, `trees[${i}].id`, 0, trees.length - 1);
    if (out[k] !== undefined) throw invalid(`two trees have id ${k}`);
    out[k] = trees[i];
  });
  return out;
}

// ---------------------------------------------------------------------------

/** Reads an XGBoost model into a validated tree table and its feature schema. */
export function importXGBoost(input: unknown, opts: XGBoostOptions = {}): ImportedXGBoost {
  if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'options must be an object');
  const id = opts.id ?? 'model';
  if (typeof id !== 'string' || !MODEL_ID_PATTERN.test(id)) {
    throw new NextbestError('OPTION_INVALID', `option id must match ${MODEL_ID_PATTERN}, got ${describe(id)}`);
  }
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'ubj') {
    throw new NextbestError('OPTION_INVALID', `option format must be "json" or "ubj", got ${describe(opts.format)}`);
  }
  const doc = readXGBoostDocument(input, opts.format);
  if (!isObj(doc) || !isObj(doc.learner)) {
    throw invalid('no "learner" object: this is not a model saved by XGBoost save_model (JSON or UBJ)');
  }
  const version = Array.isArray(doc.version) || ArrayBuffer.isView(doc.version) ? Array.from(nums(doc.version, 'version')) : [];
  const learner = doc.learner;
  const mp = obj(learner.learner_model_param, 'learner.learner_model_param');
  const numFeature = int(mp.num_feature, 'learner_model_param.num_feature', 0, 1 << 16);
  const numClass = mp.num_class === undefined ? 0 : int(mp.num_class, 'learner_model_param.num_class', 0, 4096);
  const numTarget = mp.num_target === undefined ? 1 : int(mp.num_target, 'learner_model_param.num_target', 1, 4096);
  if (numClass > 1 && numTarget > 1) throw unsupported('multi-class multi-target models are not supported');

  const objective = str(obj(learner.objective, 'learner.objective').name, 'learner.objective.name');
  let link = OBJECTIVES[objective];
  if (!link) {
    throw unsupported(`objective "${objective.slice(0, 60)}" is not supported; supported: ${Object.keys(OBJECTIVES).join(', ')}`);
  }
  if (objective === 'binary:logitraw' && version.length >= 3 && versionBefore(version, [1, 3, 1])) {
    // Before 1.3.1 logitraw inherited the logistic ProbToMargin.
    link = { transform: 'identity', margin: logisticMargin };
  }
  const multiclass = objective.startsWith('multi:');
  if (multiclass && numClass < 2) throw invalid(`objective ${objective} needs num_class >= 2, got ${numClass}`);
  if (!multiclass && numClass > 1) throw unsupported(`num_class=${numClass} with objective ${objective}`);
  if (numTarget > 1 && link.transform !== 'identity' && link.transform !== 'sigmoid' && link.transform !== 'exp') {
    throw unsupported(`${numTarget} targets with objective ${objective}`);
  }
  const nGroups = Math.max(numClass, numTarget, 1);

  const gb = obj(learner.gradient_booster, 'learner.gradient_booster');
  const booster = str(gb.name, 'gradient_booster.name');
  let model: Obj;
  let weightDrop: ArrayLike<number> | null = null;
  if (booster === 'gbtree') {
    model = obj(gb.model, 'gradient_booster.model');
  } else if (booster === 'dart') {
    model = obj(obj(gb.gbtree, 'gradient_booster.gbtree').model, 'gradient_booster.gbtree.model');
    weightDrop = nums(gb.weight_drop, 'gradient_booster.weight_drop');
  } else if (booster === 'gblinear') {
    throw unsupported('booster "gblinear" (a linear model) is not a tree ensemble; use Model.fromLinear with its weights');
  } else {
    throw unsupported(`booster "${booster.slice(0, 40)}" is not supported (gbtree and dart are)`);
  }
  const param = isObj(model.gbtree_model_param) ? model.gbtree_model_param : {};
  if (param.size_leaf_vector !== undefined && int(param.size_leaf_vector, 'gbtree_model_param.size_leaf_vector', 0) > 1) {
    throw unsupported('vector-leaf trees (multi_strategy="multi_output_tree") are not supported');
  }
  if (!Array.isArray(model.trees)) throw invalid(`gradient_booster model has no "trees" array`);
  const treesJson = treesById(model.trees as Json[]);
  const nTrees = treesJson.length;
  if (param.num_trees !== undefined && int(param.num_trees, 'gbtree_model_param.num_trees', 0) !== nTrees) {
    throw invalid(`gbtree_model_param.num_trees is ${describe(param.num_trees)} but there are ${nTrees} trees`);
  }
  const treeInfo = nums(model.tree_info ?? [], 'tree_info');
  if (treeInfo.length !== nTrees) throw invalid(`tree_info has ${treeInfo.length} entries for ${nTrees} trees`);
  if (weightDrop && weightDrop.length !== nTrees) throw invalid(`dart weight_drop has ${weightDrop.length} entries for ${nTrees} trees`);

  // Base margin per group, in float32, through the objective's ProbToMargin.
  const baseScore = parseBaseScore(mp.base_score ?? '0.5', nGroups);
  const baseMargin = new Float32Array(nGroups);
  for (let g = 0; g < nGroups; g++) baseMargin[g] = link.margin(baseScore[g]!, 'base_score');

  // Trees -> portable table
  const treeStart = new Int32Array(nTrees + 1);
  const treeGroup = new Int32Array(nTrees);
  const cols = { left: [] as number[], right: [] as number[], feature: [] as number[], value: [] as number[], defaultLeft: [] as number[] };
  const catNode: number[] = [];
  const catStart: number[] = [];
  const catWords: number[] = [];
  const catBits: number[] = [];
  const catFeatures = new Set<number>();
  let total = 0;
  for (let t = 0; t < nTrees; t++) {
    const g = treeInfo[t]!;
    if (!Number.isInteger(g) || g < 0 || g >= nGroups) throw invalid(`tree_info[${t}] = ${g} is not a group in 0..${nGroups - 1}`, { tree: t });
    treeGroup[t] = g;
    let scale = 1;
    if (weightDrop) {
      scale = Math.fround(weightDrop[t]!);
      if (!Number.isFinite(scale)) throw invalid(`dart weight_drop[${t}] is not finite`, { tree: t });
    }
    const c = compactTree(readTree(treesJson[t], t), t, numFeature, scale);
    treeStart[t] = total;
    for (const [local, bits] of c.cats) {
      catNode.push(total + local);
      catStart.push(catBits.length);
      catWords.push(bits.length);
      for (const w of bits) catBits.push(w);
      catFeatures.add(c.feature[local]!);
    }
    for (const k of ['left', 'right', 'feature', 'value', 'defaultLeft'] as const) for (const x of c[k]) cols[k].push(x);
    total += c.left.length;
    if (total > MAX_NODES) throw ceilingError('nodes', total, 'XGBoost model: nodes');
  }
  treeStart[nTrees] = total;

  const table: TreesTable = {
    kind: 'trees',
    id,
    nGroups,
    nOutputs: link.transform === 'argmax' ? 1 : nGroups,
    transform: link.transform,
    treeStart,
    treeGroup,
    left: Int32Array.from(cols.left),
    right: Int32Array.from(cols.right),
    feature: Int32Array.from(cols.feature),
    value: Float32Array.from(cols.value),
    defaultLeft: Uint8Array.from(cols.defaultLeft),
    catNode: Int32Array.from(catNode),
    catStart: Int32Array.from(catStart),
    catWords: Int32Array.from(catWords),
    catBits: Uint32Array.from(catBits),
    baseMargin,
  };
  if (nGroups < 2 && (table.transform === 'softmax' || table.transform === 'argmax')) throw invalid('a multi-class model needs at least 2 classes');
  checkTrees(table, numFeature, 'XGBoost model', 'MODEL_INVALID');
  return {
    table,
    features: schemaOf(learner, numFeature, catFeatures, opts),
    info: { version, objective, booster, trees: nTrees, numFeatures: numFeature },
  };
}

/** Feature names and types from the model (or the options), categorical where XGBoost says 'c' or splits by category. */
function schemaOf(learner: Obj, numFeature: number, catFeatures: Set<number>, opts: XGBoostOptions): FeatureDef[] {
  const modelNames = strings(learner.feature_names, 'learner.feature_names');
  const types = strings(learner.feature_types, 'learner.feature_types');
  if (modelNames.length !== 0 && modelNames.length !== numFeature) {
    throw invalid(`feature_names has ${modelNames.length} names for ${numFeature} features`);
  }
  if (types.length !== 0 && types.length !== numFeature) throw invalid(`feature_types has ${types.length} types for ${numFeature} features`);
  let names = modelNames.length ? modelNames : Array.from({ length: numFeature }, (_, i) => `f${i}`);
  if (opts.featureNames !== undefined) {
    if (!Array.isArray(opts.featureNames) || opts.featureNames.length !== numFeature || opts.featureNames.some((s) => typeof s !== 'string')) {
      throw new NextbestError('OPTION_INVALID', `option featureNames must be an array of ${numFeature} strings (the model has ${numFeature} features)`);
    }
    names = [...opts.featureNames];
  }
  const seen = new Set<string>();
  for (const nm of names) {
    if (nm.length === 0 || nm.length > 256) throw invalid(`feature name "${nm.slice(0, 40)}" must be 1 to 256 characters`);
    if (seen.has(nm)) throw invalid(`feature name "${nm.slice(0, 100)}" appears twice`);
    seen.add(nm);
  }
  const defs: FeatureDef[] = names.map((name, i) =>
    types[i] === 'c' || catFeatures.has(i) ? { name, type: 'categorical' } : { name, type: 'numeric' },
  );
  if (opts.categories !== undefined) {
    if (opts.categories === null || typeof opts.categories !== 'object') throw new NextbestError('OPTION_INVALID', 'option categories must map feature names to string arrays');
    for (const [name, cats] of Object.entries(opts.categories)) {
      const d = defs.find((x) => x.name === name);
      if (!d) throw new NextbestError('OPTION_INVALID', `option categories names "${name.slice(0, 100)}", which is not a feature of the model`);
      if (d.type !== 'categorical') throw new NextbestError('OPTION_INVALID', `option categories: feature "${name.slice(0, 100)}" is numeric in the model`);
      if (!Array.isArray(cats) || cats.some((c) => typeof c !== 'string')) {
        throw new NextbestError('OPTION_INVALID', `option categories["${name.slice(0, 100)}"] must be an array of strings`);
      }
      d.categories = [...cats];
    }
  }
  return defs;
}

/**
 * Rebinds an imported model to another feature schema (a bundle's), by feature
 * name: `rename` maps a model feature name to the schema's name when they
 * differ. Every split feature must exist in the schema; a feature the model
 * splits by category must be categorical there and one it splits by threshold
 * numeric. The result's feature indices are schema indices.
 */
export function bindXGBoostToSchema(
  imported: ImportedXGBoost,
  schema: { indexOf(name: string): number; isCategorical(i: number): boolean; size: number },
  rename: Record<string, string> = {},
): TreesTable {
  const t = imported.table;
  const names = imported.features.map((f) => rename[f.name] ?? f.name);
  for (const from of Object.keys(rename)) {
    if (!imported.features.some((f) => f.name === from)) {
      throw new NextbestError('OPTION_INVALID', `features maps "${from.slice(0, 100)}", which is not a feature of the XGBoost model`);
    }
  }
  const catNodes = new Set<number>(t.catNode);
  const index = new Int32Array(names.length).fill(-1);
  const feature = new Int32Array(t.feature.length);
  for (let id = 0; id < t.left.length; id++) {
    if (t.left[id] === -1) continue;
    const f = t.feature[id]!;
    if (index[f] === -1) {
      const i = schema.indexOf(names[f]!);
      if (i < 0) {
        throw new NextbestError('FEATURE_UNKNOWN', `the XGBoost model splits on "${names[f]!.slice(0, 100)}", which is not a bundle feature; add it to features or map it with features: { model_name: bundle_name }`, { feature: names[f] });
      }
      index[f] = i;
    }
    const categorical = catNodes.has(id);
    if (categorical !== schema.isCategorical(index[f]!)) {
      throw new NextbestError(
        'MODEL_INVALID',
        `the XGBoost model splits on "${names[f]!.slice(0, 100)}" ${categorical ? 'by category' : 'by threshold'}, but the bundle declares it ${categorical ? 'numeric' : 'categorical'}`,
        { feature: names[f] },
      );
    }
    feature[id] = index[f]!;
  }
  const bound: TreesTable = { ...t, feature };
  checkTrees(bound, schema.size, 'XGBoost model', 'MODEL_INVALID');
  return bound;
}
