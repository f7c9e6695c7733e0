/**
 * Adaptive propensities in decisions: an action's propensity read from its
 * own learning instance, explored with a seeded stream, logged for record()
 * to learn from; the exposure ramp; reproducibility from a seed.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, MemoryStore, SpecSource, type StateStore } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { mulberry32 } from '../helpers/random.js';

const NOW = Date.UTC(2026, 3, 1);

function spec(exploration: string, instances = 'action'): string {
  return `
bundle: adaptive-decisions
version: "1"
features: { tenure_months: numeric, plan: [basic, premium] }
context: { channel: [app, email] }
models:
  offers:
    adaptive:
      instances: ${instances}
      predictors: { tenure_months: { thresholds: [12, 36] }, plan: {} }
      exploration: ${exploration}
actions:
  upgrade: { kind: sale, propensity: score.offers, value: 10 }
  discount: { kind: sale, propensity: score.offers, value: 10 }
  care_call: { kind: service, propensity: 0.2, value: 10, channels: [app] }
arbitration: { limit: 1 }
`;
}

async function load(exploration: string, instances?: string): Promise<Engine> {
  return Engine.load(encodeBundle(compileSpec(new SpecSource(spec(exploration, instances), 'adaptive.yaml'))));
}

describe('adaptive propensities in decisions', () => {
  it('learns from recorded outcomes of what it offered, and ranks by what it learned', async () => {
    const e = await load('{ method: none }');
    const features = { tenure_months: 20, plan: 'basic' };
    // new instances say 0.5: a tie broken by spec order
    const first = e.decide({ customerId: 'c0', features, context: { now: NOW, channel: 'email' } }, { explain: true });
    expect(first.actions.map((a) => [a.id, a.propensity, a.modelPropensity])).toEqual([['upgrade', 0.5, 0.5]]);
    expect(first.token).toBeTypeOf('number');
    expect(first.explanation!.candidates[0]!.reason).toMatch(/propensity 0\.5 from adaptive model offers at 0\.5 before exploration/);
    // the customers reject upgrade and accept discount
    let picks = '';
    for (let i = 0; i < 40; i++) {
      const customerId = `c${i}`;
      const d = e.decide({ customerId, features, context: { now: NOW + i, channel: 'email' } });
      const top = d.actions[0]!;
      picks += top.id[0];
      const r = e.record({ customerId, actionId: top.id, channel: 'email', outcome: top.id === 'discount' ? 'accept' : 'reject', at: NOW + i });
      expect(r.learning).toMatchObject({ learned: true, modelId: 'offers' });
    }
    expect(picks.startsWith('u')).toBe(true);
    expect(picks.endsWith('dddddddddd')).toBe(true);
    const report = e.learning.report('offers', { action: 'discount' });
    expect(report.positives).toBeGreaterThan(5);
    // an impression is contact history, not learning
    expect(e.record({ customerId: 'c1', actionId: 'discount', channel: 'email', outcome: 'impression', at: NOW + 100 }).learning).toMatchObject({ learned: false, reason: 'impression' });
    // a customer without a decision: nothing to learn from
    expect(e.record({ customerId: 'stranger', actionId: 'discount', channel: 'email', outcome: 'accept', at: NOW }).learning).toMatchObject({ learned: false, reason: 'no-decision' });
  });

  it('explores with Thompson sampling, reproducibly from a seed', async () => {
    const a = await load('{ method: thompson }', 'action_channel');
    const b = await load('{ method: thompson }', 'action_channel');
    const req = { features: { tenure_months: 5, plan: 'premium' }, context: { now: NOW } };
    const runs = (e: Engine) => Array.from({ length: 20 }, (_, seed) => e.decide(req, { seed, limit: 2 }).actions.map((x) => `${x.id}@${x.channel}:${x.propensity}`).join());
    const ra = runs(a);
    expect(runs(b)).toEqual(ra);
    expect(runs(a)).toEqual(ra);
    expect(new Set(ra).size).toBeGreaterThan(10);
    const d = a.decide(req, { seed: 3, limit: 2 });
    for (const x of d.actions.filter((y) => y.id !== 'care_call')) {
      expect(x.modelPropensity).toBe(0.5);
      expect(x.propensity).not.toBe(0.5);
      expect(x.priority).toBe(x.propensity * x.context * x.value * x.lever);
    }
    // without a seed the engine's stream advances: decisions differ from call to call
    const unseeded = new Set(Array.from({ length: 10 }, () => a.decide(req).actions.map((x) => x.propensity).join()));
    expect(unseeded.size).toBeGreaterThan(5);
    expect(() => a.decide(req, { seed: -1 })).toThrow(/seed must be a non-negative safe integer/);
  });

  it('drops actions the exposure ramp does not admit, with the reason', async () => {
    const e = await load('{ method: none, ramp: { start: 0, positives: 10 } }');
    const d = e.decide({ features: { tenure_months: 5 }, context: { now: NOW, channel: 'app' } }, { explain: true, seed: 1 });
    expect(d.actions.map((x) => x.id)).toEqual(['care_call']);
    const up = d.explanation!.candidates.find((c) => c.action === 'upgrade')!;
    expect(up).toMatchObject({ stage: 'propensity', factors: { modelPropensity: 0.5, exposure: 0 } });
    expect(up.factors!.propensity).toBeUndefined();
    expect(up.reason).toBe('not admitted to this decision by the exposure ramp of adaptive model offers (admission probability 0, model propensity 0.5)');
  });

  it('records through the decision log\'s handle on the MemoryStore entry exactly as through the store interface (evictions, TTL, deletes, clears)', async () => {
    let now = NOW;
    const clock = () => now;
    const bounds = { maxEntries: 5, ttlMs: 50_000, clock };
    const direct = new MemoryStore(bounds);
    const inner = new MemoryStore(bounds);
    // the same store behind the plain interface: the engine cannot keep handles on it
    const wrapped: StateStore = {
      live: true,
      get: (id) => inner.get(id),
      peek: (id) => inner.peek(id),
      set: (id, st) => inner.set(id, st),
      delete: (id) => inner.delete(id),
      keys: () => inner.keys(),
      clear: () => inner.clear(),
      get size() {
        return inner.size;
      },
    };
    const bytes = encodeBundle(compileSpec(new SpecSource(spec('{ method: thompson }'), 'adaptive.yaml')));
    const learning = { seed: 3, log: { maxCustomers: 6, offersPerCustomer: 2 } };
    const a = await Engine.load(bytes, { store: direct, learning });
    let viaHandle = 0; // states found through a handle, not a lookup
    const byHandle = direct.getByHandle.bind(direct);
    direct.getByHandle = (h, id) => {
      const st = byHandle(h, id);
      if (st !== undefined) viaHandle++;
      return st;
    };
    const b = await Engine.load(bytes, { store: wrapped, learning });
    const rand = mulberry32(11);
    const actions = ['upgrade', 'discount', 'care_call'];
    const outcomes = ['impression', 'accept', 'reject'] as const;
    let learned = 0;
    for (let i = 0; i < 4000; i++) {
      const customerId = `c${Math.floor(rand() * 9)}`;
      const op = rand();
      now += Math.floor(rand() * 3000);
      if (op < 0.35) {
        const req = { customerId, features: { tenure_months: Math.floor(rand() * 60), plan: rand() < 0.5 ? 'basic' : 'premium' }, context: { now, channel: rand() < 0.5 ? 'app' : 'email' } };
        expect(a.decide(req)).toEqual(b.decide(req));
      } else if (op < 0.9) {
        const rec = { customerId, actionId: actions[Math.floor(rand() * 3)]!, channel: rand() < 0.8 ? 'app' : 'email', outcome: outcomes[Math.floor(rand() * 3)]!, at: now };
        const ra = a.record(rec);
        expect(ra).toEqual(b.record(rec));
        if (ra.learning?.learned) learned++;
      } else if (op < 0.95) {
        expect(direct.delete(customerId)).toBe(inner.delete(customerId));
      } else if (op < 0.96) {
        direct.clear();
        inner.clear();
      } else {
        now += 60_000; // past every customer's TTL
      }
      expect(direct.size).toBe(inner.size);
    }
    expect(learned).toBeGreaterThan(100);
    expect(viaHandle).toBeGreaterThan(100);
    for (const id of inner.keys()) expect(direct.peek(id)).toEqual(inner.peek(id));
    expect(a.learning.snapshot()).toEqual(b.learning.snapshot());
  });
});

