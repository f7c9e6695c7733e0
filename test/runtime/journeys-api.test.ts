/**
 * The journey API around the kernel: the pure form, typed errors for bad
 * events and states, features, stats, bundles without journeys, and the
 * kernel's safety on arbitrary state bytes (debug build: any assertion would
 * throw WASM_ABORT).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource, type JourneyEvent } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { mulberry32, randInt } from '../helpers/random.js';
import { randomJourneySpec, randomStream, T0 } from '../helpers/journeys.js';
import { codeOf } from '../helpers/errors.js';

const BUNDLE = join(__dirname, '..', '..', 'models', 'journeys.nbb');
const T = Date.UTC(2024, 10, 23, 9, 55);
const M = 60_000;


describe('journeys API', () => {
  it('observeState is pure: it returns new bytes and leaves its input alone', async () => {
    const e = await Engine.load(BUNDLE);
    const s0 = e.observeState(undefined, { type: 'device_change', time: T }).state;
    const copy = s0.slice();
    const s1 = e.observeState(s0, { type: 'connect_fail', time: T + M, network: 'mobile' }).state;
    expect(s0).toEqual(copy);
    expect(s1).not.toEqual(s0);
    expect(s1.byteLength).toBe(e.journeys!.stateSize);
    // the same input gives the same output
    expect(e.observeState(s0, { type: 'connect_fail', time: T + M, network: 'mobile' }).state).toEqual(s1);
    expect(e.store.size).toBe(0);
  });

  it('observeState writes into a caller array when asked (in place, the same result)', async () => {
    const e = await Engine.load(BUNDLE);
    const s0 = e.observeState(undefined, { type: 'device_change', time: T }).state;
    const ev = { type: 'connect_fail', time: T + M, network: 'mobile' };
    const copy = e.observeState(s0, ev).state;
    const mine = s0.slice();
    const r = e.observeState(mine, ev, { into: mine });
    expect(r.state).toBe(mine);
    expect(mine).toEqual(copy);
    const other = new Uint8Array(s0.byteLength);
    expect(e.observeState(s0, ev, { into: other }).state).toBe(other);
    expect(other).toEqual(copy);
    expect(codeOf(() => e.observeState(s0, ev, { into: new Uint8Array(3) }))).toBe('ARGUMENT_INVALID');
  });

  it('refuses bad events with typed errors and counts them', async () => {
    const e = await Engine.load(BUNDLE);
    const bad: [unknown, string][] = [
      [null, 'ARGUMENT_INVALID'],
      [[1, 2], 'ARGUMENT_INVALID'],
      [{ time: T }, 'EVENT_TYPE'],
      [{ type: 'no_such_event', time: T }, 'EVENT_TYPE'],
      [{ type: 'device_change' }, 'EVENT_TIME'],
      [{ type: 'device_change', time: NaN }, 'EVENT_TIME'],
      [{ type: 'device_change', time: Infinity }, 'EVENT_TIME'],
      [{ type: 'device_change', time: T + 0.5 }, 'EVENT_TIME'],
      [{ type: 'device_change', time: -1 }, 'EVENT_TIME'],
      [{ type: 'device_change', time: 2 ** 48 }, 'EVENT_TIME'],
      [{ type: 'device_change', time: String(T) }, 'EVENT_TIME'],
      [{ type: 'connect_fail', time: T, network: 'satellite' }, 'EVENT_ATTRIBUTE'],
      [{ type: 'connect_fail', time: T, network: 7 }, 'EVENT_ATTRIBUTE'],
      [{ type: 'connect_fail', time: T, network: 1.5 }, 'EVENT_ATTRIBUTE'],
      [{ type: 'card_payment', time: T, amount: '12' }, 'EVENT_ATTRIBUTE'],
      [{ type: 'card_payment', time: T, amount: { v: 1 } }, 'EVENT_ATTRIBUTE'],
      [{ type: 'device_change', time: T, model: 'iphone' }, 'EVENT_ATTRIBUTE'], // categorical without a dictionary: codes only
    ];
    for (const [ev, code] of bad) {
      expect(codeOf(() => e.observe('c', ev as JourneyEvent)), JSON.stringify(ev)).toBe(code);
      expect(codeOf(() => e.observeState(undefined, ev as JourneyEvent)), JSON.stringify(ev)).toBe(code);
    }
    expect(e.journeyStats.invalid).toBe(bad.length * 2);
    expect(e.journeyStats.events).toBe(0);
    expect(e.store.size).toBe(0);
    const err = (() => {
      try {
        e.observe('c', { type: 'connect_fail', time: T, network: 'satellite' });
      } catch (x) {
        return x as NextbestError;
      }
    })()!;
    expect(err.message).toContain('"satellite" is not a category of attribute "network" (mobile, wifi, fixed)');
    expect(err.details).toMatchObject({ type: 'connect_fail', attribute: 'network' });
    // accepted: codes in range, booleans for numbers, null or absent attributes (missing), unknown attributes (ignored)
    for (const ev of [
      { type: 'connect_fail', time: T, network: 1 },
      { type: 'connect_fail', time: T, network: null },
      { type: 'connect_fail', time: T },
      { type: 'card_payment', time: T, amount: true, merchant: 'fuel', customerId: 'c', source: 'pos' },
      { type: 'device_change', time: T, model: 3 },
    ]) {
      expect(codeOf(() => e.observe('c', ev as JourneyEvent)), JSON.stringify(ev)).toBe('ok');
    }
    expect(codeOf(() => e.observe('', { type: 'device_change', time: T }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => e.observe(42 as unknown as string, { type: 'device_change', time: T }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => e.advance('c', NaN))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => e.advance('c', -5))).toBe('ARGUMENT_INVALID');
  });

  it('maps unknown categories to missing when the engine is told to', async () => {
    const e = await Engine.load(BUNDLE, { encode: { unknownCategory: 'missing' } });
    expect(codeOf(() => e.observe('c', { type: 'connect_fail', time: T, network: 'satellite' }))).toBe('ok');
  });

  it('refuses required attributes that are missing', async () => {
    const spec = `bundle: r\nversion: "1"\nfeatures: {}\nevents:\n  pay:\n    amount: { type: numeric, required: true }\njourneys:\n  patterns:\n    p:\n      steps:\n        - event: pay\n`;
    const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec))));
    expect(codeOf(() => e.observe('c', { type: 'pay', time: T }))).toBe('EVENT_ATTRIBUTE');
    expect(codeOf(() => e.observe('c', { type: 'pay', time: T, amount: NaN }))).toBe('EVENT_ATTRIBUTE');
    expect(e.observe('c', { type: 'pay', time: T, amount: 3 }).matches.length).toBe(1);
  });

  it('refuses state bytes of another bundle or shape', async () => {
    const e = await Engine.load(BUNDLE);
    const good = e.observeState(undefined, { type: 'device_change', time: T }).state;
    const ev = { type: 'device_change', time: T + M };
    expect(codeOf(() => e.observeState(good.subarray(1), ev))).toBe('STATE_INVALID');
    expect(codeOf(() => e.observeState([...good] as unknown as Uint8Array, ev))).toBe('STATE_INVALID');
    const wrongHash = good.slice();
    wrongHash[5] ^= 1;
    expect(codeOf(() => e.observeState(wrongHash, ev))).toBe('STATE_INVALID');
    const wrongMagic = good.slice();
    wrongMagic[0] ^= 1;
    expect(codeOf(() => e.observeState(wrongMagic, ev))).toBe('STATE_INVALID');
    expect(codeOf(() => e.advanceState(wrongMagic, T))).toBe('STATE_INVALID');
    expect(codeOf(() => e.journeyValues(wrongMagic, T))).toBe('STATE_INVALID');
  });

  it('passes features to conditions (missing when not given)', async () => {
    const spec = `bundle: f\nversion: "1"\nfeatures:\n  tenure: numeric\n  plan: [basic, gold]\nevents:\n  login: {}\njourneys:\n  patterns:\n    loyal:\n      steps:\n        - event: login\n          where: tenure > 12 and plan == "gold"\n`;
    const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec))));
    const login = (t: number): JourneyEvent => ({ type: 'login', time: t });
    expect(e.observe('c', login(T)).matches).toEqual([]);
    expect(e.observe('c', login(T + 1), { features: { tenure: 13, plan: 'gold' } }).matches.length).toBe(1);
    expect(e.observe('c', login(T + 2), { features: { tenure: 13, plan: 'basic' } }).matches.length).toBe(0);
    expect(e.observe('c', login(T + 3), { features: new Float32Array([20, 1]) }).matches.length).toBe(1);
    expect(e.observe('c', login(T + 4)).matches.length).toBe(0); // not carried over from the previous call
    expect(codeOf(() => e.observe('c', login(T + 5), { features: new Float32Array(3) }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => e.observe('c', login(T + 5), { features: { tenur: 1 } }))).toBe('FEATURE_UNKNOWN');
  });

  it('a bundle without journeys refuses events and has nothing to advance', async () => {
    const spec = `bundle: none\nversion: "1"\nfeatures:\n  x: numeric\n`;
    const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec))));
    expect(codeOf(() => e.observe('c', { type: 'a', time: T }))).toBe('EVENT_TYPE');
    expect(e.advance('c', T)).toEqual([]);
    expect(e.advanceAll(T).size).toBe(0);
    expect([...e.advanceAllIterator(T)]).toEqual([]);
    expect(e.journeyStats.events).toBe(0);
  });

  it('counts events, matches, drops and rebases in journeyStats', async () => {
    const e = await Engine.load(BUNDLE);
    e.observe('c', { type: 'device_change', time: T });
    for (let i = 1; i <= 3; i++) e.observe('c', { type: 'connect_fail', time: T + i * M, network: 'mobile' });
    e.observe('c', { type: 'device_change', time: T + 100 * 86_400_000 }); // 100 days later: the clock is rebased
    expect(e.journeyStats).toMatchObject({ events: 5, matches: 1, rejectedLate: 0, rebases: 1 });
    const before = e.journeyStats;
    e.observe('c', { type: 'device_change', time: T });
    expect(before.rejectedLate).toBe(0); // a snapshot
    expect(e.journeyStats.rejectedLate).toBe(1);
  });
});

describe('journey kernel on arbitrary state bytes', () => {
  it('never faults, never loops, and keeps its outputs bounded (debug build)', async () => {
    const rand = mulberry32(77);
    for (let b = 0; b < 12; b++) {
      const yaml = randomJourneySpec(rand);
      const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(yaml, 'fuzz.yaml'))), { wasm: 'debug' });
      const rt = e.journeys!;
      const fresh = rt.freshState();
      const off = rt.sectionOffset;
      const maxMatches = rt.layout.journeys.reduce((n, l) => n + l.slots + 1, 0);
      const stream = randomStream(rand, 200, { longGaps: true });
      for (let i = 0; i < 300; i++) {
        const s = fresh.slice();
        const mode = i % 3;
        for (let k = off; k < off + rt.layout.size; k++) {
          if (mode === 0) s[k] = randInt(rand, 0, 255);
          else if (mode === 1 && rand() < 0.2) s[k] = randInt(rand, 0, 255);
          else if (mode === 2) s[k] = rand() < 0.5 ? 0xff : randInt(rand, 0, 3);
        }
        if (mode === 1) new DataView(s.buffer).setUint32(off + 4, randInt(rand, 1, 1000), true); // a plausible clock
        const item = stream[i % stream.length]!;
        const r =
          item.kind === 'event'
            ? e.observeState(s, { ...item.event, time: rand() < 0.5 ? item.event.time : randInt(rand, 0, 2 ** 40) })
            : e.advanceState(s, item.now);
        expect(r.matches.length).toBeLessThanOrEqual(maxMatches);
        for (const m of r.matches) expect(m.events.length).toBeGreaterThan(0);
        const v = e.journeyValues(s, T0 + randInt(rand, -1e9, 1e9));
        expect(Object.keys(v).length).toBe(rt.values.length);
        // the state stays usable afterwards
        e.observeState(r.state, { type: 'a', time: 2 ** 47 });
      }
    }
  });

  it('encodes events the same without generated code (a runtime that refuses new Function)', async () => {
    const a = await Engine.load(BUNDLE);
    const original = globalThis.Function;
    globalThis.Function = function refuse() {
      throw new EvalError('code generation from strings disallowed');
    } as unknown as FunctionConstructor;
    let b: Engine;
    try {
      b = await Engine.load(BUNDLE);
    } finally {
      globalThis.Function = original;
    }
    const events: JourneyEvent[] = [
      { type: 'device_change', time: T },
      { type: 'connect_fail', time: T + M, network: 'mobile' },
      { type: 'connect_fail', time: T + 2 * M, network: 'wifi' },
      { type: 'connect_fail', time: T + 3 * M, network: 'mobile' },
      { type: 'connect_fail', time: T + 4 * M, network: 'mobile' },
      { type: 'card_payment', time: T + 5 * M, amount: 1500 },
      { type: 'card_payment', time: T + 6 * M, amount: 900 },
      { type: 'atm_decline', time: T + 7 * M, reason: 'insufficient_funds' },
    ];
    let sa: Uint8Array | undefined;
    let sb: Uint8Array | undefined;
    let matched = 0;
    for (const ev of events) {
      const ra = a.observeState(sa, ev);
      matched += ra.matches.length;
      const rb = b.observeState(sb, ev);
      expect(rb.matches).toEqual(ra.matches);
      expect(rb.state).toEqual(ra.state);
      sa = ra.state;
      sb = rb.state;
    }
    expect(matched).toBeGreaterThan(0); // the stream completes journeys, so the matches compared above are not all empty
    for (const bad of [{ type: 'connect_fail', time: T + 9 * M, network: 7 }, { type: 'card_payment', time: T + 9 * M, amount: 'lots' }]) {
      expect(codeOf(() => b.observeState(sb, bad as JourneyEvent))).toBe(codeOf(() => a.observeState(sa, bad as JourneyEvent)));
      expect(codeOf(() => b.observeState(sb, bad as JourneyEvent))).toBe('EVENT_ATTRIBUTE');
    }
  });
});
