/**
 * Triggers (docs/decisions.md, "Triggers"): the `decide` option of observe
 * and advance (checked before any state changes), requests listed on their
 * match, the order of several triggers, the trigger's own context fields,
 * per-customer options in advanceAll, and the compile-time and load-time
 * checks of the `triggers` section.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { BundlePayload } from '../../src/bundle/format.js';
import { BANK, TELCO } from '../helpers/journey-bundles.js';
import { errorOf } from '../helpers/errors.js';

const M = 60_000;
const H = 60 * M;
const T = Date.UTC(2024, 10, 23, 9, 55);
const CUSTOMER = { tenure_months: 30, plan: 'standard' };

const build = (spec: string) => compileSpec(new SpecSource(spec, 'triggers.yaml'), { created: 'fixed' });
const load = (spec: string | BundlePayload) => Engine.load(encodeBundle(typeof spec === 'string' ? build(spec) : spec));


/** Events up to (not including) the one that completes connection_trouble. */
function almost(e: Engine, id: string) {
  e.observe(id, { type: 'device_change', time: T, model: 1 });
  e.observe(id, { type: 'connect_fail', time: T + M, network: 'mobile' });
  e.observe(id, { type: 'connect_fail', time: T + 2 * M, network: 'mobile' });
}
const completing = { type: 'connect_fail', time: T + 3 * M, network: 'mobile' };

