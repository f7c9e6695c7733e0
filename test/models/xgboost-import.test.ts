/**
 * The XGBoost importer on everything but the happy path: malformed documents,
 * unsupported features, the NaN/Infinity tokens of 1.x JSON, base_score forms,
 * UBJSON edge cases, feature schema options.
 */
import { describe, expect, it } from 'vitest';
import { Model } from '../../src/index.js';
import { importXGBoost, parseBaseScore, parseXGBoostJson } from '../../src/models/xgboost.js';
import { decodeUbjson } from '../../src/models/ubjson.js';
import { readModelFile } from '../helpers/xgb-fixtures.js';
import { mulberry32 } from '../helpers/random.js';
import { randomXGBoostModel, toXGBoostJson } from '../helpers/random-xgb.js';
import { errorOf } from '../helpers/errors.js';


type Doc = Record<string, any>;
function small(): Doc {
  const { doc } = randomXGBoostModel(mulberry32(1), { trees: 3, depth: 3, features: 4, leafProb: 0 });
  return doc as Doc;
}
function tree0(d: Doc): Doc {
  return d.learner.gradient_booster.model.trees[0];
}
const load = (d: Doc) => () => importXGBoost(toXGBoostJson(d));

describe('XGBoost import: malformed models', () => {
  it('accepts the unmodified document', () => {
    expect(errorOf(load(small()))).toBe('ok');
  });

  it('reports each structural defect as MODEL_INVALID naming the tree and node', () => {
    const cases: [string, (d: Doc) => void, RegExp][] = [
      ['missing array', (d) => delete tree0(d).left_children, /left_children must be an array/],
      ['short array', (d) => tree0(d).split_conditions.pop(), /split_conditions has \d+ entries for \d+ nodes/],
      ['num_nodes mismatch', (d) => (tree0(d).tree_param.num_nodes = '99'), /num_nodes/],
      ['child out of range', (d) => (tree0(d).left_children[0] = 1000), /child index 1000 is outside/],
      ['negative child', (d) => (tree0(d).right_children[0] = -7), /child index -7/],
      ['child to the root (cycle)', (d) => (tree0(d).left_children[1] = 0), /child index 0 is outside/],
      ['shared subtree', (d) => (tree0(d).right_children[0] = tree0(d).left_children[0]), /reached twice/],
      ['cycle below the root', (d) => (tree0(d).left_children[2] = 1), /reached twice/],
      ['half leaf', (d) => (tree0(d).right_children[0] = -1), /child index -1/],
      ['feature out of range', (d) => (tree0(d).split_indices[0] = 4), /split feature 4 is outside 0\.\.3/],
      ['non-integer feature', (d) => (tree0(d).split_indices[0] = 1.5), /split feature 1\.5/],
      ['NaN leaf', (d) => (tree0(d).split_conditions[tree0(d).left_children.indexOf(-1)] = NaN), /leaf value NaN is not finite/],
      ['bad default_left', (d) => (tree0(d).default_left[0] = 3), /default_left must be 0 or 1/],
      ['tree_info out of range', (d) => (d.learner.gradient_booster.model.tree_info[1] = 2), /tree_info\[1\] = 2/],
      ['tree_info length', (d) => d.learner.gradient_booster.model.tree_info.pop(), /tree_info has 2 entries for 3 trees/],
      ['num_trees mismatch', (d) => (d.learner.gradient_booster.model.gbtree_model_param.num_trees = '4'), /num_trees/],
      ['no learner', (d) => delete d.learner, /no "learner" object/],
      ['no trees', (d) => delete d.learner.gradient_booster.model.trees, /no "trees" array/],
      ['base_score out of (0,1) for logistic', (d) => (d.learner.learner_model_param.base_score = '1.5'), /base_score must be in \(0, 1\)/],
      ['base_score garbage', (d) => (d.learner.learner_model_param.base_score = 'abc'), /base_score "abc" is not a number/],
      ['feature_names length', (d) => (d.learner.feature_names = ['a', 'b']), /feature_names has 2 names for 4 features/],
      ['duplicate feature names', (d) => (d.learner.feature_names = ['a', 'b', 'a', 'c']), /"a" appears twice/],
      ['categorical split without categories', (d) => (tree0(d).split_type[0] = 1), /no entry in categories_nodes/],
      [
        'categories outside the array',
        (d) => {
          const t = tree0(d);
          t.split_type[0] = 1;
          t.categories_nodes = [0];
          t.categories_segments = [0];
          t.categories_sizes = [5];
          t.categories = [1, 2];
        },
        /fall outside the categories array/,
      ],
    ];
    for (const [what, edit, re] of cases) {
      const d = small();
      edit(d);
      const got = errorOf(load(d));
      expect(got, what).toMatch(/^MODEL_INVALID: /);
      expect(got, what).toMatch(re);
    }
  });

  it('rejects absurd depth without recursion', () => {
    const d = small();
    const t = tree0(d);
    // a chain of 400 levels: node i splits into (leaf, next)
    const n = 801;
    t.left_children = Array.from({ length: n }, (_, i) => (i % 2 === 0 && i < n - 1 ? i + 1 : -1));
    t.right_children = Array.from({ length: n }, (_, i) => (i % 2 === 0 && i < n - 1 ? i + 2 : -1));
    for (const k of ['split_indices', 'split_conditions', 'default_left', 'split_type', 'base_weights', 'loss_changes', 'parents', 'sum_hessian']) {
      t[k] = Array.from({ length: n }, () => 0);
    }
    t.tree_param.num_nodes = String(n);
    expect(errorOf(load(d))).toMatch(/^MODEL_INVALID: .*deeper than 256 levels/);
  });

  it('reports what it does not support as MODEL_UNSUPPORTED', () => {
    const cases: [string, (d: Doc) => void, RegExp][] = [
      ['gblinear', (d) => (d.learner.gradient_booster = { name: 'gblinear', model: { weights: [1, 2] } }), /gblinear/],
      ['unknown booster', (d) => (d.learner.gradient_booster.name = 'gbforest'), /gbforest/],
      ['objective', (d) => (d.learner.objective.name = 'survival:aft'), /objective "survival:aft" is not supported/],
      ['hinge', (d) => (d.learner.objective.name = 'binary:hinge'), /binary:hinge/],
      ['vector leaves', (d) => (tree0(d).tree_param.size_leaf_vector = '3'), /vector leaves/],
      ['vector leaves (model)', (d) => (d.learner.gradient_booster.model.gbtree_model_param.size_leaf_vector = '2'), /vector-leaf/],
      ['split type', (d) => (tree0(d).split_type[0] = 2), /split type 2/],
    ];
    for (const [what, edit, re] of cases) {
      const d = small();
      edit(d);
      const got = errorOf(load(d));
      expect(got, what).toMatch(/^MODEL_UNSUPPORTED: /);
      expect(got, what).toMatch(re);
    }
  });

  it('reports unreadable input as MODEL_PARSE', () => {
    expect(errorOf(() => importXGBoost('{"learner": '))).toMatch(/^MODEL_PARSE: .*not valid JSON/);
    expect(errorOf(() => importXGBoost(new Uint8Array([0xff, 0xfe, 0x00, 0x01])))).toMatch(/^MODEL_PARSE/);
    expect(errorOf(() => importXGBoost(new Uint8Array(0)))).toMatch(/^MODEL_PARSE: .*empty/);
    const ubj = readModelFile('binary_missing.ubj');
    for (const cut of [2, 10, 100, ubj.length >> 1, ubj.length - 1]) {
      expect(errorOf(() => importXGBoost(ubj.subarray(0, cut))), `cut at ${cut}`).toMatch(/^MODEL_PARSE: UBJSON/);
    }
    expect(errorOf(() => importXGBoost(new Uint8Array([0x1f, 0x8b, 1, 2, 3])))).toMatch(/^MODEL_PARSE: XGBoost model: gzip/);
    expect(errorOf(() => importXGBoost(42 as unknown as string))).toMatch(/^ARGUMENT_INVALID/);
    expect(errorOf(() => importXGBoost('{}', { id: 'bad id' }))).toMatch(/^OPTION_INVALID/);
  });

  it('reads NaN / Infinity tokens outside strings only', () => {
    const v = parseXGBoostJson('{"a": [NaN, Infinity, -Infinity, 1E0], "b": "NaN -Infinity \\" NaN", "NaN": 1}') as Record<string, unknown>;
    expect(v.b).toBe('NaN -Infinity " NaN');
    expect(v.NaN).toBe(1);
    const d = small();
    tree0(d).split_conditions[0] = Infinity;
    d.learner.feature_names = ['NaN', 'Infinity', '-Infinity', 'x'];
    const m = importXGBoost(toXGBoostJson(d));
    expect(m.table.value[0]).toBe(Infinity);
    expect(m.features.map((f) => f.name)).toEqual(['NaN', 'Infinity', '-Infinity', 'x']);
  });

  it('parses every base_score form', () => {
    expect(Array.from(parseBaseScore('5E-1', 1))).toEqual([0.5]);
    expect(Array.from(parseBaseScore('0.500000', 1))).toEqual([0.5]);
    expect(Array.from(parseBaseScore('[5E-1]', 3))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(parseBaseScore('[2.5E-1,5E-1]', 2))).toEqual([0.25, 0.5]);
    expect(Array.from(parseBaseScore('(1E0, 2E0)', 2))).toEqual([1, 2]);
    expect(Array.from(parseBaseScore(0.3, 1))).toEqual([Math.fround(0.3)]);
    expect(errorOf(() => parseBaseScore('[1,2,3]', 2))).toMatch(/^MODEL_INVALID: .*3 values; expected 1 or 2/);
  });
});

