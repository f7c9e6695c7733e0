/**
 * The decision API: typed errors for every bad input, the pure forms
 * (decideState, recordState) against the store forms, and state handling.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, MemoryStore, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { errorOf } from '../helpers/errors.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const SPEC = `
bundle: api
version: "1"
features:
  age: numeric
  plan: [basic, premium]
context:
  channel: [app, email]
  segment: [young, senior]
  basket: numeric
actions:
  offer: { kind: sale, propensity: 0.5, value: 10, channels: [app, email] }
  app_only: { kind: sale, propensity: 0.4, value: 10, channels: [app] }
policies:
  no_reoffer: { each: action, suppress: 7d }
`;

async function engine(opts = {}): Promise<Engine> {
  return Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC, 'api.yaml'))), opts);
}


describe('decision API', () => {
  it('reports bad requests with typed errors that say what to fix', async () => {
    const e = await engine();
    const ok = { features: { age: 30 }, context: { now: NOW } };
    const d = (req: unknown, opts?: unknown) => errorOf(() => e.decide(req as never, opts as never));
    expect(d(ok)).toBe('ok');
    expect(d({ ...ok, context: { channel: 'app' } })).toBe('TIME_INVALID: context.now is required: the decision time in epoch milliseconds');
    expect(d({ ...ok, context: { now: NaN } })).toBe('TIME_INVALID: context.now must be the decision time in epoch milliseconds (a finite number), got number NaN');
    expect(d({ ...ok, context: { now: '2026-01-01' } })).toMatch(/^TIME_INVALID: .*got string "2026-01-01"/);
    expect(d({ ...ok, context: { now: Infinity } })).toMatch(/^TIME_INVALID/);
    expect(d({ ...ok, context: { now: NOW, channel: 'emial' } })).toBe('CHANNEL_UNKNOWN: unknown channel "emial"; did you mean "email"?; the channels are app, email');
    expect(d({ ...ok, context: { now: NOW, channel: ['app', 'fax'] } })).toMatch(/^CHANNEL_UNKNOWN: unknown channel "fax"/);
    expect(d({ ...ok, context: { now: NOW, channel: [] } })).toMatch(/^CHANNEL_UNKNOWN: context\.channel: an empty list names no channel/);
    expect(d({ ...ok, context: { now: NOW, channel: 3 } })).toMatch(/^CHANNEL_UNKNOWN: unknown channel "number 3"/);
    expect(d({ ...ok, context: { now: NOW, segmnt: 'young' } })).toBe(
      'CONTEXT_INVALID: unknown context field "segmnt"; did you mean "segment"?; the context has: now, channel, segment, basket',
    );
    expect(d({ ...ok, context: { now: NOW, segment: 'old' } })).toBe('CONTEXT_INVALID: context.segment: "old" is not one of young, senior');
    expect(d({ ...ok, context: { now: NOW, segment: 7 } })).toMatch(/^CONTEXT_INVALID: context\.segment is categorical: expected one of its values as a string, got number 7/);
    expect(d({ ...ok, context: { now: NOW, basket: 'big' } })).toBe('CONTEXT_INVALID: context.basket is numeric: expected a number, got string "big"');
    expect(d({ ...ok, context: null })).toMatch(/^CONTEXT_INVALID: context must be an object/);
    expect(d({ features: { age: 'thirty' }, context: { now: NOW } })).toMatch(/^FEATURE_TYPE: feature "age" is numeric/);
    expect(d({ features: { agee: 3 }, context: { now: NOW } })).toMatch(/^FEATURE_UNKNOWN: unknown feature "agee"/);
    expect(d({ features: { plan: 'gold' }, context: { now: NOW } })).toMatch(/^FEATURE_CATEGORY/);
    expect(d({ features: new Float32Array(3), context: { now: NOW } })).toMatch(/^ROWS_SHAPE: features: a Float32Array must hold the 2 features/);
    expect(d({ features: 'x', context: { now: NOW } })).toMatch(/^ARGUMENT_INVALID: features must be a plain object/);
    expect(d(null)).toMatch(/^ARGUMENT_INVALID: a decision request is an object/);
    expect(d({ ...ok, customerId: 42 })).toMatch(/^ARGUMENT_INVALID: customerId must be a non-empty string/);
    expect(d(ok, { limit: -1 })).toMatch(/^OPTION_INVALID: limit must be a non-negative integer/);
    expect(d(ok, { limit: 1.5 })).toMatch(/^OPTION_INVALID/);
    expect(d(ok, { explain: 'yes' })).toMatch(/^OPTION_INVALID: explain must be true or false/);
    expect(d(ok, { limt: 2 })).toMatch(/^OPTION_INVALID: unknown decide option "limt"; known: limit, explain/);
    expect(d(ok, 3)).toMatch(/^OPTION_INVALID/);
    // null and undefined context values are missing, not errors; a Float32Array in schema order works
    expect(d({ features: Float32Array.of(30, 1), context: { now: NOW, segment: null, basket: undefined } })).toBe('ok');
  });

  it('reports bad records with typed errors', async () => {
    const e = await engine();
    const ok = { customerId: 'c', actionId: 'offer', channel: 'app', outcome: 'impression', at: NOW };
    const r = (rec: unknown) => errorOf(() => e.record(rec as never));
    expect(r(ok)).toBe('ok');
    expect(r({ ...ok, actionId: 'ofer' })).toBe('ACTION_UNKNOWN: unknown action "ofer"; did you mean "offer"?; the bundle has 2 actions (offer, app_only)');
    expect(r({ ...ok, channel: 'sms' })).toBe('CHANNEL_UNKNOWN: unknown channel "sms"; the channels are app, email');
    expect(r({ ...ok, channel: undefined })).toBe('ARGUMENT_INVALID: record: channel is required: offer is offered on app, email');
    expect(r({ ...ok, actionId: 'app_only', channel: undefined })).toBe('ok');
    expect(r({ ...ok, outcome: 'click' })).toBe('ARGUMENT_INVALID: outcome must be one of impression, accept, reject, got string "click"');
    expect(r({ ...ok, at: NaN })).toMatch(/^TIME_INVALID: at must be the time of the contact in epoch milliseconds/);
    expect(r({ ...ok, at: undefined })).toMatch(/^TIME_INVALID/);
    expect(r({ ...ok, at: 0 })).toMatch(/^TIME_INVALID: at 0 is outside the times contact history keeps \(1970-01-01T00:00:01Z to 2106-02-07T06:28:15Z\)/);
    expect(r({ ...ok, at: 5e12 })).toMatch(/^TIME_INVALID/);
    expect(r({ ...ok, customerId: '' })).toMatch(/^ARGUMENT_INVALID: record needs a customerId/);
    expect(r(null)).toMatch(/^ARGUMENT_INVALID/);
    // only the two good records were stored: one impression of each action, on app
    const d = e.decide({ customerId: 'c', features: {}, context: { now: NOW + 1000, channel: 'email' } }, { limit: 5, explain: true });
    expect(d.explanation!.candidates.map((c) => [c.action, c.stage])).toEqual([
      ['offer', 'policy'],
      ['app_only', 'channel'],
    ]);
    const other = e.decide({ customerId: 'c2', features: {}, context: { now: NOW + 1000, channel: 'email' } });
    expect(other.actions.map((a) => a.id)).toEqual(['offer']);
  });

  it('gives every new customer its own stored state (the first state is made in a reused buffer the store copies)', async () => {
    for (const opts of [{}, { memoryStore: { wasm: true } }, { store: new MemoryStore() }]) {
      const e = await engine(opts);
      e.record({ customerId: 'a', actionId: 'offer', channel: 'app', outcome: 'impression', at: NOW });
      e.record({ customerId: 'b', actionId: 'app_only', channel: 'app', outcome: 'impression', at: NOW });
      e.record({ customerId: 'a', actionId: 'app_only', channel: 'app', outcome: 'impression', at: NOW + 1000 });
      const want = (recs: [string, number][]) => recs.reduce<Uint8Array | undefined>((s, [actionId, at]) => e.recordState(s, { actionId, channel: 'app', outcome: 'impression', at }), undefined);
      expect([...e.store.get('a')!]).toEqual([...want([['offer', NOW], ['app_only', NOW + 1000]])!]);
      expect([...e.store.get('b')!]).toEqual([...want([['app_only', NOW]])!]);
      const ids = (id: string) => e.decide({ customerId: id, features: { age: 30 }, context: { now: NOW + 2000, channel: 'app' } }).actions.map((x) => x.id);
      expect(ids('a')).toEqual([]);
      expect(ids('b')).toEqual(['offer']);
    }
  });

  it('says when a bundle has no actions', async () => {
    const e = await Engine.load(encodeBundle(compileSpec(new SpecSource('bundle: x\nversion: "1"\nfeatures: { a: numeric }\n', 'x.yaml'))));
    expect(errorOf(() => e.decide({ features: {}, context: { now: NOW } }))).toBe('DECISIONS_MISSING: bundle x has no actions: add an actions section to its spec to decide');
    expect(errorOf(() => e.record({ customerId: 'c', actionId: 'a', outcome: 'impression', at: NOW }))).toMatch(/^DECISIONS_MISSING/);
    expect(e.actionIds).toEqual([]);
    expect(e.stateLayout).toBeUndefined();
  });

  it('pure forms agree with the store forms and never change their input', async () => {
    const store = new MemoryStore();
    const e = await engine({ store });
    const req = { customerId: 'p', features: { age: 40 }, context: { now: NOW, channel: 'app' } };
    const empty = e.decideState(undefined, req);
    expect(empty.state.byteLength).toBe(e.stateLayout!.size);
    expect(empty.decision).toEqual(e.decide(req));
    const s1 = e.recordState(undefined, { actionId: 'offer', channel: 'app', outcome: 'impression', at: NOW - 1000 });
    const copy = s1.slice();
    const s2 = e.recordState(s1, { actionId: 'app_only', outcome: 'impression', at: NOW - 500 });
    expect(s1).toEqual(copy);
    expect(s2).not.toEqual(s1);
    const pure = e.decideState(s2, req, { explain: true });
    expect(pure.state).toBe(s2);
    expect(pure.decision.actions).toEqual([]);
    e.record({ customerId: 'p', actionId: 'offer', channel: 'app', outcome: 'impression', at: NOW - 1000 });
    e.record({ customerId: 'p', actionId: 'app_only', outcome: 'impression', at: NOW - 500 });
    expect(store.get('p')).toEqual(s2);
    expect(e.decide(req, { explain: true })).toEqual(pure.decision);
    // a customer without history, and an anonymous request
    expect(e.decide({ ...req, customerId: 'nobody' }).actions.map((a) => a.id)).toEqual(['offer']);
    expect(store.get('nobody')).toBeUndefined();
    expect(e.decide({ features: {}, context: { now: NOW, channel: 'app' } }).actions.length).toBe(1);
  });

  it('refuses state of another layout, and reads any contents safely', async () => {
    const e = await engine({ wasm: 'debug' });
    const req = { features: {}, context: { now: NOW } };
    expect(errorOf(() => e.decideState(new Uint8Array(3), req))).toMatch(/^STATE_INVALID: customer state is 3 bytes; this bundle's state is \d+ bytes/);
    const bad = e.recordState(undefined, { actionId: 'offer', channel: 'app', outcome: 'reject', at: NOW });
    bad[4] ^= 1;
    expect(errorOf(() => e.decideState(bad, req))).toBe('STATE_INVALID: customer state was written by a bundle with a different state layout');
    bad[4] ^= 1;
    bad[0] = 0;
    expect(errorOf(() => e.recordState(bad, { actionId: 'offer', channel: 'app', outcome: 'reject', at: NOW }))).toMatch(/^STATE_INVALID: customer state has a wrong magic/);
    expect(errorOf(() => e.recordState([1, 2] as never, { actionId: 'offer', channel: 'app', outcome: 'reject', at: NOW }))).toMatch(/^STATE_INVALID/);
    // any bytes after the header: decisions and records still work (debug build: every table assertion on)
    const noise = e.recordState(undefined, { actionId: 'offer', channel: 'app', outcome: 'impression', at: NOW });
    for (let seed = 1; seed < 200; seed++) {
      for (let i = 16; i < noise.length; i++) noise[i] = (seed * 2654435761 + i * 40503) >>> (i % 24);
      const out = e.decideState(noise, req, { explain: true });
      expect(out.decision.explanation!.candidates.length).toBe(3);
      const next = e.recordState(noise, { actionId: 'offer', channel: 'email', outcome: 'impression', at: NOW });
      expect(next.length).toBe(noise.length);
    }
  });
});
