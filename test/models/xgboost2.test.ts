/**
 * XGBoost 2.x model layouts (JSON and UBJ), made from the 1.7 fixtures by
 * test/helpers/xgb2.ts the way 2.x writes them: they must load and score
 * bitwise like XGBoost 1.7's own output for the same trees.
 */
import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Model } from '../../src/index.js';
import { parseXGBoostJson } from '../../src/models/xgboost.js';
import { caseData, readModelFile, xgbManifest } from '../helpers/xgb-fixtures.js';
import { firstBitwiseMismatch } from '../helpers/random.js';
import { encodeXGBoostUbj, toXGBoost2 } from '../helpers/xgb2.js';
import { toXGBoostJson } from '../helpers/random-xgb.js';

const CASES = ['binary_missing', 'multi_softprob', 'multi_softmax', 'categorical', 'dart', 'regression', 'poisson'];

describe('XGBoost 2.x layouts', () => {
  for (const c of xgbManifest().filter((x) => CASES.includes(x.name))) {
    it(`${c.name}: 2.x JSON and UBJ (shuffled tree array, vector base_score) score like 1.7`, async () => {
      let bytes = readModelFile(c.model.json);
      if (bytes[0] === 0x1f) bytes = new Uint8Array(gunzipSync(bytes));
      const doc1 = parseXGBoostJson(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      const { rows, margin } = caseData(c);
      const variants = [
        toXGBoost2(doc1),
        toXGBoost2(doc1, { version: [2, 0, 3], shuffleTrees: true }),
        toXGBoost2(doc1, { version: [3, 1, 0], vectorBaseScore: true }),
      ];
      for (const doc of variants) {
        for (const input of [toXGBoostJson(doc), encodeXGBoostUbj(doc)]) {
          const m = await Model.fromXGBoost(input);
          const got = m.margin(rows, c.rows);
          expect(firstBitwiseMismatch(got, margin)).toBe(-1);
        }
      }
    });
  }

  it("the tests' UBJ writer is faithful: re-encoding 1.7's JSON gives 1.7's own UBJ, byte for byte", () => {
    for (const c of xgbManifest().filter((x) => !x.model.json.endsWith('.gz'))) {
      const json = new TextDecoder().decode(readModelFile(c.model.json));
      const mine = encodeXGBoostUbj(parseXGBoostJson(json));
      expect(Buffer.from(mine).equals(Buffer.from(readModelFile(c.model.ubj))), c.name).toBe(true);
    }
  });
});
