/**
 * Decision scenarios from the demo domains (telco, bank, retail): the
 * frustrated customer gets the service action and no sale on any channel,
 * the capped channel is skipped, a rejected offer is not re-offered within
 * its window, ties break deterministically; plus the factor semantics
 * (levers, context weights, mandatory, exclusion, missing and infinite
 * numbers) and what the explanation says.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource, type Decision } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { VARIANTS } from '../helpers/random.js';

const NOW = Date.UTC(2026, 2, 1, 9, 30);
const DAY = 86_400_000;

async function load(spec: string, variant: 'release' | 'debug' = 'release'): Promise<Engine> {
  return Engine.load(encodeBundle(compileSpec(new SpecSource(spec, 'scenario.yaml'))), { wasm: variant });
}

const ids = (d: Decision) => d.actions.map((a) => (a.channel ? `${a.id}@${a.channel}` : a.id));
const stageOf = (d: Decision, action: string, channel?: string) =>
  d.explanation!.candidates.find((c) => c.action === action && (channel === undefined || c.channel === channel))!;

const TELCO = `
bundle: telco-mini
version: "1"
features:
  tenure_months: numeric
  plan: [basic, standard, premium]
  dropped_calls_24h: numeric        # stands in for the connection-trouble journey until journeys land
  data_gb: numeric
context:
  channel: [app, email, sms, call_center]
models:
  churn:
    linear: { intercept: -2, link: logit, weights: { tenure_months: -0.02, dropped_calls_24h: 0.5 } }
groups:
  care:
    suppresses: { kind: sale }
  retention:
    lever: 10
    exclusive: retention_offer
  growth: {}
actions:
  network_fix:
    kind: service
    group: care
    channels: [app, call_center, sms]
    propensity: 0.8
    value: 30
    eligibility: { connection_trouble: dropped_calls_24h >= 3 }
  loyalty_discount:
    kind: sale
    group: retention
    channels: [app, email, call_center]
    propensity: score.churn
    value: 120
    eligibility: tenure_months > 12
  free_month:
    kind: sale
    group: retention
    channels: [app, email]
    propensity: score.churn * 0.8
    value: 140
  data_addon:
    kind: sale
    group: growth
    propensity: clamp(data_gb / 50, 0, 0.6)
    value: 25
    applicability: plan != "premium"
  premium_upgrade:
    kind: sale
    group: growth
    channels: [app, email, sms]
    propensity: 0.1
    value: 90
    applicability: plan in ["basic", "standard"]
policies:
  email_weekly: { channel: email, max: 1, per: 7d }
  reject_backoff: { each: action, count: reject, after: 1, suppress: 30d }
  no_reoffer: { each: action, suppress: 2d }
arbitration:
  limit: 2
  context:
    - when: context.channel == "call_center"
      group: retention
      weight: 1.5
`;

describe('decision scenarios', () => {
  for (const variant of VARIANTS) {
    it(`telco: the frustrated customer gets the service action first and no sale on any channel (${variant})`, async () => {
      const e = await load(TELCO, variant);
      const customer = { tenure_months: 40, plan: 'standard', dropped_calls_24h: 5, data_gb: 20 };
      const all = e.decide({ customerId: 'frustrated', features: customer, context: { now: NOW } }, { explain: true });
      expect(all.actions.every((a) => a.kind === 'service')).toBe(true);
      expect(ids(all)).toEqual(['network_fix@app']);
      for (const c of all.explanation!.candidates.filter((x) => x.action !== 'network_fix')) {
        expect(c.stage === 'suppression' || c.stage === 'applicability', `${c.action} ${c.stage}`).toBe(true);
        if (c.stage === 'suppression') expect(c.by).toBe('network_fix');
      }
      // on a channel the service action is not offered on, sales are still suppressed: it stands on another channel
      const email = e.decide({ features: customer, context: { now: NOW, channel: ['email', 'sms'] } }, { explain: true });
      expect(ids(email)).toEqual(['network_fix@sms']);
      expect(stageOf(email, 'loyalty_discount', 'email').stage).toBe('suppression');
      // the same customer without the trouble gets offers
      const calm = e.decide({ features: { ...customer, dropped_calls_24h: 0 }, context: { now: NOW, channel: 'app' } }, { explain: true });
      expect(calm.actions.length).toBe(2);
      expect(calm.actions.every((a) => a.kind === 'sale')).toBe(true);
      expect(stageOf(calm, 'network_fix').rule).toMatchObject({ name: 'connection_trouble', expression: 'dropped_calls_24h >= 3', at: 'scenario.yaml:28:40' });
    });

    it(`telco: a capped channel is skipped and the others still decide (${variant})`, async () => {
      const e = await load(TELCO, variant);
      const customer = { tenure_months: 40, plan: 'standard', dropped_calls_24h: 0, data_gb: 45 };
      e.record({ customerId: 'capped', actionId: 'premium_upgrade', channel: 'email', outcome: 'impression', at: NOW - 3 * DAY });
      const d = e.decide({ customerId: 'capped', features: customer, context: { now: NOW, channel: ['email', 'app', 'sms'] } }, { explain: true });
      expect(d.actions.some((a) => a.channel === 'email')).toBe(false);
      expect(d.actions.length).toBeGreaterThan(0);
      const onEmail = d.explanation!.candidates.filter((c) => c.channel === 'email');
      expect(onEmail.length).toBeGreaterThan(0);
      for (const c of onEmail) {
        expect(c.stage === 'policy' || c.stage === 'applicability').toBe(true);
        if (c.stage === 'policy') expect(c.policy).toMatchObject({ id: 'email_weekly', kind: 'cap', text: 'at most 1 impression on email per 7d; all actions' });
      }
      // a week later the channel is open again, and gets one email at most (the cap has room for one)
      const later = e.decide({ customerId: 'capped', features: customer, context: { now: NOW + 4 * DAY, channel: 'email' } }, { explain: true });
      expect(later.actions.length).toBe(1);
      expect(later.explanation!.candidates.filter((c) => c.stage === 'limit' && c.policy?.id === 'email_weekly').length).toBeGreaterThan(0);
    });

    it(`telco: a rejected offer is not re-offered within its window (${variant})`, async () => {
      const e = await load(TELCO, variant);
      const customer = { tenure_months: 40, plan: 'premium', dropped_calls_24h: 0, data_gb: 5 };
      const first = e.decide({ customerId: 'r', features: customer, context: { now: NOW, channel: 'app' } });
      const top = first.actions[0]!;
      e.record({ customerId: 'r', actionId: top.id, channel: 'app', outcome: 'impression', at: NOW });
      e.record({ customerId: 'r', actionId: top.id, channel: 'app', outcome: 'reject', at: NOW + 60_000 });
      for (const days of [1, 10, 29]) {
        const d = e.decide({ customerId: 'r', features: customer, context: { now: NOW + days * DAY, channel: 'app' } }, { explain: true });
        expect(d.actions.map((a) => a.id)).not.toContain(top.id);
        const c = stageOf(d, top.id);
        expect(c.stage).toBe('policy');
        expect(c.policy!.id).toBe('reject_backoff'); // the first blocking policy in policy order (no_reoffer blocks on day 1 too)
      }
      const after = e.decide({ customerId: 'r', features: customer, context: { now: NOW + 60_000 + 30 * DAY, channel: 'app' } });
      expect(after.actions[0]!.id).toBe(top.id);
    });
  }

  it('ties break by mandatory, then priority, then spec order, then channel order', async () => {
    const e = await load(`
bundle: ties
version: "1"
features: { x: numeric }
context: { channel: [web, app] }
actions:
  b_first: { kind: sale, propensity: 0.5, value: 2 }
  a_second: { kind: sale, propensity: 0.5, value: 2 }
  low_but_mandatory: { kind: service, propensity: 0.01, value: 1, mandatory: true }
  top: { kind: sale, propensity: 0.9, value: 2, channels: [app] }
  zero: { kind: sale, propensity: 0, value: 5 }
  negative_zero: { kind: sale, propensity: -0, value: 5 }
arbitration: { limit: 10 }
`);
    const req = { features: { x: 1 }, context: { now: NOW, channel: 'web' } };
    const d = e.decide(req);
    expect(ids(d)).toEqual(['low_but_mandatory@web', 'b_first@web', 'a_second@web', 'zero@web', 'negative_zero@web']);
    for (let i = 0; i < 5; i++) expect(ids(e.decide(req))).toEqual(ids(d));
    // over two channels each action is selected once, on its first channel when they tie
    const both = e.decide({ features: { x: 1 }, context: { now: NOW } });
    expect(ids(both)).toEqual(['low_but_mandatory@web', 'top@app', 'b_first@web', 'a_second@web', 'zero@web', 'negative_zero@web']);
    expect(both.actions.map((a) => a.rank)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('levers, context weights, custom priorities and minPriority', async () => {
    const e = await load(`
bundle: factors
version: "1"
features: { income: numeric }
context: { channel: [branch, web], segment: [young, senior] }
groups:
  loans: { lever: 50 }
actions:
  topup: { kind: sale, group: loans, propensity: 0.2, value: 100, lever: -20, attributes: { margin: 4 } }
  card: { kind: sale, propensity: 0.3, value: 50, attributes: { margin: 2 } }
  savings: { kind: sale, propensity: 0.25, value: income / 1000 }
  tiny: { kind: sale, propensity: 0.01, value: 10, attributes: { margin: 1 } }
arbitration:
  priority: propensity * context * value * lever + action.margin
  minPriority: 10
  limit: 5
  context:
    - when: context.channel == "branch"
      group: loans
      weight: 2
    - when: context.segment == "senior"
      weight: 1.5
`);
    const d = e.decide({ features: { income: 80_000 }, context: { now: NOW, channel: 'branch', segment: 'senior' } }, { explain: true });
    const topup = d.actions.find((a) => a.id === 'topup')!;
    expect(topup.lever).toBe((1 - 0.2) * (1 + 0.5));
    expect(topup.context).toBe(2 * 1.5);
    expect(topup.priority).toBe(0.2 * 3 * 100 * 1.2000000000000002 + 4);
    const card = d.actions.find((a) => a.id === 'card')!;
    expect(card.context).toBe(1.5);
    expect(card.priority).toBe(0.3 * 1.5 * 50 * 1 + 2);
    // savings has no margin: its priority is missing, and it drops out
    const savings = stageOf(d, 'savings');
    expect(savings).toMatchObject({ stage: 'priority', factors: { propensity: 0.25, value: 80, context: 1.5, lever: 1 } });
    expect(savings.reason).toMatch(/priority is missing \(NaN\)/);
    const web = e.decide({ features: { income: 80_000 }, context: { now: NOW, channel: 'web', segment: 'young' } }, { explain: true });
    expect(stageOf(web, 'card')).toMatchObject({ stage: 'selected' });
    expect(web.actions.find((a) => a.id === 'card')!.priority).toBe(0.3 * 50 + 2);
    expect(stageOf(web, 'topup').reason).toMatch(/^selected/);
    // below the minimum
    expect(stageOf(web, 'tiny')).toMatchObject({ stage: 'priority', reason: 'priority 1.1 is below the minimum 10', factors: { priority: 0.01 * 10 + 1 } });
  });

  it('drops missing and infinite propensities, values and context weights with a reason', async () => {
    const e = await load(`
bundle: numbers
version: "1"
features: { a: numeric, b: numeric }
actions:
  p_nan: { kind: sale, propensity: log(a) }
  p_inf: { kind: sale, propensity: 1 / b }
  v_nan: { kind: sale, propensity: 0.5, value: a * 2 }
  v_inf: { kind: sale, propensity: 0.5, value: exp(b * 1000) }
  prio_inf: { kind: sale, propensity: 1e300, value: 1e300 }
  c_nan: { kind: sale, propensity: 0.5, group: g }
  ok: { kind: sale, propensity: 0.5 }
groups:
  g: {}
arbitration:
  limit: 10
  context:
    - group: g
      weight: a
`);
    // a = -1, b = 0: log(-1) is missing, 1 / 0 infinite, 1e300 * 1e300 overflows; negative values and weights are numbers
    const d = e.decide({ features: { a: -1, b: 0 }, context: { now: NOW } }, { explain: true });
    expect(ids(d)).toEqual(['v_inf', 'ok', 'c_nan', 'v_nan']);
    expect(stageOf(d, 'p_nan')).toMatchObject({ stage: 'propensity', reason: 'propensity is missing (NaN): dropped, a priority must be a finite number', factors: { propensity: NaN } });
    expect(stageOf(d, 'p_inf')).toMatchObject({ stage: 'propensity', reason: 'propensity is Infinity: dropped, a priority must be a finite number' });
    expect(stageOf(d, 'prio_inf')).toMatchObject({ stage: 'priority', reason: 'priority is Infinity: dropped, a priority must be a finite number' });
    expect(d.actions.find((a) => a.id === 'v_nan')!.priority).toBe(-1);
    // a missing, b = 1: the value and the context weight are missing, exp(1000) is infinite
    const d2 = e.decide({ features: { b: 1 }, context: { now: NOW } }, { explain: true });
    expect(ids(d2)).toEqual(['p_inf', 'ok']);
    expect(stageOf(d2, 'p_nan').stage).toBe('propensity');
    expect(stageOf(d2, 'v_nan')).toMatchObject({ stage: 'value', reason: 'value is missing (NaN): dropped, a priority must be a finite number' });
    expect(stageOf(d2, 'v_inf')).toMatchObject({ stage: 'value', reason: 'value is Infinity: dropped, a priority must be a finite number' });
    expect(stageOf(d2, 'c_nan')).toMatchObject({ stage: 'context', reason: 'context weight is missing (NaN): dropped, a priority must be a finite number' });
    expect(stageOf(d2, 'prio_inf').stage).toBe('priority');
    // -Infinity too
    const d3 = e.decide({ features: { a: 1, b: -0 }, context: { now: NOW } }, { explain: true });
    expect(stageOf(d3, 'p_inf')).toMatchObject({ stage: 'propensity', reason: 'propensity is -Infinity: dropped, a priority must be a finite number' });
  });

  it('mutual exclusion keeps the best-ranked action of a set; a suppressed action still suppresses', async () => {
    const e = await load(`
bundle: bank
version: "1"
features: { declined_atm: numeric }
groups:
  lending: { exclusive: credit }
actions:
  loan_topup: { kind: sale, group: lending, propensity: 0.4, value: 100 }
  credit_card: { kind: sale, group: lending, propensity: 0.3, value: 100 }
  overdraft: { kind: sale, propensity: 0.2, value: 100, exclusive: credit }
  savings: { kind: sale, propensity: 0.1, value: 100 }
  fraud_check: { kind: service, propensity: 1, value: 1, eligibility: declined_atm > 3, suppresses: all }
  regulatory_notice: { kind: service, propensity: 1, value: 1, mandatory: true, eligibility: declined_atm > 5, suppresses: { action: fraud_check } }
arbitration: { limit: 10 }
`);
    const d = e.decide({ features: { declined_atm: 0 }, context: { now: NOW } }, { explain: true });
    expect(ids(d)).toEqual(['loan_topup', 'savings']);
    expect(stageOf(d, 'credit_card')).toMatchObject({ stage: 'exclusion', set: 'credit', by: 'loan_topup' });
    expect(stageOf(d, 'overdraft')).toMatchObject({ stage: 'exclusion', set: 'credit', by: 'loan_topup' });
    const fraud = e.decide({ features: { declined_atm: 4 }, context: { now: NOW } }, { explain: true });
    expect(ids(fraud)).toEqual(['fraud_check']);
    // the notice suppresses fraud_check, which still suppresses every other action
    const both = e.decide({ features: { declined_atm: 9 }, context: { now: NOW } }, { explain: true });
    expect(ids(both)).toEqual([]);
    expect(stageOf(both, 'regulatory_notice')).toMatchObject({ stage: 'suppression', by: 'fraud_check' });
    expect(stageOf(both, 'fraud_check')).toMatchObject({ stage: 'suppression', by: 'regulatory_notice' });
  });

  it('scores only the models a decision reads, once', async () => {
    const e = await load(`
bundle: lazy
version: "1"
features: { x: numeric }
models:
  used: { linear: { weights: { x: 1 } } }
  gated: { linear: { weights: { x: 2 } } }
  never: { linear: { weights: { x: 3 } } }
actions:
  a: { kind: sale, propensity: score.used, eligibility: x > 0 }
  b: { kind: sale, propensity: score.gated, eligibility: x > 5 }
  c: { kind: sale, propensity: score.used * 2, value: score.used }
`);
    expect(e.decide({ features: { x: 1 }, context: { now: NOW } }, { explain: true }).explanation!.scores).toEqual({ used: [1] });
    expect(e.decide({ features: { x: 6 }, context: { now: NOW } }, { explain: true }).explanation!.scores).toEqual({ used: [6], gated: [12] });
  });

  it('explains every action exactly, and is the same decision without explain', async () => {
    const e = await load(TELCO);
    const req = { customerId: 'x', features: { tenure_months: 30, plan: 'basic', dropped_calls_24h: 1, data_gb: 30 }, context: { now: NOW, channel: 'app' } };
    const d = e.decide(req, { explain: true, limit: 3 });
    const plain = e.decide(req, { limit: 3 });
    expect(plain.actions).toEqual(d.actions);
    expect(plain.explanation).toBeUndefined();
    const ex = d.explanation!;
    expect(ex.channels).toEqual(['app']);
    expect(ex.candidates.map((c) => c.action)).toEqual(['network_fix', 'loyalty_discount', 'free_month', 'data_addon', 'premium_upgrade']);
    for (const a of d.actions) {
      const c = stageOf(d, a.id);
      expect(c).toMatchObject({ stage: 'selected', rank: a.rank, factors: { propensity: a.propensity, value: a.value, context: a.context, lever: a.lever, priority: a.priority } });
      expect(a.priority).toBe(a.propensity * a.context * a.value * a.lever);
    }
    expect(stageOf(d, 'free_month')).toMatchObject({ stage: 'exclusion', set: 'retention_offer', by: 'loyalty_discount' });
    const churn = ex.scores.churn![0]!;
    expect(churn).toBe(Math.fround(1 / (1 + Math.exp(-Math.fround(-2 - 0.02 * 30 + 0.5 * 1)))));
    expect(d.actions.find((a) => a.id === 'loyalty_discount')!.propensity).toBe(churn);
  });
});
