/**
 * Decisions with the telco-sized churn model: the 300-tree XGBoost fixture
 * (test/fixtures/xgb/bench_300x6.ubj.gz, made by scripts/gen-xgb-fixtures.py)
 * scored inside the decision kernel, against the reference twin (trees
 * walked in TypeScript) on customers drawn from the fixture's rows, on both
 * wasm builds; and the churn score the decision used equals XGBoost's own
 * prediction for that row.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { Decisions } from '../../src/decide/decider.js';
import type { ModelTable } from '../../src/models/registry.js';
import { referenceDecide } from '../../src/reference/decide.js';
import { section } from '../../src/state/layout.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { diffRecords } from '../helpers/decisions.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'xgb');
const FEATURES = ['tenure_months', 'monthly_charges', 'total_spend', 'support_calls_90d', 'age', 'days_since_login', 'num_products', 'discount_pct', 'late_payments_12m', 'data_usage_gb'];

const SPEC = `
bundle: telco-trees
version: "1"
features:
${FEATURES.map((f) => `  ${f}: numeric`).join('\n')}
context:
  channel: [app, email, call_center]
models:
  churn:
    xgboost: bench_300x6.ubj.gz
groups:
  care: { suppresses: { kind: sale } }
  retention: { lever: 15, exclusive: retention_offer, suitability: score.churn > 0.2 }
actions:
  callback: { kind: service, group: care, channels: [call_center, app], propensity: 0.8, value: 30, eligibility: support_calls_90d >= 4 }
  discount: { kind: sale, group: retention, propensity: score.churn, value: monthly_charges * 3 }
  free_month: { kind: sale, group: retention, propensity: score.churn * 0.9, value: monthly_charges * 2 }
  upgrade: { kind: sale, channels: [app, email], propensity: "clamp(1 - score.churn, 0, 1) * 0.2", value: 60, eligibility: tenure_months > 6 }
  bundle_offer: { kind: sale, propensity: 0.05 * num_products, value: 45, applicability: num_products < 4 }
policies:
  email_weekly: { channel: email, max: 1, per: 7d }
arbitration:
  limit: 2
  context:
    - when: context.channel == "call_center"
      group: retention
      weight: 1.3
`;

describe('decisions with a 300-tree XGBoost churn model', () => {
  const f32 = (file: string) => {
    const b = readFileSync(join(FIXTURES, file));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const rows = f32('bench_300x6.rows.f32');
  const preds = f32('bench_300x6.pred.f32');
  const nRows = rows.length / FEATURES.length;

  for (const variant of VARIANTS) {
    it(`agrees with the reference twin, and scores churn as XGBoost does (${variant})`, async () => {
      const payload = compileSpec(new SpecSource(SPEC, 'telco-trees.yaml'), { baseDir: FIXTURES, created: '2026-01-01T00:00:00Z' });
      const engine = await Engine.load(encodeBundle(payload), { wasm: variant });
      const d = (engine as unknown as { decisions: Decisions }).decisions;
      const t = d.tables;
      const models = new Map<string, ModelTable>(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
      const contactsOffset = section(d.layout, 'contacts')!.offset;
      const rand = mulberry32(300);
      const now = Date.UTC(2026, 1, 1);
      let churnChecked = 0;
      for (let k = 0; k < (variant === 'release' ? 120 : 40); k++) {
        const r = randInt(rand, 0, nRows - 1);
        const features = rows.slice(r * FEATURES.length, (r + 1) * FEATURES.length);
        let state = d.freshState();
        if (rand() < 0.5) state = engine.recordState(state, { actionId: 'upgrade', channel: 'email', outcome: 'impression', at: now - randInt(rand, 1, 10) * 86_400_000 });
        const c = randInt(rand, -1, 2);
        const context = { now, ...(c >= 0 ? { channel: t.channels[c]! } : {}) };
        const frame = new Float64Array(t.frame.slots).fill(NaN);
        const ref = referenceDecide(t, models, { features, frame, state, contactsOffset, now, channels: c >= 0 ? [c] : [0, 1, 2], limit: t.arbitration.limit });
        const decision = d.decide(state, { features, context }, { explain: true });
        const records = d.readRecords();
        expect(records.length).toBe(ref.records.length);
        records.forEach((rec, i) => expect(diffRecords(rec, ref.records[i]!), `row ${r}, candidate ${i}`).toBeUndefined());
        expect(d.readRanked(decision.actions.length)).toEqual(ref.ranked);
        const churn = decision.explanation!.scores.churn;
        if (churn) {
          expect(churn[0]).toBe(preds[r]);
          churnChecked++;
        }
      }
      expect(churnChecked).toBeGreaterThan(10);
    });
  }
});