describe('XGBoost import: degenerate but valid models', () => {
  it('scores a model without trees as its base margin', async () => {
    const d = small();
    d.learner.gradient_booster.model.trees = [];
    d.learner.gradient_booster.model.tree_info = [];
    d.learner.gradient_booster.model.gbtree_model_param.num_trees = '0';
    d.learner.learner_model_param.base_score = '2.5E-1';
    const m = await Model.fromXGBoost(toXGBoostJson(d));
    expect(m.marginOne(new Float32Array(4))[0]).toBe(Math.fround(-Math.log(3)));
  });

  it('drops unreachable (pruned) nodes', async () => {
    const d = small();
    const t = tree0(d);
    // turn node 1 into a leaf: its subtree stays in the arrays, unreachable, as XGBoost's pruner leaves it
    const removed = [t.left_children[1], t.right_children[1]];
    t.left_children[1] = -1;
    t.right_children[1] = -1;
    const m = importXGBoost(toXGBoostJson(d));
    const n0 = m.table.treeStart[1]!;
    expect(n0).toBeLessThan(t.left_children.length);
    expect(removed.every((x: number) => x > 0)).toBe(true);
  });
});

describe('UBJSON reader', () => {
  it('decodes scalars, strings, typed and generic containers', () => {
    // {"a": [$d#i2 1.5 -2], "s": "hé", "n": Z, "t": T, "i": I 300, "L": L 2^40, "g": [i1 S i1 x ]}
    const bytes = new Uint8Array([
      0x7b,
      0x69, 1, 0x61, 0x5b, 0x24, 0x64, 0x23, 0x69, 2, 0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0,
      0x69, 1, 0x73, 0x53, 0x69, 3, 0x68, 0xc3, 0xa9,
      0x69, 1, 0x6e, 0x5a,
      0x69, 1, 0x74, 0x54,
      0x69, 1, 0x69, 0x49, 0x01, 0x2c,
      0x69, 1, 0x4c, 0x4c, 0, 0, 1, 0, 0, 0, 0, 0,
      0x69, 1, 0x67, 0x5b, 0x69, 1, 0x4e, 0x53, 0x69, 1, 0x78, 0x5d,
      0x7d,
    ]);
    const v = decodeUbjson(bytes) as Record<string, unknown>;
    expect(Array.from(v.a as Float32Array)).toEqual([1.5, -2]);
    expect(v.s).toBe('hé');
    expect(v.n).toBe(null);
    expect(v.t).toBe(true);
    expect(v.i).toBe(300);
    expect(v.L).toBe(2 ** 40);
    expect(v.g).toEqual([1, 'x']);
  });

  it('rejects hostile lengths, deep nesting and trailing bytes', () => {
    expect(errorOf(() => decodeUbjson(new Uint8Array([0x5b, 0x24, 0x64, 0x23, 0x6c, 0x7f, 0xff, 0xff, 0xff])))).toMatch(/^MODEL_PARSE: UBJSON: unexpected end/);
    expect(errorOf(() => decodeUbjson(new Uint8Array([0x5b, 0x23, 0x6c, 0x7f, 0xff, 0xff, 0xff, 0x5a])))).toMatch(/exceeds the remaining data/);
    expect(errorOf(() => decodeUbjson(new Uint8Array(1000).fill(0x5b)))).toMatch(/nesting deeper than/);
    expect(errorOf(() => decodeUbjson(new Uint8Array([0x5a, 0x5a])))).toMatch(/unexpected bytes after/);
    expect(errorOf(() => decodeUbjson(new Uint8Array([0x53, 0x69, 0xff])))).toMatch(/negative length/);
    expect(errorOf(() => decodeUbjson(new Uint8Array([0x71])))).toMatch(/unknown marker 'q'/);
  });
});

