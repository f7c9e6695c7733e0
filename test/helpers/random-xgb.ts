/**
 * Random XGBoost models (save_model JSON documents, 1.7 layout) and random
 * inputs for differential tests: random depths (some past the padded layout's
 * limit), missing-value directions, categorical splits, multi-class groups,
 * thresholds that are infinite or NaN, and inputs that hit thresholds exactly,
 * their float32 neighbours, NaN, +-Infinity, -0 and odd category codes.
 */
import { randInt } from './random.js';

export interface RandomModelOptions {
  trees?: number;
  maxDepth?: number;
  features?: number;
  objective?: string;
  numClass?: number;
  categorical?: boolean;
  /** Probability that a node stops splitting early (unbalanced trees). */
  leafProb?: number;
  /** Every tree exactly this deep (with leafProb 0: complete trees). */
  depth?: number;
}

export interface RandomModel {
  doc: Record<string, unknown>;
  thresholds: number[];
  categorical: number[];
}

const f32 = (x: number) => Math.fround(x);

export function nextUp32(x: number): number {
  const a = new Float32Array([x]);
  const u = new Int32Array(a.buffer);
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return 1.401298464324817e-45;
  u[0] = x > 0 ? u[0]! + 1 : u[0]! - 1;
  return a[0]!;
}

export function nextDown32(x: number): number {
  return -nextUp32(-x);
}

export function randomXGBoostModel(rand: () => number, o: RandomModelOptions = {}): RandomModel {
  const nf = o.features ?? randInt(rand, 1, 12);
  const objective = o.objective ?? 'binary:logistic';
  const numClass = o.numClass ?? (objective.startsWith('multi:') ? randInt(rand, 2, 4) : 0);
  const groups = Math.max(1, numClass);
  const nTrees = o.trees ?? randInt(rand, 1, 30);
  const maxDepth = o.maxDepth ?? randInt(rand, 0, 8);
  const leafProb = o.leafProb ?? rand() * 0.3;
  const catFeatures = o.categorical ? Array.from({ length: nf }, (_, i) => i).filter(() => rand() < 0.4) : [];
  const thresholds: number[] = [];
  const trees = [];
  for (let t = 0; t < nTrees; t++) {
    const left: number[] = [];
    const right: number[] = [];
    const feat: number[] = [];
    const cond: number[] = [];
    const dl: number[] = [];
    const st: number[] = [];
    const catNodes: number[] = [];
    const catSeg: number[] = [];
    const catSize: number[] = [];
    const cats: number[] = [];
    const depth = o.depth ?? (rand() < 0.1 ? randInt(rand, 9, 13) : randInt(rand, 0, maxDepth));
    // breadth-first construction so ids follow XGBoost's allocation pattern (right = left + 1)
    const queue: [number, number][] = [[0, 0]];
    left.push(-1);
    right.push(-1);
    feat.push(0);
    cond.push(0);
    dl.push(0);
    st.push(0);
    while (queue.length) {
      const [id, d] = queue.shift()!;
      if (d >= depth || (d > 0 && rand() < leafProb)) {
        cond[id] = f32((rand() - 0.5) * 2);
        continue;
      }
      const f = randInt(rand, 0, nf - 1);
      const l = left.length;
      for (let k = 0; k < 2; k++) {
        left.push(-1);
        right.push(-1);
        feat.push(0);
        cond.push(0);
        dl.push(0);
        st.push(0);
      }
      left[id] = l;
      right[id] = l + 1;
      feat[id] = f;
      dl[id] = rand() < 0.5 ? 1 : 0;
      if (catFeatures.includes(f) && rand() < 0.8) {
        st[id] = 1;
        cond[id] = NaN;
        catNodes.push(id);
        catSeg.push(cats.length);
        const k = randInt(rand, 0, 6);
        const set = new Set<number>();
        for (let i = 0; i < k; i++) set.add(rand() < 0.1 ? randInt(rand, 30, 70) : randInt(rand, 0, 12));
        const sorted = [...set].sort((a, b) => a - b);
        catSize.push(sorted.length);
        cats.push(...sorted);
      } else {
        const u = rand();
        const v = u < 0.02 ? Infinity : u < 0.04 ? -Infinity : u < 0.05 ? NaN : u < 0.1 ? 0 : f32((rand() - 0.5) * 20);
        cond[id] = v;
        thresholds.push(v);
      }
      queue.push([l, d + 1], [l + 1, d + 1]);
    }
    trees.push({
      base_weights: cond.map(() => 0),
      categories: cats,
      categories_nodes: catNodes,
      categories_segments: catSeg,
      categories_sizes: catSize,
      default_left: dl,
      id: t,
      left_children: left,
      loss_changes: cond.map(() => 0),
      parents: left.map(() => 2147483647),
      right_children: right,
      split_conditions: cond,
      split_indices: feat,
      split_type: st,
      sum_hessian: cond.map(() => 1),
      tree_param: { num_deleted: '0', num_feature: String(nf), num_nodes: String(left.length), size_leaf_vector: '0' },
    });
  }
  const baseScore = objective.includes('logistic') ? f32(0.05 + rand() * 0.9) : objective === 'count:poisson' ? f32(0.1 + rand() * 3) : f32((rand() - 0.5) * 4);
  const doc = {
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: Array.from({ length: nf }, (_, i) => (catFeatures.includes(i) ? 'c' : 'q')),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(nTrees), size_leaf_vector: '0' },
          tree_info: Array.from({ length: nTrees }, (_, t) => t % groups),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: { base_score: String(baseScore), num_class: String(numClass), num_feature: String(nf), num_target: '1' },
      objective: { name: objective },
    },
    version: [1, 7, 4],
  };
  return { doc, thresholds, categorical: catFeatures };
}

/** JSON as XGBoost writes it: non-finite numbers as bare NaN / Infinity / -Infinity tokens. */
export function toXGBoostJson(doc: unknown): string {
  return JSON.stringify(doc, (_k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return `@@${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'}@@`;
    return v;
  }).replace(/"@@(NaN|Infinity|-Infinity)@@"/g, '$1');
}

/** Rows mixing ordinary values with the edge cases that matter for float32 tree semantics. */
export function randomTreeRows(rand: () => number, nf: number, n: number, thresholds: number[], categorical: number[]): Float32Array {
  const rows = new Float32Array(n * nf);
  const special = [NaN, Infinity, -Infinity, -0, 0, 1e30, -1e30, 3.4028234663852886e38, 1.401298464324817e-45];
  for (let i = 0; i < rows.length; i++) {
    const f = i % nf;
    const u = rand();
    if (categorical.includes(f) && u < 0.7) {
      const v = rand();
      rows[i] = v < 0.6 ? randInt(rand, 0, 14) : v < 0.7 ? randInt(rand, 30, 80) : v < 0.8 ? -randInt(rand, 0, 3) - rand() : v < 0.9 ? randInt(rand, 0, 12) + rand() : [16777215, 16777216, 1e9, -0, NaN][randInt(rand, 0, 4)]!;
    } else if (u < 0.1) rows[i] = special[randInt(rand, 0, special.length - 1)]!;
    else if (u < 0.45 && thresholds.length) {
      const t = thresholds[randInt(rand, 0, thresholds.length - 1)]!;
      const w = rand();
      rows[i] = w < 0.4 ? t : w < 0.7 ? nextDown32(t) : nextUp32(t);
    } else rows[i] = (rand() - 0.5) * 24;
  }
  return rows;
}
