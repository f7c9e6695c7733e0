/**
 * XGBoost models in a bundle spec: `models.<id>.xgboost: file` (or { file,
 * features: renames }), bound to the bundle's features by name. Scores as the
 * model does on its own; errors name the spec line.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSpecFile, Engine, Model, NextbestError } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { XGB_FIXTURES, caseData, xgbManifest } from '../helpers/xgb-fixtures.js';
import { firstBitwiseMismatch } from '../helpers/random.js';

const NUMERIC = ['tenure_months', 'monthly_charges', 'total_spend', 'support_calls_90d', 'age', 'days_since_login', 'num_products', 'discount_pct', 'late_payments_12m', 'data_usage_gb'];

function specDir(spec: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nb-xgb-spec-'));
  copyFileSync(join(XGB_FIXTURES, 'categorical.ubj'), join(dir, 'churn.ubj'));
  copyFileSync(join(XGB_FIXTURES, 'binary_logitraw.json'), join(dir, 'raw.json'));
  writeFileSync(join(dir, 'bundle.yaml'), spec);
  return join(dir, 'bundle.yaml');
}

// The bundle lists the features in another order, with extra ones, and names the plan categories.
const FEATURES = `features:
  region: categorical
  extra_flag: numeric
  plan: [basic, plus, premium, family, business]
${[...NUMERIC].reverse().map((n) => `  ${n}: numeric`).join('\n')}
`;

describe('spec compiler: xgboost models', () => {
  it('binds the model to the bundle features by name and scores like the model itself', async () => {
    const path = specDir(`bundle: xgb\nversion: "1"\n${FEATURES}models:\n  churn:\n    xgboost: churn.ubj\n`);
    const payload = compileSpecFile(path, { created: '2026-01-01T00:00:00Z' });
    expect(Object.keys(payload.meta.sources)).toContain('churn.ubj');
    const engine = await Engine.load(encodeBundle(payload));
    const c = xgbManifest().find((x) => x.name === 'categorical')!;
    const { rows, pred } = caseData(c);
    const own = await Model.fromXGBoost(new Uint8Array(readFileSync(join(XGB_FIXTURES, 'categorical.ubj'))));
    const names = own.featureNames;
    for (let r = 0; r < 50; r++) {
      const obj: Record<string, number | null> = {};
      names.forEach((n, f) => (obj[n] = Number.isNaN(rows[r * names.length + f]!) ? null : rows[r * names.length + f]!));
      const got = engine.score('churn', obj);
      expect(firstBitwiseMismatch(got, pred.subarray(r, r + 1)), `row ${r}`).toBe(-1);
    }
    expect(engine.score('churn', { plan: 'premium', region: 3, tenure_months: 5 })[0]).toBe(
      engine.score('churn', { plan: 2, region: 3, tenure_months: 5 })[0],
    );
  });

  it('renames model features onto bundle features', async () => {
    const features = `features:\n${Array.from({ length: 10 }, (_, i) => `  x${i}: numeric`).join('\n')}\n`;
    const rename = Array.from({ length: 10 }, (_, i) => `        f${i}: x${i}`).join('\n');
    const path = specDir(`bundle: raw\nversion: "1"\n${features}models:\n  raw:\n    xgboost:\n      file: raw.json\n      features:\n${rename}\n`);
    const engine = await Engine.load(encodeBundle(compileSpecFile(path)));
    const c = xgbManifest().find((x) => x.name === 'binary_logitraw')!;
    const { rows, pred } = caseData(c);
    for (let r = 0; r < 20; r++) {
      expect(engine.score('raw', rows.slice(r * 10, r * 10 + 10))[0]).toBe(pred[r]);
    }
  });

  it('reports missing features, kind mismatches and unreadable files at the spec line', () => {
    const errorOf = (spec: string) => {
      try {
        compileSpecFile(specDir(spec));
      } catch (e) {
        if (e instanceof NextbestError) return `${e.code} line ${e.details?.line}: ${e.message}`;
        throw e;
      }
      return 'no error';
    };
    const head = 'bundle: xgb\nversion: "1"\n';
    expect(errorOf(`${head}features:\n  tenure_months: numeric\nmodels:\n  churn:\n    xgboost: churn.ubj\n`)).toMatch(/^SPEC_INVALID line \d+: .*not a bundle feature/);
    expect(errorOf(`${head}${FEATURES.replace('plan: [basic, plus, premium, family, business]', 'plan: numeric')}models:\n  churn:\n    xgboost: churn.ubj\n`)).toMatch(
      /^MODEL_INVALID line \d+: .*"plan" by category, but the bundle declares it numeric/,
    );
    expect(errorOf(`${head}${FEATURES}models:\n  churn:\n    xgboost: nope.ubj\n`)).toMatch(/^SPEC_INVALID line \d+: .*cannot read nope.ubj/);
    expect(errorOf(`${head}${FEATURES}models:\n  churn:\n    xgboost:\n      file: churn.ubj\n      extra: 1\n`)).toMatch(/^SPEC_INVALID/);
  });
});