describe('XGBoost import: schema', () => {
  it('names features from the model, the options, or f0..fN-1', async () => {
    const named = await Model.fromXGBoost(readModelFile('binary_missing.json'));
    expect(named.featureNames[0]).toBe('tenure_months');
    const unnamed = await Model.fromXGBoost(readModelFile('binary_logitraw.json'));
    expect(unnamed.featureNames.slice(0, 3)).toEqual(['f0', 'f1', 'f2']);
    const renamed = await Model.fromXGBoost(readModelFile('binary_logitraw.json'), {
      featureNames: unnamed.featureNames.map((n) => `x_${n}`),
    });
    expect(renamed.featureNames[0]).toBe('x_f0');
    expect(errorOf(() => importXGBoost(readModelFile('binary_logitraw.json'), { featureNames: ['a'] }))).toMatch(/^OPTION_INVALID/);
  });

  it('makes categorical features categorical, with dictionaries when given', async () => {
    const bytes = readModelFile('categorical.ubj');
    const plain = await Model.fromXGBoost(bytes);
    expect(plain.schema.isCategorical(plain.schema.indexOf('plan'))).toBe(true);
    expect(plain.schema.isCategorical(plain.schema.indexOf('tenure_months'))).toBe(false);
    const plans = ['basic', 'plus', 'premium', 'family', 'business'];
    const m = await Model.fromXGBoost(bytes, { categories: { plan: plans } });
    const row = { tenure_months: 12, monthly_charges: 80, plan: 'premium', region: 7 };
    const byCode = m.predictOne({ ...row, plan: 2 });
    expect(m.predictOne(row)[0]).toBe(byCode[0]);
    expect(errorOf(() => m.predictOne({ ...row, plan: 'gold' }))).toMatch(/^FEATURE_CATEGORY/);
    expect(errorOf(() => importXGBoost(bytes, { categories: { tenure_months: ['a'] } }))).toMatch(/^OPTION_INVALID: .*numeric/);
    expect(errorOf(() => importXGBoost(bytes, { categories: { nope: ['a'] } }))).toMatch(/^OPTION_INVALID/);
  });
});
