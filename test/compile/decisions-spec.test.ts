/**
 * The decision sections of the spec compiler: what compiles into which
 * tables, and every error it reports, with its code, message and position.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { validateDecisions, type DecisionTables } from '../../src/decide/tables.js';
import { validateModels } from '../../src/models/registry.js';
import { validateLayout } from '../../src/state/layout.js';
import { compileTriggers } from '../../src/compile/triggers.js';

const HEAD = `bundle: t
version: "1"
features:
  tenure_months: numeric
  plan: [basic, premium]
context:
  channel: [app, email]
models:
  churn:
    linear: { intercept: 0, link: logit, weights: { tenure_months: 0.1 } }
`;

const ACTIONS = `groups:
  care: {}
  retention: { lever: 10 }
actions:
  fix:
    kind: service
    group: care
    propensity: 0.5
`;

function compile(text: string) {
  return compileSpec(new SpecSource(text, 'spec.yaml'), { created: '2026-01-01T00:00:00Z' });
}

function errorOf(text: string): NextbestError {
  try {
    compile(text);
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error(`expected an error from:\n${text}`);
}

function tablesOf(text: string): DecisionTables {
  const p = compile(text);
  const models = validateModels(p.models, 2);
  return validateDecisions(p.decisions, { features: 2, contextFields: 1, models, channelDictionary: ['app', 'email'], state: validateLayout(p.state) });
}

describe('spec compiler: decisions', () => {
  it('compiles actions, groups, policies, arbitration and the contacts state section', async () => {
    const t = tablesOf(`${HEAD}groups:
  care:
    eligibility: tenure_months > 0
    suppresses: { kind: sale }
  retention:
    lever: 10
    exclusive: offers
actions:
  fix:
    kind: service
    group: care
    channels: [app]
    propensity: 0.9
    value: 10
    mandatory: true
    eligibility: { recent: tenure_months < 100 }
  discount:
    kind: sale
    group: retention
    propensity: score.churn
    value: 50
    lever: "20%"
    suitability: [plan == "premium", tenure_months > 3]
  upgrade:
    kind: sale
    group: retention
    propensity: score.churn * 0.5
policies:
  email_weekly: { channel: email, max: 1, per: 7d }
  backoff: { each: action, count: reject, after: 2, within: 90d, suppress: 30d }
arbitration:
  limit: 2
  limits: { email: 1 }
  minPriority: 0.5
  context:
    - when: context.channel == "app"
      kind: sale
      weight: 1.5
`);
    expect(t.channels).toEqual(['app', 'email']);
    expect(t.actions.map((a) => a.id)).toEqual(['fix', 'discount', 'upgrade']);
    const [fix, discount, upgrade] = t.actions;
    expect(fix!.channels).toEqual([0]);
    expect(discount!.channels).toEqual([0, 1]);
    expect(fix!.tiers).toEqual([2, 0, 0]);
    expect(t.rules[fix!.rules[0]![0]]).toMatchObject({ name: 'care.eligibility', owner: 'group care', source: 'tenure_months > 0' });
    expect(t.rules[fix!.rules[1]![0]]).toMatchObject({ name: 'recent', owner: 'action fix', at: 'spec.yaml:26:28' });
    expect(discount!.tiers).toEqual([0, 0, 2]);
    expect(fix!.suppresses).toEqual([1, 2]);
    expect(discount!.sets).toEqual([0]);
    expect(t.sets).toEqual(['offers']);
    expect(discount!.lever).toBeCloseTo(1.2 * 1.1, 12);
    expect(fix!.mandatory).toBe(true);
    // the same priority program serves every action; the context weight differs by kind
    expect(new Set(t.actions.map((a) => a.priority)).size).toBe(1);
    expect(fix!.context).not.toBe(discount!.context);
    expect(discount!.context).toBe(upgrade!.context);
    expect(t.arbitration).toEqual({ priority: 'propensity * context * value * lever', limit: 2, channelLimits: [0x7fffffff, 1], minPriority: 0.5 });
    expect(t.policies.map((p) => [p.id, p.kind, p.n, p.windowMs, p.forMs, p.channel, p.each])).toEqual([
      ['email_weekly', 'cap', 1, 7 * 86_400_000, 0, 1, false],
      ['backoff', 'suppress', 2, 90 * 86_400_000, 30 * 86_400_000, -1, true],
    ]);
    // one shared tracker for the cap (4 bytes), one per action for the backoff (2 times + until = 12 bytes)
    expect(t.trackers).toEqual([
      { policy: 0, action: -1, offset: 0 },
      { policy: 1, action: 0, offset: 4 },
      { policy: 1, action: 1, offset: 16 },
      { policy: 1, action: 2, offset: 28 },
    ]);
    expect(t.contactsSize).toBe(40);
    expect(discount!.checks).toEqual([
      [0, 0],
      [1, 2],
    ]);
    expect(t.frame.models).toEqual([{ id: 'churn', slot: 6 }]);
    const engine = await Engine.load(encodeBundle(compile(`${HEAD}${ACTIONS}policies:\n  p: { max: 1, per: 1d }\n`)));
    expect(engine.stateLayout!.sections.map((s) => [s.name, s.size])).toEqual([['contacts', 4]]);
    expect(engine.actionIds).toEqual(['fix']);
  });

  it('accepts actions as a list with ids, and a bundle without channels', async () => {
    const text = `bundle: t
version: "1"
features: { x: numeric }
actions:
  - id: a
    kind: sale
    propensity: x / 10
  - id: b
    kind: service
    propensity: 0.5
    value: x
`;
    const engine = await Engine.load(encodeBundle(compile(text)));
    expect(engine.actionIds).toEqual(['a', 'b']);
    const d = engine.decide({ features: { x: 3 }, context: { now: 1e12 } }, { limit: 2 });
    expect(d.actions.map((a) => [a.id, a.priority, 'channel' in a])).toEqual([
      ['b', 1.5, false],
      ['a', Math.fround(3) / 10, false],
    ]);
  });

  it('leaves decisions out of a bundle without actions', () => {
    const p = compile(HEAD);
    expect(p.decisions).toBeUndefined();
    expect(p.state).toBeUndefined();
  });

  it('compiles triggers against the journeys it is given', () => {
    const spec = new SpecSource('triggers:\n  call_back:\n    journey: trouble\n    channel: email\n    limit: 2\n', 'spec.yaml');
    expect(compileTriggers(spec.root.get('triggers'), ['trouble'], ['app', 'email'])).toEqual([{ id: 'call_back', journey: 'trouble', channel: 1, limit: 2 }]);
    const noChannel = new SpecSource('triggers:\n  t:\n    journey: trouble\n', 'spec.yaml');
    expect(compileTriggers(noChannel.root.get('triggers'), ['trouble'], [])).toEqual([{ id: 't', journey: 'trouble', channel: -1, limit: 1 }]);
    expect(() => compileTriggers(noChannel.root.get('triggers'), ['trouble'], ['app'])).toThrow(/spec\.yaml:3:5: triggers\.t: a trigger requests a decision on a channel: add `channel` \(one of app\)/);
    expect(() => compileTriggers(spec.root.get('triggers'), ['troubles'], ['app', 'email'])).toThrow(/unknown journey "trouble"; did you mean "troubles"\?/);
  });

  // Every error the decision compiler reports: [what, spec, code, message (regex), line, column]
  const A = (body: string) => `${HEAD}groups:\n  care: {}\nactions:\n  fix:\n${body}`;
  const P = (body: string) => `${HEAD}${ACTIONS}policies:\n  p:\n${body}`;
  const ARB = (body: string) => `${HEAD}${ACTIONS}arbitration:\n${body}`;
  const cases: [string, string, string, RegExp, number?, number?][] = [
    ['groups without actions', `${HEAD}groups:\n  care: {}\n`, 'SPEC_INVALID', /groups need actions: add an actions section/, 12, 3],
    ['policies without actions', `${HEAD}policies:\n  p: { max: 1, per: 1d }\n`, 'SPEC_INVALID', /policies need actions/],
    ['a feature named now', HEAD.replace('plan: [basic, premium]', 'now: numeric') + ACTIONS, 'SPEC_INVALID', /`now` is the decision time in decision expressions: rename the feature/, 5, 8],
    ['a context field named now', HEAD.replace('channel: [app, email]', 'channel: [app, email]\n  now: numeric') + ACTIONS, 'SPEC_INVALID', /`now` is part of every decision request/],
    ['channel without a dictionary', HEAD.replace('channel: [app, email]', 'channel: categorical') + ACTIONS, 'SPEC_INVALID', /the context field `channel` names the channels: give it a list/, 7, 12],
    ['an empty channel list', HEAD.replace('channel: [app, email]', 'channel: []') + ACTIONS, 'SPEC_INVALID', /list at least one channel/],
    ['too many channels', HEAD.replace('[app, email]', `[${Array.from({ length: 65 }, (_, i) => `c${i}`).join(', ')}]`) + ACTIONS, 'SPEC_INVALID', /at most 64 channels, got 65/],
    ['channels without a channel field', HEAD.replace('context:\n  channel: [app, email]\n', '') + `actions:\n  a:\n    kind: sale\n    propensity: 1\n    channels: [app]\n`, 'SPEC_INVALID', /actions name channels: declare them in the context section/],
    ['an unknown channel', A('    kind: sale\n    propensity: 1\n    channels: [app, emial]\n'), 'SPEC_INVALID', /unknown channel "emial"; did you mean "email"\? \(known: app, email\)/, 17, 21],
    ['an empty channel list on an action', A('    kind: sale\n    propensity: 1\n    channels: []\n'), 'SPEC_INVALID', /channels: list at least one channel, or leave it out/],
    ['no actions', `${HEAD}actions: {}\n`, 'SPEC_INVALID', /declare at least one action/],
    ['too many actions', `${HEAD}actions:\n${Array.from({ length: 4097 }, (_, i) => `  a${i}: { kind: sale, propensity: 1 }`).join('\n')}\n`, 'SPEC_INVALID', /at most 4096 actions, got 4097/],
    ['actions that are not a map or list', `${HEAD}actions: 3\n`, 'SPEC_INVALID', /expected a map of action id -> definition, or a list/],
    ['a list entry that is not a map', `${HEAD}actions:\n  - 3\n`, 'SPEC_INVALID', /each action is a map with an id/],
    ['a list entry without id', `${HEAD}actions:\n  - kind: sale\n`, 'SPEC_INVALID', /missing required field "id"/],
    ['an action declared twice', `${HEAD}actions:\n  - { id: a, kind: sale, propensity: 1 }\n  - { id: a, kind: sale, propensity: 1 }\n`, 'SPEC_INVALID', /action "a" is declared twice/, 13, 11],
    ['an action that is not a map', `${HEAD}actions:\n  a: 3\n`, 'SPEC_INVALID', /an action is a map with at least kind and propensity/],
    ['a bad action id', `${HEAD}actions:\n  1a: { kind: sale, propensity: 1 }\n`, 'SPEC_INVALID', /action id "1a" must start with a letter/],
    ['a misspelled action field', A('    kind: sale\n    propensity: 1\n    eligibilty: x > 1\n'), 'SPEC_INVALID', /unknown field "eligibilty"; did you mean "eligibility"\?/, 17, 5],
    ['a missing kind', A('    propensity: 1\n'), 'SPEC_INVALID', /missing required field "kind"/],
    ['an unknown kind', A('    kind: upsell\n    propensity: 1\n'), 'SPEC_INVALID', /kind must be sale or service, got "upsell"/, 15, 11],
    ['a missing propensity', A('    kind: sale\n'), 'SPEC_INVALID', /missing required field "propensity"/],
    ['an unknown group', A('    kind: sale\n    group: caer\n    propensity: 1\n'), 'SPEC_INVALID', /unknown group "caer"; did you mean "care"\? \(groups: care\)/],
    ['a group without a groups section', `${HEAD}actions:\n  a: { kind: sale, group: care, propensity: 1 }\n`, 'SPEC_INVALID', /unknown group "care": declare it in the groups section/],
    ['a bad group id', `${HEAD}groups:\n  "my group": {}\nactions:\n  a: { kind: sale, propensity: 1 }\n`, 'SPEC_INVALID', /group id "my group" must start with a letter/],
    ['a misspelled group field', `${HEAD}groups:\n  g: { levr: 3 }\nactions:\n  a: { kind: sale, propensity: 1 }\n`, 'SPEC_INVALID', /unknown field "levr"; did you mean "lever"\?/],
    ['a lever that is not a percentage', A('    kind: sale\n    propensity: 1\n    lever: lots\n'), 'SPEC_INVALID', /a lever is a percentage: a number like 20 or -10, or a string like "20%"/],
    ['a lever below -100%', A('    kind: sale\n    propensity: 1\n    lever: -150\n'), 'SPEC_INVALID', /a lever is a percentage between -100 and 1000000, got -150/],
    ['a built-in attribute', A('    kind: sale\n    propensity: 1\n    attributes: { kind: 3 }\n'), 'SPEC_INVALID', /attribute "kind" is built in: action\.kind is already defined/],
    ['a non-numeric attribute', A('    kind: sale\n    propensity: 1\n    attributes: { margin: high }\n'), 'SPEC_INVALID', /expected a finite number, got string "high"/],
    ['a bad rule name', A('    kind: sale\n    propensity: 1\n    eligibility: { "is adult": tenure_months > 1 }\n'), 'SPEC_INVALID', /rule name "is adult" must start with a letter/],
    ['a bad exclusive set name', A('    kind: sale\n    propensity: 1\n    exclusive: [ok, "not ok"]\n'), 'SPEC_INVALID', /exclusive set name "not ok" must start with a letter/],
    ['a bad issue', A('    kind: sale\n    propensity: 1\n    issue: "two words"\n'), 'SPEC_INVALID', /issue "two words" must start with a letter/],
    ['suppresses with nothing named', A('    kind: service\n    propensity: 1\n    suppresses: {}\n'), 'SPEC_INVALID', /suppresses: name what to suppress: `all`, or a map with kind, group\(s\) or action\(s\)/],
    ['suppresses with a bad key', A('    kind: service\n    propensity: 1\n    suppresses: { kinds: sale }\n'), 'SPEC_INVALID', /unknown field "kinds"; did you mean "kind"\?/],
    ['suppresses an unknown action', A('    kind: service\n    propensity: 1\n    suppresses: { action: nope }\n'), 'SPEC_INVALID', /unknown action "nope" \(known: fix\)/],
    ['suppresses an unknown kind', A('    kind: service\n    propensity: 1\n    suppresses: { kind: sales }\n'), 'SPEC_INVALID', /kind must be sale or service, got "sales"/],
    ['suppresses an empty list', A('    kind: service\n    propensity: 1\n    suppresses: { actions: [] }\n'), 'SPEC_INVALID', /actions: list at least one/],
    // expressions: positions are in the spec file
    ['an unknown name in a rule', A('    kind: sale\n    propensity: 1\n    eligibility: tenure_month > 1\n'), 'EXPR_NAME', /unknown name `tenure_month`; did you mean `tenure_months`\?/, 17, 18],
    ['a number as a rule', A('    kind: sale\n    propensity: 1\n    applicability: tenure_months\n'), 'EXPR_TYPE', /this expression must be a bool, but it is a number/, 17, 20],
    ['a condition as propensity', A('    kind: sale\n    propensity: tenure_months > 3\n'), 'EXPR_TYPE', /this expression must be a number, but it is a bool/, 16, 17],
    ['a syntax error in a value', A('    kind: sale\n    propensity: 1\n    value: "10 +"\n'), 'EXPR_PARSE', /the expression ends too early/, 17, 17],
    ['an unknown model', A('    kind: sale\n    propensity: score.chrn\n'), 'EXPR_NAME', /unknown name `score\.chrn`; did you mean `score\.churn`\?/],
    ['an output a model does not have', A('    kind: sale\n    propensity: score.churn[1]\n'), 'EXPR_NAME', /unknown name `score\.churn\[1\]`/],
    ['a factor outside the priority', A('    kind: sale\n    propensity: 1\n    value: lever * 2\n'), 'EXPR_NAME', /unknown name `lever`/],
    ['an unknown action attribute', A('    kind: sale\n    propensity: action.margin\n'), 'EXPR_NAME', /unknown name `action\.margin`/],
    ['a journey without journeys', A('    kind: sale\n    propensity: 1\n    eligibility: journey.walkout\n'), 'EXPR_NAME', /unknown name `journey\.walkout`/],
    ['a rule that is a map', A('    kind: sale\n    propensity: 1\n    eligibility: [ { a: 1 } ]\n'), 'SPEC_INVALID', /expected an expression \(a condition\)/],
    ['a bad group rule', `${HEAD}groups:\n  care: { eligibility: plan == "gold" }\nactions:\n  a: { kind: sale, propensity: 1 }\n`, 'EXPR_TYPE', /"gold" is not a value of category "plan"/, 12, 32],
    ['a bad priority', ARB('  priority: propensity * valu\n'), 'EXPR_NAME', /unknown name `valu`; did you mean `value`\?/, 20, 26],
    ['a bad context condition', ARB('  context:\n    - when: context.channel == "sms"\n      weight: 2\n'), 'EXPR_TYPE', /"sms" is not a value of category "context.channel"/, 21, 32],
    ['a bad context weight', ARB('  context:\n    - weight: context.channel\n'), 'EXPR_TYPE', /this expression must be a number, but it is a category "context.channel"/, 21, 15],
    // policies
    ['a bad policy id', `${HEAD}${ACTIONS}policies:\n  "no way": { max: 1, per: 1d }\n`, 'SPEC_INVALID', /policy id "no way" must start with a letter/],
    ['a policy that is not a map', `${HEAD}${ACTIONS}policies:\n  p: 3\n`, 'SPEC_INVALID', /a policy is a map: \{ max, per \} for a cap, or \{ suppress, after\?, within\? \} for a suppression/],
    ['a policy that is neither', P('    channel: email\n'), 'SPEC_INVALID', /a policy needs `max` and `per` \(a cap: at most max events per window\) or `suppress`/],
    ['a policy that is both', P('    max: 1\n    per: 1d\n    suppress: 2d\n'), 'SPEC_INVALID', /a policy is either a cap \(max, per\) or a suppression \(suppress, after, within\), not both/],
    ['a cap without per', P('    max: 1\n'), 'SPEC_INVALID', /missing required field "per"/],
    ['a misspelled policy field', P('    max: 1\n    per: 1d\n    chanel: email\n'), 'SPEC_INVALID', /unknown field "chanel"; did you mean "channel"\?/],
    ['a window in milliseconds', P('    max: 1\n    per: 1500ms\n'), 'SPEC_INVALID', /policy times are whole seconds, at least 1s; got 1500 ms/],
    ['a window of zero', P('    max: 1\n    per: 0\n'), 'SPEC_INVALID', /policy times are whole seconds, at least 1s; got 0 ms/],
    ['a window over ten years', P('    max: 1\n    per: 4000d\n'), 'SPEC_INVALID', /policy times are at most 3650d/],
    ['a cap of zero', P('    max: 0\n    per: 1d\n'), 'SPEC_INVALID', /must be at least 1, got 0/],
    ['a cap too large', P('    max: 1000\n    per: 1d\n'), 'SPEC_INVALID', /must be at most 255, got 1000/],
    ['a suppression after 2 without within', P('    suppress: 30d\n    after: 2\n'), 'SPEC_INVALID', /suppressing after 2 events needs `within`/],
    ['within without after', P('    suppress: 30d\n    within: 90d\n'), 'SPEC_INVALID', /`within` only matters with `after` of 2 or more/],
    ['an unknown outcome', P('    suppress: 30d\n    count: [reject, click]\n'), 'SPEC_INVALID', /count: outcomes are impression, accept, reject, got "click"/],
    ['no outcome', P('    suppress: 30d\n    count: []\n'), 'SPEC_INVALID', /count: list at least one of impression, accept, reject/],
    ['an unknown policy channel', P('    max: 1\n    per: 1d\n    channel: sms\n'), 'SPEC_INVALID', /unknown channel "sms" \(known: app, email\)/],
    ['a policy channel without channels', HEAD.replace('context:\n  channel: [app, email]\n', '') + ACTIONS + 'policies:\n  p: { max: 1, per: 1d, channel: email }\n', 'SPEC_INVALID', /this bundle has no channels: declare `channel` in the context section/],
    ['each that is not action', P('    max: 1\n    per: 1d\n    each: group\n'), 'SPEC_INVALID', /each: the only value is `action`/],
    ['a policy scope with an unknown group', P('    max: 1\n    per: 1d\n    group: sales\n'), 'SPEC_INVALID', /unknown group "sales" \(known: care, retention\)/],
    // arbitration
    ['a misspelled arbitration field', ARB('  limt: 2\n'), 'SPEC_INVALID', /unknown field "limt"; did you mean "limit"\?/],
    ['a negative limit', ARB('  limit: -1\n'), 'SPEC_INVALID', /must be at least 0, got -1/],
    ['limits without channels', HEAD.replace('context:\n  channel: [app, email]\n', '') + ACTIONS + 'arbitration:\n  limits: { app: 1 }\n', 'SPEC_INVALID', /limits are per channel, and this bundle has no channels: use `limit`/],
    ['limits for an unknown channel', ARB('  limits: { ap: 1 }\n'), 'SPEC_INVALID', /unknown channel "ap"; did you mean "app"\?/],
    ['a context weight that is not a map', ARB('  context:\n    - 1.5\n'), 'SPEC_INVALID', /a context weight is a map: \{ when, weight \} with an optional scope/],
    ['a context weight without weight', ARB('  context:\n    - when: context.channel == "app"\n'), 'SPEC_INVALID', /missing required field "weight"/],
    ['a context weight scope with an unknown action', ARB('  context:\n    - action: fx\n      weight: 2\n'), 'SPEC_INVALID', /unknown action "fx"; did you mean "fix"\?/],
    // triggers
    ['a trigger without journeys', `${HEAD}${ACTIONS}triggers:\n  t: { journey: trouble, channel: app }\n`, 'SPEC_INVALID', /unknown journey "trouble": this bundle declares no journeys/, 20, 17],
    ['a trigger that is not a map', `${HEAD}${ACTIONS}triggers:\n  t: 3\n`, 'SPEC_INVALID', /a trigger is a map: \{ journey, channel, limit\? \}/],
    ['a bad trigger id', `${HEAD}${ACTIONS}triggers:\n  "t t": { journey: x }\n`, 'SPEC_INVALID', /trigger id "t t" must start with a letter/],
  ];

  for (const [what, text, code, message, line, column] of cases) {
    it(`reports ${what}`, () => {
      const e = errorOf(text);
      expect(e.code, e.message).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/^spec\.yaml:\d+:\d+: /);
      if (line !== undefined) expect(e.details, e.message).toMatchObject({ line, column });
    });
  }

  it('reports a trigger channel error only when the journey is known', () => {
    const spec = new SpecSource('triggers:\n  t: { journey: j, channel: sms }\n', 'spec.yaml');
    expect(() => compileTriggers(spec.root.get('triggers'), ['j'], ['app'])).toThrow(/unknown channel "sms" \(known: app\)/);
    expect(() => compileTriggers(spec.root.get('triggers'), ['j'], [])).toThrow(/this bundle has no channels/);
  });

  it('reads adaptive models: one instance per model anywhere, per-action instances only in propensities', async () => {
    const models = (instances: string, extra = '') =>
      HEAD.replace('models:\n', `models:\n  offers:\n    adaptive: { instances: ${instances}, predictors: { tenure_months: { thresholds: [6, 24] } } }\n${extra}`);
    const ok = await Engine.load(encodeBundle(compile(`${models('model')}actions:\n  a: { kind: sale, propensity: score.offers, eligibility: score.offers > 0.1 }\n`)));
    expect(ok.decide({ features: { tenure_months: 3 }, context: { now: 1e12, channel: 'app' } }).actions[0]!.propensity).toBe(0.5);
    const perAction = await Engine.load(encodeBundle(compile(`${models('action')}actions:\n  a: { kind: sale, propensity: score.offers * 2 }\n`)));
    expect(perAction.decide({ features: { tenure_months: 3 }, context: { now: 1e12, channel: 'app' } }, { seed: 1 }).actions[0]!.modelPropensity).toBe(0.5);
    const outside = errorOf(`${models('action')}actions:\n  a: { kind: sale, propensity: 1, eligibility: score.offers > 0.2 }\n`);
    expect(outside.message).toMatch(
      /^spec\.yaml:14:48: actions\.a\.eligibility: score\.offers: adaptive model "offers" learns per action: read it in an action's propensity, where score\.offers is that action's own propensity/,
    );
    const two = errorOf(`${models('action', '  more:\n    adaptive: { predictors: { tenure_months: { thresholds: [6] } } }\n')}actions:\n  a: { kind: sale, propensity: score.offers * score.more }\n`);
    expect(two.message).toMatch(/actions\.a\.propensity: a propensity reads at most one adaptive model that learns per action/);
    const noChannels = errorOf(
      `${models('action_channel').replace('context:\n  channel: [app, email]\n', '')}actions:\n  a: { kind: sale, propensity: score.offers }\n`,
    );
    expect(noChannels.message).toMatch(/adaptive model "offers" learns per action and channel, and this bundle has no channels/);
  });

  it('limits the models decision expressions read', () => {
    const models = Array.from({ length: 65 }, (_, i) => `  m${i}:\n    linear: { weights: { tenure_months: 1 } }`).join('\n');
    const propensity = Array.from({ length: 65 }, (_, i) => `score.m${i}`).join(' + ');
    const text = `${HEAD.split('models:')[0]}models:\n${models}\nactions:\n  a: { kind: sale, propensity: "${propensity}" }\n`;
    expect(errorOf(text).message).toMatch(/decision expressions read 65 models; at most 64 per bundle/);
  });

  it('limits context weights that cannot compile together', () => {
    const weights = Array.from({ length: 1100 }, () => '    - { when: tenure_months > 1, weight: 1.01 }').join('\n');
    const e = errorOf(`${HEAD}${ACTIONS}arbitration:\n  context:\n${weights}\n`);
    expect(e.code).toBe('EXPR_LIMIT');
    expect(e.message).toMatch(/the context weights of one action are too large to compile together \(1100 entries\)/);
  });
});
