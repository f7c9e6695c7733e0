/**
 * Limits (src/limits.ts, docs/operations.md "Limits"): the option is checked,
 * every bundle limit refuses a bundle one over it at load (and swap), every
 * input limit refuses a call, each with LIMIT_EXCEEDED, `details.limit`
 * naming the limit and the message naming the option to raise.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpec, DEFAULT_LIMITS, Engine, LIMIT_CEILINGS, LIMIT_NAMES, NextbestError, SpecSource, type LimitName, type Limits } from '../src/index.js';
import { encodeBundle } from '../src/bundle/codec.js';
import type { TreesTable } from '../src/models/trees.js';

const T = Date.UTC(2026, 0, 5, 9, 0);
const LONG = 'x'.repeat(DEFAULT_LIMITS.stringLength + 1);

const SPEC = `
bundle: limits
version: "1"
features: { tenure_months: numeric, plan: [basic, premium, a_rather_long_plan_name] }
context: { channel: [app, email], segment: [gold, silver] }
models:
  risk:
    scorecard:
      basePoints: 400
      scaling: { pdo: 20, baseScore: 600, baseOdds: 50 }
      characteristics:
        - feature: tenure_months
          bins:
            - { below: 12, points: 10 }
            - { from: 12, points: 30 }
events:
  device_change: {}
  connect_fail: { network: [mobile, wifi], code: numeric }
journeys:
  aggregates:
    fails: { event: connect_fail, functions: [count], over: 7d, resolution: 1d }
  patterns:
    trouble:
      steps:
        - event: device_change
        - followedBy: connect_fail
          where: event.network == "mobile"
          times: 2+
      within: 1h
actions:
  fix: { kind: service, channels: [app], propensity: 0.9, value: 40, eligibility: journey.trouble and tenure_months > 3, suitability: tenure_months >= 0 }
  upgrade: { kind: sale, propensity: score.risk, value: 10, eligibility: 'plan != "premium"' }
policies:
  email_cap: { channel: email, max: 1, per: 7d }
  no_reoffer: { each: action, suppress: 1d }
`;
const BYTES = encodeBundle(compileSpec(new SpecSource(SPEC, 'limits.yaml'), { created: 'x' }));
const TELCO = readFileSync(join(import.meta.dirname, '..', 'models', 'telco.nbb'));

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<NextbestError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

function expectLimit(e: NextbestError, limit: LimitName): void {
  expect(e.code, e.message).toBe('LIMIT_EXCEEDED');
  expect(e.details).toMatchObject({ limit });
  expect(e.message).toContain(`limits.${limit}`);
}

describe('the limits option', () => {
  it('defaults never exceed ceilings; every name is documented in docs/operations.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'operations.md'), 'utf8');
    for (const n of LIMIT_NAMES) {
      expect(DEFAULT_LIMITS[n]).toBeLessThanOrEqual(LIMIT_CEILINGS[n]);
      expect(doc, `docs/operations.md lists ${n}`).toContain(`\`${n}\``);
    }
  });

  it('refuses unknown names and values that are not integers from 1 to the ceiling', async () => {
    for (const bad of [{ nope: 1 }, { actions: 0 }, { actions: 1.5 }, { actions: '3' }, { treeDepth: LIMIT_CEILINGS.treeDepth + 1 }, [], null]) {
      const e = await refusal(Engine.load(BYTES, { limits: bad as unknown as Partial<Limits> }));
      expect(e.code).toBe('OPTION_INVALID');
    }
    const e = await Engine.load(BYTES, { limits: { actions: 5, exprDepth: LIMIT_CEILINGS.exprDepth } });
    expect(e.limits).toMatchObject({ actions: 5, exprDepth: LIMIT_CEILINGS.exprDepth, models: DEFAULT_LIMITS.models });
  });
});

describe('bundle limits, at load', () => {
  // [limit, the value one below what this bundle needs]
  const cases: [LimitName, number][] = [
    ['bundleBytes', BYTES.length - 1],
    ['features', 1],
    ['categories', 2],
    ['stringLength', 'a_rather_long_plan_name'.length - 1],
    ['actions', 1],
    ['rules', 1],
    ['policies', 1],
    ['exprSourceLength', 10],
    ['eventTypes', 1],
    ['eventAttributes', 1],
    ['patternStates', 1],
    ['stateBytes', 16],
  ];
  for (const [limit, value] of cases) {
    it(`${limit}`, async () => {
      expectLimit(await refusal(Engine.load(BYTES, { limits: { [limit]: value } })), limit);
      // and a swap to such a bundle under such limits is refused the same way, the old bundle serving on
      const e = await Engine.load(BYTES);
      expectLimit(await refusal(e.swap(BYTES, { limits: { [limit]: value } })), limit);
      expect(e.limits[limit]).toBe(DEFAULT_LIMITS[limit]);
    });
  }

  it('trees, nodes per tree, nodes in total and depth (the telco churn model)', async () => {
    const e = await Engine.load(TELCO);
    const t = e.modelTable('churn') as TreesTable;
    const trees = t.treeGroup.length;
    expect(trees).toBeGreaterThan(100);
    expectLimit(await refusal(Engine.load(TELCO, { limits: { trees: trees - 1 } })), 'trees');
    expectLimit(await refusal(Engine.load(TELCO, { limits: { treeNodes: 3 } })), 'treeNodes');
    expectLimit(await refusal(Engine.load(TELCO, { limits: { nodes: trees } })), 'nodes');
    expectLimit(await refusal(Engine.load(TELCO, { limits: { treeDepth: 1 } })), 'treeDepth');
  });

  it('a bundle file over bundleBytes is refused before it is read', async () => {
    expectLimit(await refusal(Engine.load(join(import.meta.dirname, '..', 'models', 'telco.nbb'), { limits: { bundleBytes: 1000 } })), 'bundleBytes');
  });

  it('the spec compiler builds within the limits it is given', () => {
    const e = (() => {
      try {
        compileSpec(new SpecSource(SPEC, 'limits.yaml'), { created: 'x', limits: { exprSourceLength: 20 } });
      } catch (x) {
        return x as NextbestError;
      }
      throw new Error('expected a refusal');
    })();
    // the expression compiler's own code, with the position in the spec; details.limit names the limit all the same
    expect(e).toMatchObject({ code: 'EXPR_LIMIT', details: { limit: 'exprSourceLength', file: 'limits.yaml' } });
    expect(e.message).toContain('limits.exprSourceLength');
  });
});

describe('input limits, on every call', () => {
  const features = { tenure_months: 20, plan: 'basic' };

  it('strings longer than stringLength that match nothing: ids, category values, names, event types, channels', async () => {
    const e = await Engine.load(BYTES);
    const cases: [string, () => unknown][] = [
      ['customerId', () => e.decide({ customerId: LONG, features, context: { now: T } })],
      ['feature value', () => e.score('risk', { tenure_months: 3, plan: LONG })],
      ['feature name', () => e.score('risk', { [LONG]: 3 })],
      ['context value', () => e.decide({ features, context: { now: T, segment: LONG } })],
      ['context name', () => e.decide({ features, context: { now: T, [LONG]: 1 } })],
      ['channel', () => e.decide({ features, context: { now: T, channel: LONG } })],
      ['event type', () => e.observe('c1', { type: LONG, time: T })],
      ['event attribute', () => e.observe('c1', { type: 'connect_fail', time: T, network: LONG })],
      ['record action', () => e.record({ customerId: 'c1', actionId: LONG, channel: 'app', outcome: 'accept', at: T })],
      ['record channel', () => e.record({ customerId: 'c1', actionId: 'fix', channel: LONG, outcome: 'accept', at: T })],
      ['model id', () => e.score(LONG, features)],
    ];
    for (const [what, call] of cases) {
      const err = await refusal(call);
      expect(err.code, `${what}: ${err.message}`).toBe('LIMIT_EXCEEDED');
      expectLimit(err, 'stringLength');
    }
    // unknownCategory: 'missing' does not turn an over-long value into a missing one
    const lax = await Engine.load(BYTES, { encode: { unknownCategory: 'missing' } });
    expectLimit(await refusal(() => lax.score('risk', { tenure_months: 3, plan: LONG })), 'stringLength');
    expect(lax.score('risk', { tenure_months: 3, plan: 'x'.repeat(100) })).toHaveLength(1);
    // a raised limit lets the same strings through to their usual errors
    const raised = await Engine.load(BYTES, { limits: { stringLength: LONG.length } });
    expect((await refusal(() => raised.score('risk', { tenure_months: 3, plan: LONG }))).code).toBe('FEATURE_CATEGORY');
    expect(raised.decide({ customerId: LONG, features, context: { now: T } }).actions.length).toBeGreaterThan(0);
  });

  it('keys of a feature object with ignoreUnknown, and rows of scoreBatch', async () => {
    const e = await Engine.load(BYTES, { encode: { ignoreUnknown: true }, limits: { features: 8, batchSize: 4 } });
    const wide: Record<string, number> = { tenure_months: 5 };
    for (let i = 0; i < 7; i++) wide[`extra${i}`] = i;
    expect(e.score('risk', wide)).toHaveLength(1); // 8 keys
    wide.extra7 = 7;
    expectLimit(await refusal(() => e.score('risk', wide)), 'features');
    expect(e.scoreBatch('risk', new Float32Array(4 * 2), 4)).toHaveLength(4);
    expectLimit(await refusal(() => e.scoreBatch('risk', new Float32Array(5 * 2), 5)), 'batchSize');
  });
});
