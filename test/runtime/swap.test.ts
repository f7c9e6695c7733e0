/**
 * engine.swap: atomic replacement of the bundle, failed swaps leaving the old
 * bundle serving, customer state migrated per part (journeys, aggregates,
 * policies) lazily from the store and in the pure forms, learning carried
 * over for models with the same binning (counts, unshipped deltas, logged
 * offers), the swap event. docs/operations.md "Hot reload" is the reference.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, generateKeyPair, signBundle, SpecSource, type SwapEvent } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { MemoryStore } from '../../src/state/memory.js';
import { VARIANTS } from '../helpers/random.js';
import { codeOfAsync } from '../helpers/errors.js';

const T = Date.UTC(2026, 0, 5, 9, 0);
const M = 60_000;
const H = 60 * M;
const D = 24 * H;

interface Variant {
  version: string;
  /** The connection_trouble pattern's `times`. */
  times?: string;
  /** An extra pattern. */
  extraPattern?: boolean;
  /** The email cap's max. */
  emailMax?: number;
  /** The adaptive model's tenure thresholds. */
  thresholds?: string;
  /** Without the discount action. */
  noDiscount?: boolean;
  /** A pattern completed by time alone (an absence at the end). */
  absence?: boolean;
}

function spec(v: Variant): string {
  return `
bundle: swap
version: "${v.version}"
features: { tenure_months: numeric, plan: [basic, premium] }
context: { channel: [app, email] }
models:
  offers:
    adaptive:
      instances: action
      predictors: { tenure_months: { thresholds: ${v.thresholds ?? '[12, 36]'} }, plan: {} }
      exploration: { method: none }
events:
  device_change: {}
  connect_fail: { network: [mobile, wifi] }
  payment: { amount: numeric }
journeys:
  aggregates:
    spend: { event: payment, value: event.amount, functions: [sum], over: 7d, resolution: 1d }
  patterns:
    connection_trouble:
      steps:
        - event: device_change
        - followedBy: connect_fail
          where: event.network == "mobile"
          times: ${v.times ?? '3+'}
      within: 1h
${v.extraPattern ? `    double_payment:
      steps:
        - event: payment
          as: first
        - followedBy: payment
          as: second
      within: 1h
` : ''}${v.absence ? `    quiet_after_change:
      steps:
        - event: device_change
        - notFollowedBy: payment
          within: 30m
      within: 1h
` : ''}
groups:
  care: { suppresses: { kind: sale } }
actions:
  fix_network: { kind: service, group: care, channels: [app], propensity: 0.9, value: 40, eligibility: journey.connection_trouble }
  upgrade: { kind: sale, propensity: score.offers, value: 10 }
${v.noDiscount ? '' : '  discount: { kind: sale, propensity: score.offers, value: 10 }\n'}policies:
  email_cap: { channel: email, max: ${v.emailMax ?? 1}, per: 7d }
  no_reoffer: { each: action, suppress: 1d }
arbitration: { limit: 1 }
`;
}

const bytesOf = (v: Variant) => encodeBundle(compileSpec(new SpecSource(spec(v), `swap-${v.version}.yaml`), { created: 'x' }));
const V1 = bytesOf({ version: '1' });
const features = { tenure_months: 20, plan: 'basic' };


function trouble(e: Engine, id: string, fails: number, t0 = T): number {
  e.observe(id, { type: 'device_change', time: t0 });
  for (let i = 1; i <= fails; i++) e.observe(id, { type: 'connect_fail', time: t0 + i * M, network: 'mobile' });
  return t0 + fails * M;
}

