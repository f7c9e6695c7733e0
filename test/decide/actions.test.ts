/**
 * engine.actions: each action as the spec says it, rules in the order they
 * run (tier by tier, the group's before the action's own), the same rule
 * objects explanations carry.
 */
import { describe, expect, it } from 'vitest';
import { Engine, Model, SpecSource, compileSpec } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';

const SPEC = `
bundle: actions-info
version: "1"
features:
  tenure_months: numeric
  plan: [basic, premium]
context:
  channel: [app, email, sms]
groups:
  retention:
    description: Keep them
    eligibility: { established: tenure_months > 3 }
    suitability: { not_basic: plan != "basic" }
actions:
  loyalty_discount:
    kind: sale
    group: retention
    issue: churn
    description: 10% off
    channels: [email, app]
    propensity: 0.2
    value: 10
    eligibility: { long_tenure: tenure_months > 12 }
    applicability: plan == "premium"
  fix_connection:
    kind: service
    mandatory: true
    propensity: 0.9
`;

describe('engine.actions', () => {
  it('lists every action with its group, channels and rules in the order they run', async () => {
    const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC, 'actions.yaml'))));
    const [loyalty, fix] = engine.actions;
    expect(loyalty).toMatchObject({ id: 'loyalty_discount', kind: 'sale', group: 'retention', issue: 'churn', description: '10% off', channels: ['app', 'email'], mandatory: false });
    expect(loyalty!.rules.map((r) => [r.tier, r.name, r.owner, r.expression])).toEqual([
      ['eligibility', 'established', 'group retention', 'tenure_months > 3'],
      ['eligibility', 'long_tenure', 'action loyalty_discount', 'tenure_months > 12'],
      ['applicability', 'loyalty_discount.applicability', 'action loyalty_discount', 'plan == "premium"'],
      ['suitability', 'not_basic', 'group retention', 'plan != "basic"'],
    ]);
    expect(fix).toMatchObject({ id: 'fix_connection', kind: 'service', mandatory: true, channels: ['app', 'email', 'sms'], rules: [] });
    expect(fix!.group).toBeUndefined();
    expect(Object.isFrozen(engine.actions)).toBe(true);
    expect(Object.isFrozen(loyalty!.rules)).toBe(true);
    // the rule an explanation names is the same object
    const d = engine.decide({ features: { tenure_months: 2, plan: 'premium' }, context: { channel: 'app', now: 1 } }, { explain: true });
    expect(d.explanation!.candidates.find((c) => c.action === 'loyalty_discount')!.rule).toBe(loyalty!.rules[0]);
    expect(engine.actions).toBe(engine.actions);
  });

  it('is empty for a bundle without decisions', async () => {
    const m = await Model.fromLinear({ weights: { a: 1 } });
    expect((await Engine.load(m.toBundle())).actions).toEqual([]);
  });
});
