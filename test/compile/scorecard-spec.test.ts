import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, inspectBundle, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';

const SPEC = `
bundle: bank
version: "1"
features:
  age: numeric
  income: numeric
  housing: [own, rent, parents]
models:
  credit:
    scorecard:
      basePoints: 400
      scaling: { pdo: 20, baseScore: 600, baseOdds: 50 }
      characteristics:
        - feature: age
          reasonCode: AGE
          bins:
            - { below: 25, points: 10 }
            - { from: 25, below: 40, points: 25 }
            - { from: 40, points: 40 }
          missing: 15
        - feature: income
          reasonCode: INCOME
          bins:
            - { below: 2000, points: 5, reasonCode: LOW_INCOME }
            - { from: 2000, points: 60 }
        - feature: housing
          reasonCode: HOUSING
          bins:
            - { categories: [own], points: 50 }
            - { categories: [rent, parents], points: 20 }
  churn:
    linear:
      weights: { age: 0.1 }
`;

function errorOf(text: string): NextbestError {
  try {
    compileSpec(new SpecSource(text, 'bank.yaml'));
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('spec compiler: scorecard models', () => {
  it('compiles a scorecard that the engine scores and explains', async () => {
    const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC, 'bank.yaml'))));
    const customer = { age: 30, income: 1800, housing: 'rent' };
    const ex = engine.explain('credit', customer, 2);
    expect(ex.score).toBe(400 + 25 + 5 + 20);
    expect(ex.probability).toBe(engine.score('credit', customer)[0]);
    expect(ex.reasons).toEqual([
      { code: 'LOW_INCOME', pointsBelowMax: 55, characteristics: ['income'] },
      { code: 'HOUSING', pointsBelowMax: 30, characteristics: ['housing'] },
    ]);
    expect(() => engine.explain('churn', customer)).toThrow(expect.objectContaining({ code: 'MODEL_KIND' }));
    const report = inspectBundle(encodeBundle(compileSpec(new SpecSource(SPEC, 'bank.yaml'))));
    expect(report.models[0]).toMatchObject({ id: 'credit', kind: 'scorecard', transform: 'scaledSigmoid' });
    expect(report.models[0]!.summary).toBe('3 characteristics, 10 bins, 4 reason codes, pdo 20 (600 at odds 50)');
  });

  it('points scorecard errors at the characteristic and bin in the file', () => {
    const overlap = errorOf(SPEC.replace('{ from: 25, below: 40, points: 25 }', '{ from: 20, below: 40, points: 25 }'));
    expect(overlap.code).toBe('MODEL_INVALID');
    expect(overlap.message).toMatch(
      /^bank\.yaml:18:15: models\.credit\.scorecard\.characteristics\[0\]\.bins\[1\]: scorecard "credit": characteristic "age": bins 0 \(< 25\) and 1 \(\[20, 40\)\) overlap/,
    );
    const typo = errorOf(SPEC.replace('{ below: 2000, points: 5, reasonCode: LOW_INCOME }', '{ below: 2000, pionts: 5 }'));
    expect(typo.message).toMatch(/^bank\.yaml:24:38: models\.credit\.scorecard\.characteristics\[1\]\.bins\[0\]\.pionts: /);
    expect(typo.message).toContain('unknown field "pionts" (allowed: from, below, points, reasonCode, label)');
    const category = errorOf(SPEC.replace('categories: [own]', 'categories: [owner]'));
    expect(category.details).toMatchObject({ line: 29, path: 'models.credit.scorecard.characteristics[2].bins[0].categories[0]' });
    const unknown = errorOf(SPEC.replace('- feature: income', '- feature: incme'));
    expect(unknown.code).toBe('SPEC_INVALID');
    expect(unknown.details).toMatchObject({ path: 'models.credit.scorecard.characteristics[1].feature' });
    expect(errorOf(SPEC.replace('basePoints: 400', 'features: []')).message).toContain('remove `features`');
  });
});
