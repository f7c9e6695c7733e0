/**
 * expf / logf as XGBoost gets them from glibc: src/models/libm32.ts must match
 * glibc bit for bit (fixtures from scripts/gen-libm-fixtures.py), and the wasm
 * kernels' Mathf.exp must match libm32 (so transforms agree with the reference).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expf, logf, sigmoidXgb } from '../../src/models/libm32.js';
import { Model } from '../../src/models/model.js';
import { FeatureSchema } from '../../src/runtime/features.js';
import type { TreesTable } from '../../src/models/trees.js';
import { VARIANTS } from '../helpers/random.js';

function pairs(file: string): Float32Array {
  const b = readFileSync(join(__dirname, '..', 'fixtures', 'libm', file));
  return new Float32Array(new Uint8Array(b).buffer);
}

/** A tree-less model whose margins are `values` (one group each) and whose transform is `transform`. */
function marginsModel(values: Float32Array, transform: 'exp' | 'sigmoid', variant: (typeof VARIANTS)[number]): Model {
  const G = values.length;
  const table: TreesTable = {
    kind: 'trees',
    id: 'm',
    nGroups: G,
    nOutputs: G,
    transform,
    treeStart: new Int32Array(1),
    treeGroup: new Int32Array(0),
    left: new Int32Array(0),
    right: new Int32Array(0),
    feature: new Int32Array(0),
    value: new Float32Array(0),
    defaultLeft: new Uint8Array(0),
    catNode: new Int32Array(0),
    catStart: new Int32Array(0),
    catWords: new Int32Array(0),
    catBits: new Uint32Array(0),
    baseMargin: values,
  };
  return new Model(table, new FeatureSchema([{ name: 'x', type: 'numeric' }]), { wasm: variant });
}

describe('float32 libm (glibc-faithful expf, logf)', () => {
  for (const [name, fn] of [
    ['expf', expf],
    ['logf', logf],
  ] as const) {
    it(`${name} matches glibc bit for bit`, () => {
      const p = pairs(`${name}.f32`);
      let bad = 0;
      for (let i = 0; i < p.length; i += 2) {
        const got = fn(p[i]!);
        const want = p[i + 1]!;
        if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) bad++;
      }
      expect(bad).toBe(0);
      expect(p.length / 2).toBeGreaterThan(6000);
    });
  }

  for (const variant of VARIANTS) {
    it(`the kernels' expf and sigmoid match the TypeScript ones (${variant})`, () => {
      const p = pairs('expf.f32');
      const xs: number[] = [];
      for (let i = 0; i < p.length; i += 2) if (Number.isFinite(p[i]!)) xs.push(p[i]!);
      for (let start = 0; start < xs.length; start += 4096) {
        const values = Float32Array.from(xs.slice(start, start + 4096));
        const e = marginsModel(values, 'exp', variant).predict(new Float32Array(1), 1);
        const s = marginsModel(values, 'sigmoid', variant).predict(new Float32Array(1), 1);
        for (let g = 0; g < values.length; g++) {
          expect(Object.is(e[g], expf(values[g]!)), `expf(${values[g]})`).toBe(true);
          expect(Object.is(s[g], sigmoidXgb(values[g]!)), `sigmoid(${values[g]})`).toBe(true);
        }
      }
    });
  }

  it('sigmoid clamps like XGBoost (1 / (expf(88.7) + 1) below -88.7)', () => {
    expect(sigmoidXgb(-100)).toBe(Math.fround(1 / Math.fround(expf(Math.fround(88.7)) + 1)));
    expect(sigmoidXgb(-100)).toBeGreaterThan(0);
    expect(sigmoidXgb(100)).toBe(1);
    expect(Number.isNaN(sigmoidXgb(NaN))).toBe(true);
  });
});
