/**
 * The trees kernel against its plain-TS reference twin (src/reference/trees.ts)
 * on seeded random ensembles and inputs, both wasm builds: margins and
 * transformed predictions bitwise equal. Plus the kernel layout edges (runs of
 * fewer than 8 trees, deep trees in the explicit layout, several blocks and
 * scratch chunks), bundle round trips and the bundle validator.
 */
import { describe, expect, it } from 'vitest';
import { Model, NextbestError } from '../../src/index.js';
import { referenceMargins } from '../../src/models/registry.js';
import { referenceTreesTransform } from '../../src/reference/trees.js';
import { treesLayout, type TreesTable } from '../../src/models/trees.js';
import { readF32File, readModelFile } from '../helpers/xgb-fixtures.js';
import { decodeBundle, encodeBundle } from '../../src/bundle/codec.js';
import { firstBitwiseMismatch, mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { randomTreeRows, randomXGBoostModel, toXGBoostJson } from '../helpers/random-xgb.js';

const OBJECTIVES = ['binary:logistic', 'reg:squarederror', 'multi:softprob', 'multi:softmax', 'count:poisson', 'binary:logitraw'];

async function checkAgainstReference(model: Model, rows: Float32Array, n: number): Promise<void> {
  const t = model.table as TreesTable;
  const margins = model.margin(rows, n);
  const ref = referenceMargins(t, rows, n, model.numFeatures);
  const mm = firstBitwiseMismatch(margins, ref);
  expect(mm, mm >= 0 ? `margin ${mm}: wasm ${margins[mm]} reference ${ref[mm]}` : '').toBe(-1);
  const preds = model.predict(rows, n);
  const refPreds = referenceTreesTransform(t, ref, n);
  const pm = firstBitwiseMismatch(preds, refPreds);
  expect(pm, pm >= 0 ? `prediction ${pm}: wasm ${preds[pm]} reference ${refPreds[pm]}` : '').toBe(-1);
}

/** Runs fn with placeTrees forced to one layout (a table the bitvector layout cannot hold still gets runs). */
async function withLayout(layout: 'runs' | 'bitvector', fn: () => Promise<void>): Promise<void> {
  treesLayout.force = layout;
  try {
    await fn();
  } finally {
    treesLayout.force = 'auto';
  }
}

/** The layout a model was placed in: the trees header's +72 (bitvector table) and +76 (hybrid leaf buffer). */
function layoutOf(m: Model): 'runs' | 'bitvector' | 'hybrid' {
  const host = (m as unknown as { host: { ptr: number; wasm: { i32: Int32Array } } }).host;
  const i32 = host.wasm.i32;
  return i32[(host.ptr + 72) >> 2] === 0 ? 'runs' : i32[(host.ptr + 76) >> 2] === 0 ? 'bitvector' : 'hybrid';
}

/** Runs of a model in the padded or explicit layouts (header +32). */
function runsOf(m: Model): number {
  const host = (m as unknown as { host: { ptr: number; wasm: { i32: Int32Array } } }).host;
  return host.wasm.i32[(host.ptr + 32) >> 2]!;
}

/** Bitvector tables of a model (header +72 and +84). */
function tablesOf(m: Model): number {
  const host = (m as unknown as { host: { ptr: number; wasm: { i32: Int32Array } } }).host;
  const i32 = host.wasm.i32;
  return (i32[(host.ptr + 72) >> 2] !== 0 ? 1 : 0) + (i32[(host.ptr + 84) >> 2] !== 0 ? 1 : 0);
}

describe('trees kernel vs reference twin', () => {
  for (const [variant, layout] of VARIANTS.flatMap((v) => (['runs', 'bitvector'] as const).map((l) => [v, l] as const))) {
    it(`random ensembles, missing values, categorical splits, edge inputs (${variant}, ${layout} layout)`, () => withLayout(layout, async () => {
      const rand = mulberry32(variant === 'release' ? 2024 : 4048);
      for (let trial = 0; trial < 40; trial++) {
        const objective = OBJECTIVES[trial % OBJECTIVES.length]!;
        const { doc, thresholds, categorical } = randomXGBoostModel(rand, { objective, categorical: rand() < 0.5 });
        const m = await Model.fromXGBoost(toXGBoostJson(doc), { wasm: variant });
        const n = randInt(rand, 1, 150);
        const rows = randomTreeRows(rand, m.numFeatures, n, thresholds, categorical);
        await checkAgainstReference(m, rows, n);
        // single rows take the same kernel with n = 1
        const r = randInt(rand, 0, n - 1);
        const one = m.marginOne(rows.slice(r * m.numFeatures, (r + 1) * m.numFeatures));
        expect(firstBitwiseMismatch(one, m.margin(rows, n).subarray(r * m.numGroups, (r + 1) * m.numGroups))).toBe(-1);
      }
    }));
  }

  it('handles partial runs, deep explicit trees and many blocks in one call', async () => {
    const rand = mulberry32(99);
    for (const trees of [1, 7, 8, 9, 17]) {
      const { doc, thresholds, categorical } = randomXGBoostModel(rand, { trees, maxDepth: 12, features: 6, leafProb: 0.05 });
      const m = await Model.fromXGBoost(toXGBoostJson(doc));
      const n = 64 * 3 + 5;
      await checkAgainstReference(m, randomTreeRows(rand, 6, n, thresholds, categorical), n);
    }
  });

  for (const layout of ['runs', 'bitvector'] as const) {
    it(`handles every tree depth: single leaves, stumps, the unrolled depths and the looped ones (${layout} layout)`, () => withLayout(layout, async () => {
      for (const variant of VARIANTS) {
        const rand = mulberry32(variant === 'release' ? 31 : 62);
        for (const depth of [0, 1, 2, 6, 8, 9, 10]) {
          for (const trees of [8, 11]) {
            const { doc, thresholds } = randomXGBoostModel(rand, { trees, depth, features: 5, leafProb: depth > 2 ? 0.2 : 0 });
            const m = await Model.fromXGBoost(toXGBoostJson(doc), { wasm: variant });
            const n = 70;
            const rows = randomTreeRows(rand, 5, n, thresholds, []);
            await checkAgainstReference(m, rows, n);
            const one = m.marginOne(rows.slice(0, 5));
            expect(firstBitwiseMismatch(one, m.margin(rows, 1))).toBe(-1);
          }
        }
      }
    }));
  }

  it('bitvector layout: trees of up to 64 leaves (complete depth 6 included), else runs or hybrid; many features, one multi-class model', () => withLayout('bitvector', async () => {
    const rand = mulberry32(77);
    for (const variant of VARIANTS) {
      // complete depth-6 trees: exactly 64 leaves
      let g = randomXGBoostModel(rand, { trees: 13, depth: 6, features: 7, leafProb: 0 });
      let m = await Model.fromXGBoost(toXGBoostJson(g.doc), { wasm: variant });
      expect(layoutOf(m)).toBe('bitvector');
      await checkAgainstReference(m, randomTreeRows(rand, 7, 100, g.thresholds, []), 100);
      // complete depth-7 trees: 128 leaves, masks of two 64-bit words
      g = randomXGBoostModel(rand, { trees: 5, depth: 7, features: 7, leafProb: 0 });
      m = await Model.fromXGBoost(toXGBoostJson(g.doc), { wasm: variant });
      expect(layoutOf(m)).toBe('bitvector');
      await checkAgainstReference(m, randomTreeRows(rand, 7, 50, g.thresholds, []), 50);
      // complete depth-8 trees: 256 leaves, too many for the masks
      g = randomXGBoostModel(rand, { trees: 3, depth: 8, features: 7, leafProb: 0 });
      m = await Model.fromXGBoost(toXGBoostJson(g.doc), { wasm: variant });
      expect(layoutOf(m)).toBe('runs');
      await checkAgainstReference(m, randomTreeRows(rand, 7, 50, g.thresholds, []), 50);
      // depth-8 trees of up to 64, up to 128 and more leaves: both tables and runs, over several blocks of rows
      g = randomXGBoostModel(rand, { trees: 30, depth: 8, features: 7, leafProb: 0.12, objective: 'multi:softprob', numClass: 3 });
      m = await Model.fromXGBoost(toXGBoostJson(g.doc), { wasm: variant });
      expect(layoutOf(m)).toBe('hybrid');
      expect(tablesOf(m)).toBe(2);
      expect(runsOf(m)).toBeGreaterThan(0);
      await checkAgainstReference(m, randomTreeRows(rand, 7, 200, g.thresholds, []), 200);
      // up to 40 used features (many groups of four mask rows, the last one padded) and 4 classes
      g = randomXGBoostModel(rand, { trees: 24, depth: 6, leafProb: 0.3, features: 40, objective: 'multi:softprob', numClass: 4 });
      m = await Model.fromXGBoost(toXGBoostJson(g.doc), { wasm: variant });
      expect(layoutOf(m)).toBe('bitvector');
      await checkAgainstReference(m, randomTreeRows(rand, 40, 130, g.thresholds, []), 130);
    }
  }));

  it('chooses the bitvector layout for the 300x6 bench model and the hybrid for 500x8, with the same margins as the padded runs', async () => {
    const rows6 = readF32File('bench_300x6.rows.f32');
    const rows8 = readF32File('bench_500x8.rows.f32');
    for (const [file, rows, layout] of [['bench_300x6.ubj.gz', rows6, 'bitvector'], ['bench_500x8.ubj.gz', rows8, 'hybrid']] as const) {
      const bytes = readModelFile(file);
      const auto = await Model.fromXGBoost(bytes);
      expect(layoutOf(auto)).toBe(layout);
      expect(tablesOf(auto)).toBe(layout === 'hybrid' ? 2 : 1);
      let other!: Model;
      await withLayout('runs', async () => {
        other = await Model.fromXGBoost(bytes);
      });
      expect(layoutOf(other)).toBe('runs');
      const n = rows.length / auto.numFeatures;
      expect(firstBitwiseMismatch(auto.margin(rows, n), other.margin(rows, n))).toBe(-1);
    }
  });

  it('scores batches larger than one scratch chunk', async () => {
    const rand = mulberry32(5);
    const { doc, thresholds } = randomXGBoostModel(rand, { trees: 20, features: 300, maxDepth: 6 });
    const m = await Model.fromXGBoost(toXGBoostJson(doc));
    const n = 1200; // 1200 * 300 * 4 bytes > the 1 MiB input chunk
    await checkAgainstReference(m, randomTreeRows(rand, 300, n, thresholds, []), n);
  });

  it('copies only split features, in smaller blocks for very wide models', async () => {
    const rand = mulberry32(8);
    // ~4,500 distinct split features among 20,000: row copies of 4,500 floats, blocks of < 64 rows
    const { doc, thresholds } = randomXGBoostModel(rand, { trees: 40, features: 20000, depth: 7, leafProb: 0 });
    const m = await Model.fromXGBoost(toXGBoostJson(doc));
    const n = 100;
    await checkAgainstReference(m, randomTreeRows(rand, 20000, n, thresholds, []), n);
  });

  it('round-trips through a bundle and scores identically', async () => {
    const rand = mulberry32(11);
    const { doc, thresholds, categorical } = randomXGBoostModel(rand, { trees: 25, objective: 'multi:softprob', numClass: 3, categorical: true });
    const m = await Model.fromXGBoost(toXGBoostJson(doc), { id: 'churn' });
    const m2 = await Model.fromBundle(m.toBundle());
    expect(m2.id).toBe('churn');
    expect(m2.featureNames).toEqual(m.featureNames);
    expect(m2.schema.toJSON()).toEqual(m.schema.toJSON());
    const rows = randomTreeRows(rand, m.numFeatures, 100, thresholds, categorical);
    expect(firstBitwiseMismatch(m.predict(rows, 100), m2.predict(rows, 100))).toBe(-1);
    expect(firstBitwiseMismatch(m.margin(rows, 100), m2.margin(rows, 100))).toBe(-1);
  });
});

describe('trees bundle validation', () => {
  async function tampered(edit: (model: Record<string, unknown>, t: TreesTable) => void): Promise<string> {
    const rand = mulberry32(3);
    const { doc } = randomXGBoostModel(rand, { trees: 3, maxDepth: 3, features: 4, leafProb: 0, categorical: true });
    const m = await Model.fromXGBoost(toXGBoostJson(doc));
    const { payload } = decodeBundle(m.toBundle());
    const section = payload.models[0] as Record<string, unknown>;
    const t = { ...(m.table as TreesTable) };
    const copy = (a: Int32Array | Float32Array | Uint8Array | Uint32Array) => a.slice();
    for (const k of ['left', 'right', 'feature', 'value', 'defaultLeft', 'treeStart', 'treeGroup', 'catNode', 'catStart', 'catWords', 'catBits', 'baseMargin'] as const) {
      (t as Record<string, unknown>)[k] = copy(t[k]);
    }
    // edits to the table's arrays are written back to the section, then section-level edits apply
    const before = { ...section };
    edit(section, t);
    for (const k of ['left', 'right', 'feature', 'value', 'defaultLeft', 'treeStart', 'treeGroup', 'catNode', 'catStart', 'catWords', 'catBits', 'baseMargin'] as const) {
      const a = t[k];
      if (section[k] === before[k]) section[k] = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
    }
    try {
      await Model.fromBundle(encodeBundle(payload));
    } catch (e) {
      expect(e).toBeInstanceOf(NextbestError);
      return `${(e as NextbestError).code}: ${(e as Error).message}`;
    }
    return 'no error';
  }

  it('rejects every broken invariant with BUNDLE_INVALID', async () => {
    expect(await tampered((_s, t) => (t.left[0] = 99))).toMatch(/^BUNDLE_INVALID: .*child 99/);
    expect(await tampered((_s, t) => (t.left[0] = -5))).toMatch(/^BUNDLE_INVALID/);
    expect(await tampered((_s, t) => (t.right[0] = t.left[0]!))).toMatch(/^BUNDLE_INVALID: .*reached twice/);
    // a cycle: an internal node below the root points back at itself
    expect(
      await tampered((_s, t) => {
        const tr = Array.from(t.treeGroup).findIndex((_g, k) => t.treeStart[k + 1]! - t.treeStart[k]! > 3);
        const s0 = t.treeStart[tr]!;
        const inner = Array.from(t.left).findIndex((l, i) => i > s0 && i < t.treeStart[tr + 1]! && l !== -1);
        expect(inner).toBeGreaterThan(s0);
        t.left[inner] = inner - s0;
      }),
    ).toMatch(/^BUNDLE_INVALID: .*reached twice/);
    expect(await tampered((_s, t) => (t.feature[0] = 4))).toMatch(/^BUNDLE_INVALID: .*feature index 4/);
    expect(await tampered((_s, t) => (t.treeGroup[0] = 1))).toMatch(/^BUNDLE_INVALID: .*group 1/);
    expect(await tampered((_s, t) => (t.defaultLeft[0] = 2))).toMatch(/^BUNDLE_INVALID: .*defaultLeft/);
    expect(await tampered((_s, t) => (t.treeStart[1] = t.treeStart[2]! + 1))).toMatch(/^BUNDLE_INVALID/);
    expect(await tampered((_s, t) => (t.baseMargin[0] = NaN))).toMatch(/^BUNDLE_INVALID: .*base margin/);
    expect(
      await tampered((_s, t) => {
        const leaf = Array.from(t.left).indexOf(-1);
        t.value[leaf] = Infinity;
      }),
    ).toMatch(/^BUNDLE_INVALID: .*leaf value/);
    expect(
      await tampered((_s, t) => {
        t.catNode = Int32Array.from([0]);
        t.catStart = Int32Array.from([0]);
        t.catWords = Int32Array.from([t.catBits.length + 3]);
      }),
    ).toMatch(/^BUNDLE_INVALID: .*bitset/);
    expect(
      await tampered((s) => {
        s.value = new Uint8Array(3);
      }),
    ).toMatch(/^BUNDLE_INVALID: .*not a whole number/);
    expect(
      await tampered((s) => {
        s.left = 'x' as unknown as Uint8Array;
      }),
    ).toMatch(/^BUNDLE_INVALID: .*binary/);
    expect(
      await tampered((s) => {
        s.transform = 'softmax';
      }),
    ).toMatch(/^BUNDLE_INVALID/);
    expect(
      await tampered((s) => {
        s.transform = 'scaledSigmoid';
      }),
    ).toMatch(/^BUNDLE_INVALID: .*transform is one of/);
  });

  it('accepts the untouched table', async () => {
    expect(await tampered(() => {})).toBe('no error');
  });
});