describe('triggers', () => {
  it('checks the decide option before observing: a refused option leaves the state as it was', async () => {
    const e = await load(TELCO);
    almost(e, 'c');
    const before = e.store.get('c')!.slice();
    const events = e.journeyStats.events;
    const cases: [unknown, RegExp][] = [
      ['yes', /^OPTION_INVALID: decide must be true, false or/],
      [{ limit: 3 }, /^OPTION_INVALID: unknown decide option "limit"/],
      [{ explain: 'yes' }, /^OPTION_INVALID: explain must be true or false/],
      [{ seed: -1 }, /^OPTION_INVALID: seed must be a non-negative safe integer/],
      [{ context: { now: 1 } }, /^OPTION_INVALID: decide\.context\.now is set by the trigger/],
      [{ context: { channel: 'app' } }, /^OPTION_INVALID: decide\.context\.channel is set by the trigger/],
      [{ context: 'home' }, /^OPTION_INVALID: decide\.context must be an object/],
      [{ context: { placement: 'nowhere' } }, /^CONTEXT_INVALID: context\.placement: "nowhere" is not one of home, inbox, callback/],
      [{ context: { placment: 'home' } }, /^CONTEXT_INVALID: unknown context field "placment"; did you mean "placement"/],
      [{ features: { tenure: 3 } }, /^FEATURE_UNKNOWN: unknown feature "tenure"/],
      [{ features: { plan: 'gold' } }, /^FEATURE_CATEGORY: feature "plan": "gold" is not one of/],
      [{ features: new Float32Array(5) }, /^ROWS_SHAPE: decide\.features: a Float32Array must hold the 2 features/],
      [{ features: 'x' }, /^OPTION_INVALID: decide\.features must be a feature object or a Float32Array/],
    ];
    for (const [decide, want] of cases) {
      expect(errorOf(() => e.observe('c', completing, { decide: decide as never })), JSON.stringify(decide)).toMatch(want);
      expect(errorOf(() => e.observeState(before, completing, { decide: decide as never }))).toMatch(want);
    }
    expect(Buffer.from(e.store.get('c')!).equals(Buffer.from(before))).toBe(true);
    expect(e.journeyStats.events).toBe(events);
    expect(errorOf(() => e.advance('c', T, { decide: 'no' as never }))).toMatch(/^OPTION_INVALID/);
    expect(errorOf(() => e.decide({ features: CUSTOMER, context: { now: T } }, { matches: [{ journey: 'x' }] as never }))).toMatch(
      /^OPTION_INVALID: matches must be an array of journey matches/,
    );
    // the same event with a good option completes the journey
    expect(e.observe('c', completing, { decide: { features: CUSTOMER } }).decisions).toHaveLength(1);
  });

  it('decide: false lists the requests on their match; several triggers run in match then trigger order', async () => {
    const spec = TELCO.replace(
      'triggers:\n',
      'triggers:\n  trouble_app:\n    journey: connection_trouble\n    channel: app\n    limit: 2\n',
    );
    const e = await load(spec);
    expect(e.triggers.map((t) => t.id)).toEqual(['trouble_app', 'trouble_callback', 'walkout_winback']);
    almost(e, 'c');
    const listed = e.observe('c', completing, { decide: false });
    expect(listed.decisions).toBeUndefined();
    expect(listed.matches[0]!.triggered!.map((r) => [r.trigger, r.channel, r.limit, r.decision])).toEqual([
      ['trouble_app', 'app', 2, undefined],
      ['trouble_callback', 'call_center', 1, undefined],
    ]);
    almost(e, 'd');
    const made = e.observe('d', completing, { features: CUSTOMER });
    expect(made.decisions!.map((r) => [r.trigger, r.decision.actions.map((a) => `${a.id}@${a.channel}`)])).toEqual([
      ['trouble_app', ['network_fix_callback@app', 'device_setup_help@app']],
      ['trouble_callback', ['network_fix_callback@call_center']],
    ]);
    // no explanation unless asked
    expect(made.decisions![0]!.decision.explanation).toBeUndefined();
  });

  it("the trigger's context fields win over the caller's; decide.features replace the event's features", async () => {
    const e = await load(TELCO);
    almost(e, 'c');
    const r = e.observe('c', completing, { features: CUSTOMER, decide: { context: { placement: 'home' } } });
    expect(r.decisions![0]!.context).toEqual({ now: T + 3 * M, channel: 'call_center', placement: 'callback' });

    const bank = await load(BANK);
    const at = Date.UTC(2024, 10, 20, 14);
    for (const [i, amount] of [1500, 1500].entries()) bank.observe('b', { type: 'card_payment', time: at - (2 - i) * H, amount });
    const own = bank.observe('b', { type: 'atm_decline', time: at, reason: 'insufficient_funds' }, { features: { credit_score: 700 }, decide: { features: { credit_score: 500 } } });
    expect(own.decisions![0]!.decision.actions.map((a) => a.id)).toEqual(['budgeting_tips']); // the loan needs credit_score >= 600
  });

  it('advanceAll with a per-customer option: a refused one is reported on its requests, and the sweep goes on', async () => {
    const e = await load(TELCO);
    for (const id of ['a', 'b', 'c']) {
      e.observe(id, { type: 'view_retention_offer', time: T });
      e.observe(id, { type: 'store_visit', time: T + H });
    }
    const swept = e.advanceAll(T + H + 24 * H, { decide: (id) => (id === 'b' ? { features: { plan: 'gold' } } : id === 'c' ? false : { features: CUSTOMER }) });
    expect([...swept.keys()]).toEqual(['a', 'b', 'c']);
    const req = (id: string) => swept.get(id)![0]!.triggered![0]!;
    expect(req('a').decision!.actions.map((a) => a.id)).toEqual(['retention_discount']);
    expect(req('b').decision).toBeUndefined();
    expect(req('b').error).toBeInstanceOf(NextbestError);
    expect(req('b').error!.code).toBe('FEATURE_CATEGORY');
    expect(req('c')).not.toHaveProperty('decision');
    expect(req('c')).not.toHaveProperty('error');
    // the iterator form yields the same
    for (const id of ['d']) {
      e.observe(id, { type: 'view_retention_offer', time: T });
      e.observe(id, { type: 'store_visit', time: T + H });
    }
    const it = [...e.advanceAllIterator(T + 2 * H + 24 * H, { decide: { features: CUSTOMER } })];
    expect(it.map((x) => [x.customerId, x.matches[0]!.triggered![0]!.decision!.actions[0]!.id])).toEqual([['d', 'retention_discount']]);
  });

  it('checks triggers at compile time: context fields, triggers without actions', () => {
    const err = (spec: string) => {
      try {
        build(spec);
      } catch (e) {
        return (e as NextbestError).message;
      }
      return 'compiled';
    };
    const ctx = (c: string) => TELCO.replace('context: { placement: callback }', `context: ${c}`);
    expect(err(ctx('{ placement: home }'))).toBe('compiled');
    expect(err(ctx('{ placment: home }'))).toMatch(/triggers\.yaml:\d+:\d+: .*unknown context field "placment"; did you mean "placement"\?/);
    expect(err(ctx('{ placement: attic }'))).toMatch(/unknown value of context\.placement "attic" \(known: home, inbox, callback\)/);
    expect(err(ctx('{ now: 3 }'))).toMatch(/`now` is set by the trigger itself \(the time of the match\)/);
    expect(err(ctx('{ channel: app }'))).toMatch(/`channel` is set by the trigger itself \(its `channel`\)/);
    expect(err(ctx('home'))).toMatch(/a trigger's context is a map of context fields to values/);
    const noActions = 'bundle: x\nversion: "1"\nfeatures:\n  f: numeric\nevents:\n  a: {}\njourneys:\n  patterns:\n    j:\n      steps:\n        - event: a\ntriggers:\n  t: { journey: j }\n';
    expect(err(noActions)).toMatch(/triggers need actions: add an actions section/);
  });

  it('validates trigger context fields at load', async () => {
    const payload = build(TELCO);
    const loadWith = async (mutate: (t: Record<string, unknown>) => void) => {
      const p = structuredClone(payload) as BundlePayload & { decisions: { triggers: Record<string, unknown>[] } };
      mutate(p.decisions.triggers[0]!);
      try {
        await load(p);
      } catch (e) {
        if (e instanceof NextbestError) return `${e.code}: ${e.message}`;
        throw e;
      }
      return 'loaded';
    };
    expect(await loadWith(() => {})).toBe('loaded');
    expect(await loadWith((t) => (t.context = { placement: 'attic' }))).toMatch(/^BUNDLE_INVALID: decisions\.triggers\[0\]\.context\.placement: "attic" is not one of its categories/);
    expect(await loadWith((t) => (t.context = { channel: 'app' }))).toMatch(/^BUNDLE_INVALID: .*"channel" is not a context field a trigger may set/);
    expect(await loadWith((t) => (t.context = { weather: 1 }))).toMatch(/"weather" is not a context field/);
    expect(await loadWith((t) => (t.context = { placement: 2 }))).toMatch(/context\.placement: expected a string/);
    expect(await loadWith((t) => (t.context = [1]))).toMatch(/triggers\[0\]\.context: expected a map/);
  });
});