describe('engine.swap', () => {
  for (const wasm of VARIANTS) {
    it(`switches atomically: info, event, every later call on the new bundle (${wasm})`, async () => {
      const e = await Engine.load(V1, { wasm });
      const events: SwapEvent[] = [];
      e.on('swap', (ev) => events.push(ev));
      const before = e.info;
      const v2 = bytesOf({ version: '2', noDiscount: true });
      const pending = e.swap(v2);
      // a swap never switches inside the current synchronous code: calls here still see version 1
      expect(e.info.version).toBe('1');
      expect(e.actionIds).toContain('discount');
      const ev = await pending;
      expect(e.info.version).toBe('2');
      expect(e.actionIds).not.toContain('discount');
      expect(ev).toBe(events[0]);
      expect(ev).toMatchObject({ swap: 1, previous: { sha256: before.sha256, version: '1' }, current: { version: '2', sha256: e.info.sha256 } });
      expect(ev.durationMs).toBeGreaterThan(0);
      expect(ev.state).toEqual({ layoutChanged: true, carried: expect.any(Array), reset: expect.any(Array) });
      // swaps run one after the other, in call order
      const [a, b] = await Promise.all([e.swap(V1), e.swap(v2)]);
      expect([a.swap, b.swap, a.current.version, b.current.version]).toEqual([2, 3, '1', '2']);
      expect(e.info.version).toBe('2');
    });
  }

  it('a bundle that fails any check throws its typed error and the old bundle keeps serving', async () => {
    const k = generateKeyPair();
    const e = await Engine.load(signBundle(V1, k.privateKeyPem), { trustedKeys: [k.publicKeyPem] });
    const served = e.info;
    const d0 = e.decide({ features, context: { now: T, channel: 'app' } });
    const flipped = signBundle(bytesOf({ version: '2' }), k.privateKeyPem);
    flipped[flipped.length - 40]! ^= 1;
    expect(await codeOfAsync(e.swap(flipped))).toMatch(/BUNDLE_(CHECKSUM|SIGNATURE|DECODE)/);
    expect(await codeOfAsync(e.swap(bytesOf({ version: '2' })))).toBe('BUNDLE_UNSIGNED');
    expect(await codeOfAsync(e.swap(signBundle(bytesOf({ version: '2' }), generateKeyPair().privateKeyPem)))).toBe('BUNDLE_SIGNATURE');
    expect(await codeOfAsync(e.swap(V1.subarray(0, 100)))).toBe('BUNDLE_TRUNCATED');
    expect(await codeOfAsync(e.swap('/nonexistent/bundle.nbb'))).toBe('ARGUMENT_INVALID');
    expect(await codeOfAsync(e.swap(signBundle(bytesOf({ version: '2' }), k.privateKeyPem), { limits: { actions: 2 } }))).toBe('LIMIT_EXCEEDED');
    expect(await codeOfAsync(e.swap(V1, { wasm: 'debug' } as never))).toBe('OPTION_INVALID');
    expect(e.info).toBe(served);
    expect(e.decide({ features, context: { now: T, channel: 'app' } })).toEqual(d0);
    // key rotation: the new keys verify this swap and the next ones
    const k2 = generateKeyPair();
    await e.swap(signBundle(bytesOf({ version: '2' }), k2.privateKeyPem), { trustedKeys: [k2.publicKeyPem] });
    expect(e.info).toMatchObject({ version: '2', verified: true, keyId: k2.keyId });
    expect(await codeOfAsync(e.swap(signBundle(V1, k.privateKeyPem)))).toBe('BUNDLE_SIGNATURE');
  });

  it('a listener that throws does not undo or fail a swap', async () => {
    const e = await Engine.load(V1);
    e.on('swap', () => {
      throw new Error('listener bug');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    await e.swap(bytesOf({ version: '2' }));
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(e.info.version).toBe('2');
    expect(warnings.some((w) => w.includes('listener bug'))).toBe(true);
  });
});

describe('customer state across a swap', () => {
  for (const wasm of VARIANTS) {
    it(`unchanged parts carry over, changed parts start fresh, lazily from the store (${wasm})`, async () => {
      const store = new MemoryStore();
      const e = await Engine.load(V1, { wasm, store });
      // c1: a partial match (device change + 2 mobile fails), spending, an email impression
      const t = trouble(e, 'c1', 2);
      e.observe('c1', { type: 'payment', time: t + M, amount: 120 });
      e.record({ customerId: 'c1', actionId: 'upgrade', channel: 'email', outcome: 'impression', at: t + 2 * M });
      // c2: the same, to be read after the second swap (a layout two swaps old)
      trouble(e, 'c2', 2);
      e.record({ customerId: 'c2', actionId: 'upgrade', channel: 'email', outcome: 'impression', at: t + 2 * M });
      const oldHash = e.stateLayout!.hash;

      // v2: a new pattern (new layout); connection_trouble, spend and both policies unchanged
      const ev = await e.swap(bytesOf({ version: '2', extraPattern: true }));
      expect(ev.state!.layoutChanged).toBe(true);
      expect(ev.state!.carried).toEqual(expect.arrayContaining(['journeys/header', 'journey/connection_trouble', 'aggregate/spend', 'policy/email_cap', 'policy/no_reoffer/upgrade']));
      expect(ev.state!.reset).toEqual(['journey/double_payment']);
      const header = (id: string) => new DataView(store.peek(id)!.buffer, store.peek(id)!.byteOffset).getUint32(4, true);
      expect(header('c1')).toBe(oldHash); // nothing is rewritten at the swap
      // the third mobile fail completes the match started before the swap
      const r = e.observe('c1', { type: 'connect_fail', time: t + 3 * M, network: 'mobile' });
      expect(r.matches.map((m) => m.journey)).toEqual(['connection_trouble']);
      expect(header('c1')).toBe(e.stateLayout!.hash); // migrated on first read, written back
      expect(e.journeyValues('c1', t + 4 * M)['journey.spend.sum']).toBe(120);
      // the email cap still remembers the impression: no email offer within 7 days
      expect(e.decide({ customerId: 'c1', features, context: { now: t + 5 * M, channel: 'email' } }).actions).toEqual([]);

      // v3: connection_trouble needs 2 fails now (its meaning changed), the email cap allows 2
      const ev3 = await e.swap(bytesOf({ version: '3', times: '2+', emailMax: 2 }));
      expect(ev3.state!.reset).toEqual(expect.arrayContaining(['journey/connection_trouble', 'policy/email_cap']));
      expect(ev3.state!.carried).toEqual(expect.arrayContaining(['aggregate/spend', 'policy/no_reoffer/upgrade']));
      expect(e.migrator.migrated).toBe(1);
      // c2 was written under v1 (two swaps ago): its partial match is gone, its email history too
      expect(e.observe('c2', { type: 'connect_fail', time: t + 3 * M, network: 'mobile' }).matches).toEqual([]);
      expect(e.decide({ customerId: 'c2', features, context: { now: t + 5 * M, channel: 'email' } }).actions.map((a) => a.id)).toEqual(['discount']);
      // but the per-action suppression of upgrade (unchanged) still holds for c2: upgrade was shown 3 minutes ago
      expect(e.decide({ customerId: 'c2', features, context: { now: t + 5 * M, channel: 'app' } }, { explain: true }).explanation!.candidates.find((c) => c.action === 'upgrade')!.stage).toBe('policy');
    });
  }

  it('a sweep that spans a swap advances every customer, each on the bundle current when it is reached', async () => {
    const e = await Engine.load(bytesOf({ version: '1', absence: true }));
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) e.observe(id, { type: 'device_change', time: T });
    const seen: string[] = [];
    for (const { customerId, matches } of e.advanceAllIterator(T + H)) {
      expect(matches.map((m) => m.journey)).toEqual(['quiet_after_change']);
      seen.push(customerId);
      if (seen.length === 1) {
        await e.swap(bytesOf({ version: '2', absence: true, extraPattern: true }));
        expect(e.info.version).toBe('2');
      }
    }
    expect(seen).toEqual(ids);
    // every customer was advanced exactly once: nothing fires again
    expect(e.advanceAll(T + 2 * H).size).toBe(0);
    for (const id of ids) expect(e.journeyValues(id, T + 2 * H)['journey.quiet_after_change.count']).toBe(1);
  });

  it('the pure forms migrate state bytes written before a swap; unknown layouts stay STATE_INVALID', async () => {
    const e = await Engine.load(V1);
    let s = e.observeState(undefined, { type: 'device_change', time: T }).state;
    for (let i = 1; i <= 2; i++) s = e.observeState(s, { type: 'connect_fail', time: T + i * M, network: 'mobile' }).state;
    s = e.recordState(s, { actionId: 'upgrade', channel: 'email', outcome: 'impression', at: T + 3 * M });
    const old = s.slice();
    const other = (await Engine.load(bytesOf({ version: 'x', extraPattern: true, emailMax: 3 }))).observeState(undefined, { type: 'payment', time: T, amount: 1 }).state;
    await e.swap(bytesOf({ version: '2', extraPattern: true }));
    expect(e.migrateState(old)).not.toBe(old);
    expect(e.migrateState(old).length).toBe(e.stateLayout!.size);
    const r = e.observeState(old, { type: 'connect_fail', time: T + 4 * M, network: 'mobile' });
    expect(r.matches.map((m) => m.journey)).toEqual(['connection_trouble']);
    expect(old).toEqual(s); // the input is left alone
    const { decision, state } = e.decideState(old, { features, context: { now: T + 5 * M, channel: 'email' } });
    expect(decision.actions).toEqual([]); // the email cap
    expect(state.length).toBe(e.stateLayout!.size);
    expect(e.recordState(old, { actionId: 'upgrade', channel: 'app', outcome: 'accept', at: T + 6 * M }).length).toBe(e.stateLayout!.size);
    expect(e.advanceState(old, T + 7 * M).state.length).toBe(e.stateLayout!.size);
    expect(e.journeyValues(old, T + 7 * M)['journey.connection_trouble']).toBe(false);
    // state of a bundle this engine never served is not guessed at
    expect(() => e.decideState(other, { features, context: { now: T, channel: 'app' } })).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
  });
});

describe('learning across a swap', () => {
  it('carries counts, unshipped deltas and logged offers of models with the same binning', async () => {
    const e = await Engine.load(V1);
    // learn a little: decide for customers and record outcomes
    for (let i = 0; i < 12; i++) {
      const d = e.decide({ customerId: `c${i}`, features, context: { now: T + i, channel: 'app' } });
      const top = d.actions[0]!;
      e.record({ customerId: `c${i}`, actionId: top.id, channel: 'app', outcome: top.id === 'discount' ? 'accept' : 'reject', at: T + i });
    }
    e.learning.delta(); // shipped
    const d = e.decide({ customerId: 'late', features, context: { now: T + 100, channel: 'app' } });
    e.record({ customerId: 'c-x', actionId: 'upgrade', outcome: 'reject', channel: 'app', at: T + 50 }); // no decision: not learned
    const before = e.learning.report('offers', { action: 'discount' });
    const learnedBefore = e.learning.observe('offers', { action: 'upgrade' }, features);
    e.learning.learn(learnedBefore, 'reject'); // local, not shipped
    const snapshot = e.learning.snapshot();

    const ev = await e.swap(bytesOf({ version: '2', extraPattern: true }));
    expect(ev.learning).toEqual({ carried: ['offers'], reset: [], droppedInstances: 0 });
    expect(e.learning.snapshot()).toEqual(snapshot);
    expect(e.learning.report('offers', { action: 'discount' })).toEqual(before);
    // the unshipped reject is in the next delta, once
    const delta = e.learning.delta();
    const fresh = await Engine.load(bytesOf({ version: '2' }));
    expect(fresh.learning.merge(delta)).toMatchObject({ negatives: 1, positives: 0 });
    // the offer decided before the swap is learned from after it
    const top = d.actions[0]!;
    expect(e.record({ customerId: 'late', actionId: top.id, channel: 'app', outcome: 'accept', at: T + 200 }).learning).toMatchObject({ learned: true, modelId: 'offers' });

    // rebinned: the model starts from the new bundle's state; a removed action's instance is dropped
    const ev2 = await e.swap(bytesOf({ version: '3', thresholds: '[6, 24]' }));
    expect(ev2.learning).toEqual({ carried: [], reset: ['offers'], droppedInstances: 0 });
    // the decisions' instances exist from load (one per action), with the new bundle's counts: none
    expect(e.learning.keys('offers')).toEqual(['discount', 'upgrade']);
    expect(e.learning.report('offers', { action: 'discount' })).toMatchObject({ positives: 0, negatives: 0 });
    expect(before.positives + before.negatives).toBeGreaterThan(0);
    const ev3 = await e.swap(bytesOf({ version: '4', thresholds: '[6, 24]' }));
    expect(ev3.learning.carried).toEqual(['offers']);
    e.learning.learn(e.learning.observe('offers', { action: 'discount' }, features), 'accept');
    const ev4 = await e.swap(bytesOf({ version: '5', thresholds: '[6, 24]', noDiscount: true }));
    expect(ev4.learning).toEqual({ carried: ['offers'], reset: [], droppedInstances: 1 });
    expect(e.learning.keys('offers')).not.toContain('discount');
  });

  it('a swap that would exceed learning.maxInstances fails and changes nothing', async () => {
    const e = await Engine.load(V1, { learning: { maxInstances: 3 } });
    for (const action of ['upgrade', 'discount']) e.learning.learn(e.learning.observe('offers', { action }, features), 'accept');
    expect(e.learning.instances).toBe(2);
    // a bundle whose starting learning already holds 2 other instances cannot take both carried ones
    const other = await Engine.load(bytesOf({ version: 's' }), { learning: { maxInstances: 10 } });
    for (const action of ['a1', 'a2']) other.learning.learn(other.learning.observe('offers', { action }, features), 'accept');
    const payload = compileSpec(new SpecSource(spec({ version: '2' }), 'v2.yaml'), { created: 'x' });
    payload.learning = other.learning.snapshot();
    const snapshot = e.learning.snapshot();
    const err = await e.swap(encodeBundle(payload)).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(e.info.version).toBe('1');
    expect(e.learning.snapshot()).toEqual(snapshot);
  });
});
