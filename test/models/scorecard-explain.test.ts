import { describe, expect, it } from 'vitest';
import { Model, type ScorecardSpec } from '../../src/index.js';
import { CREDIT } from '../helpers/scorecards.js';
import { codeOf } from '../helpers/errors.js';


/** Four characteristics on x0..x3 whose bins are worth 0 or `max` points. */
function lossCard(codes: string[], max: number[]): ScorecardSpec {
  return {
    characteristics: codes.map((reasonCode, i) => ({
      name: `c${i}`,
      feature: `x${i}`,
      reasonCode,
      bins: [
        { below: 0, points: 0 },
        { from: 0, points: max[i]! },
      ],
      missing: 0,
    })),
  };
}

describe('scorecard explanations', () => {
  it('explains the documented example', async () => {
    const m = await Model.fromScorecard(CREDIT);
    const customer = { age: 25, income: 1500, housing: 'rent', delinquencies: 1 };
    const ex = m.explain(customer, 3);
    expect(ex.score).toBe(480);
    expect(ex.probability).toBe(m.predictOne(customer)[0]);
    expect(ex.characteristics).toEqual([
      { name: 'age', feature: 'age', bin: 1, label: '[25, 40)', points: 25, maxPoints: 40, pointsBelowMax: 15, reasonCode: 'AGE' },
      { name: 'income', feature: 'income', bin: 0, label: '< 2000', points: 5, maxPoints: 60, pointsBelowMax: 55, reasonCode: 'LOW_INCOME' },
      { name: 'housing', feature: 'housing', bin: 1, label: 'rent', points: 20, maxPoints: 50, pointsBelowMax: 30, reasonCode: 'HOUSING' },
      { name: 'delinquencies', feature: 'delinquencies', bin: 1, label: '[1, 3)', points: 30, maxPoints: 70, pointsBelowMax: 40, reasonCode: 'DELINQ' },
    ]);
    expect(ex.reasons).toEqual([
      { code: 'LOW_INCOME', pointsBelowMax: 55, characteristics: ['income'] },
      { code: 'DELINQ', pointsBelowMax: 40, characteristics: ['delinquencies'] },
      { code: 'HOUSING', pointsBelowMax: 30, characteristics: ['housing'] },
    ]);
    // Default k is 4.
    expect(m.explain(customer).reasons.map((r) => r.code)).toEqual(['LOW_INCOME', 'DELINQ', 'HOUSING', 'AGE']);
    // A missing value takes the missing bin and its own reason code; the label names it.
    const missing = m.explain({ age: 50, housing: 'own', delinquencies: 0, income: null });
    expect(missing.characteristics[1]).toMatchObject({ bin: 'missing', label: 'missing', points: 0, pointsBelowMax: 60, reasonCode: 'INCOME_MISSING' });
    expect(missing.reasons).toEqual([{ code: 'INCOME_MISSING', pointsBelowMax: 60, characteristics: ['income'] }]);
    expect(missing.score).toBe(400 + 40 + 0 + 50 + 70);
    const nothing = m.explain({});
    expect(nothing.score).toBe(425);
    expect(nothing.reasons.map((r) => [r.code, r.pointsBelowMax])).toEqual([
      ['DELINQ', 70],
      ['INCOME_MISSING', 60],
      ['HOUSING', 40],
      ['AGE', 25],
    ]);
    // At the maximum everywhere there is nothing to explain.
    expect(m.explain({ age: 40, income: 5000, housing: 'own', delinquencies: 0 }).reasons).toEqual([]);
    // The identity scorecard has no probability.
    const identity = await Model.fromScorecard({ ...CREDIT, scaling: undefined });
    expect(identity.explain(customer)).not.toHaveProperty('probability');
  });

  it('sums characteristics that share a reason code and breaks ties by scorecard order', async () => {
    const m = await Model.fromScorecard(lossCard(['R1', 'R2', 'R1', 'R3'], [10, 15, 5, 15]));
    const all = { x0: -1, x1: -1, x2: -1, x3: -1 };
    expect(m.explain(all, 10).reasons).toEqual([
      { code: 'R1', pointsBelowMax: 15, characteristics: ['c0', 'c2'] },
      { code: 'R2', pointsBelowMax: 15, characteristics: ['c1'] },
      { code: 'R3', pointsBelowMax: 15, characteristics: ['c3'] },
    ]);
    // A tie between characteristics: the earlier one ranks first, whatever the code.
    const tie = await Model.fromScorecard(lossCard(['Z', 'A', 'M', 'B'], [7, 7, 7, 9]));
    expect(tie.explain(all, 4).reasons.map((r) => r.code)).toEqual(['B', 'Z', 'A', 'M']);
    expect(tie.explain(all, 2).reasons.map((r) => r.code)).toEqual(['B', 'Z']);
    expect(tie.explain({ x0: -1, x1: 1, x2: -1, x3: 1 }, 4).reasons.map((r) => r.code)).toEqual(['Z', 'M']);
    expect(tie.explain(all, 0).reasons).toEqual([]);
    expect(tie.explain(all, Infinity).reasons).toHaveLength(4);
  });

  it('measures points below the maximum over every bin, missing and other included', async () => {
    const m = await Model.fromScorecard({
      features: [{ name: 'plan', type: 'categorical', categories: ['a', 'b', 'c'] }],
      characteristics: [
        {
          feature: 'plan',
          reasonCode: 'PLAN',
          bins: [{ categories: ['a'], points: 5, reasonCode: 'PLAN_A' }, { categories: ['b'], points: 8 }],
          missing: { points: 12, reasonCode: 'PLAN_MISSING', label: 'no plan' },
          other: { points: -3, reasonCode: 'PLAN_OTHER' },
        },
      ],
    });
    const a = m.explain({ plan: 'a' });
    expect(a.characteristics[0]).toMatchObject({ bin: 0, label: 'a', points: 5, maxPoints: 12, pointsBelowMax: 7, reasonCode: 'PLAN_A' });
    expect(a.reasons).toEqual([{ code: 'PLAN_A', pointsBelowMax: 7, characteristics: ['plan'] }]);
    expect(m.explain({ plan: 'b' }).reasons[0]).toMatchObject({ code: 'PLAN', pointsBelowMax: 4 });
    expect(m.explain({ plan: 'c' }).characteristics[0]).toMatchObject({ bin: 'other', label: 'other', points: -3, reasonCode: 'PLAN_OTHER' });
    expect(m.explain({}).characteristics[0]).toMatchObject({ bin: 'missing', label: 'no plan', pointsBelowMax: 0 });
    expect(m.explain(new Float32Array([2.5])).characteristics[0]!.bin).toBe('other');
  });

  it('agrees with predict and leaves the scratch usable', async () => {
    const m = await Model.fromScorecard(CREDIT);
    const rows = new Float32Array([30, 2500, 0, 2, 70, NaN, 3, 9]);
    const before = m.predict(rows, 2);
    for (let r = 0; r < 2; r++) {
      const row = rows.subarray(r * 4, r * 4 + 4);
      const ex = m.explain(row);
      expect(ex.score).toBe(m.margin(row, 1)[0]);
      expect(ex.probability).toBe(before[r]);
    }
    expect(m.predict(rows, 2)).toEqual(before);
  });

  it('reports misuse with typed errors', async () => {
    const m = await Model.fromScorecard(CREDIT);
    expect(codeOf(() => m.explain({ age: 3 }, -1))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.explain({ age: 3 }, 1.5))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.explain({ age: 3 }, '2' as unknown as number))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.explain(new Float32Array(3)))).toBe('ROWS_SHAPE');
    expect(codeOf(() => m.explain({ agee: 3 }))).toBe('FEATURE_UNKNOWN');
    const linear = await Model.fromLinear({ weights: { a: 1 } });
    expect(codeOf(() => linear.explain({ a: 1 }))).toBe('MODEL_KIND');
  });
});
