import { describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/errors.js';
import { mulberry32, randInt } from '../helpers/random.js';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import { decodeLearning } from '../../src/adaptive/snapshot.js';
import { DecisionLog } from '../../src/adaptive/outcomes.js';
import type { AdaptiveSpec } from '../../src/models/adaptive.js';

const spec: AdaptiveSpec = {
  id: 'offers',
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'premium'] },
  ],
  predictors: { age: { thresholds: [30, 50] }, plan: {} },
  instances: 'action_channel',
  scoreBins: 30,
};
const DAY = 86_400_000;

async function model(log?: { maxCustomers?: number; offersPerCustomer?: number; maxAgeMs?: number }) {
  return AdaptiveModel.create(spec, { learning: { log } });
}

describe('decision log and record()', () => {
  it('learns from an outcome what learning the observation directly would, without features', async () => {
    const viaLog = await model();
    const direct = await model();
    const customers = Array.from({ length: 40 }, (_, i) => ({ id: `c${i}`, f: { age: 20 + i, plan: i % 2 ? 'basic' : 'premium' } }));
    for (const [i, c] of customers.entries()) {
      viaLog.learning.offered(c.id, [
        { actionId: 'upgrade', channel: 'web', modelId: 'offers', features: c.f },
        { actionId: 'insurance', channel: 'web', modelId: 'offers', features: c.f },
      ], 1000 + i);
      const obs = direct.observe(c.f, { action: 'upgrade', channel: 'web' });
      direct.observe(c.f, { action: 'insurance', channel: 'web' });
      const outcome = i % 3 === 0 ? 'accept' : 'reject';
      expect(viaLog.learning.record({ customerId: c.id, actionId: 'upgrade', outcome, at: 2000 + i })).toEqual({ learned: true, reason: 'learned', modelId: 'offers' });
      direct.learn(obs, outcome);
    }
    expect(Buffer.from(viaLog.learning.snapshot()).equals(Buffer.from(direct.learning.snapshot()))).toBe(true);
    expect(viaLog.report({ action: 'insurance', channel: 'web' }).positives + viaLog.report({ action: 'insurance', channel: 'web' }).negatives).toBe(0);
  });

  it('matches the latest decision offering the action, by channel and token when given', async () => {
    const m = await model();
    const f1 = { age: 25, plan: 'basic' };
    const f2 = { age: 60, plan: 'premium' };
    const t1 = m.learning.offered('c1', [{ actionId: 'upgrade', channel: 'web', modelId: 'offers', features: f1 }], 1 * DAY);
    const t2 = m.learning.offered('c1', [
      { actionId: 'upgrade', channel: 'app', modelId: 'offers', features: f2 },
      { actionId: 'loan', channel: 'app', modelId: 'offers', features: f2 },
    ], 2 * DAY);
    expect(t2).toBeGreaterThan(t1);
    // no channel: the latest offer of the action (app, f2)
    m.learning.record({ customerId: 'c1', actionId: 'upgrade', outcome: 'accept', at: 3 * DAY });
    const app = m.report({ action: 'upgrade', channel: 'app' });
    expect(app.positives).toBe(1);
    expect(app.predictors[0]!.bins[2]!.positives).toBe(1); // age 60 -> ">= 50"
    // channel given: the web offer
    expect(m.learning.record({ customerId: 'c1', actionId: 'upgrade', channel: 'web', outcome: 'reject', at: 3 * DAY }).learned).toBe(true);
    expect(m.report({ action: 'upgrade', channel: 'web' }).predictors[0]!.bins[0]!.negatives).toBe(1); // age 25
    // each offer learns once
    expect(m.learning.record({ customerId: 'c1', actionId: 'upgrade', channel: 'web', outcome: 'accept' })).toMatchObject({ learned: false, reason: 'already-learned' });
    // token picks the decision
    const t3 = m.learning.offered('c1', [{ actionId: 'loan', channel: 'app', modelId: 'offers', features: f1 }], 4 * DAY);
    expect(m.learning.record({ customerId: 'c1', actionId: 'loan', outcome: 'accept', token: t2 }).learned).toBe(true);
    expect(m.report({ action: 'loan', channel: 'app' }).predictors[0]!.bins[2]!.positives).toBe(1); // f2, not f1
    expect(m.learning.record({ customerId: 'c1', actionId: 'loan', outcome: 'accept', token: t3 }).learned).toBe(true);
    expect(m.learning.record({ customerId: 'c1', actionId: 'loan', outcome: 'accept', token: 999 })).toMatchObject({ reason: 'no-decision' });
    // impressions are not learned from; unknown customers and actions have no decision
    expect(m.learning.record({ customerId: 'c1', actionId: 'loan', outcome: 'impression' })).toMatchObject({ learned: false, reason: 'impression' });
    expect(m.learning.record({ customerId: 'c9', actionId: 'loan', outcome: 'accept' })).toMatchObject({ reason: 'no-decision' });
    expect(m.learning.record({ customerId: 'c1', actionId: 'gift', outcome: 'accept' })).toMatchObject({ reason: 'no-decision' });
  });

  it('ignores decisions after the outcome and outcomes too late', async () => {
    const m = await model({ maxAgeMs: 7 * DAY });
    const f = { age: 40, plan: 'basic' };
    m.learning.offered('c1', [{ actionId: 'upgrade', channel: 'web', modelId: 'offers', features: f }], 10 * DAY);
    expect(m.learning.record({ customerId: 'c1', actionId: 'upgrade', outcome: 'accept', at: 9 * DAY })).toMatchObject({ reason: 'no-decision' });
    expect(m.learning.record({ customerId: 'c1', actionId: 'upgrade', outcome: 'accept', at: 18 * DAY })).toMatchObject({ reason: 'expired' });
    expect(m.learning.record({ customerId: 'c1', actionId: 'upgrade', outcome: 'accept', at: 17 * DAY }).learned).toBe(true);
  });

  it('is bounded: least recently decided customers go first, then the oldest offers of a customer', async () => {
    const m = await model({ maxCustomers: 3, offersPerCustomer: 2 });
    const f = { age: 40, plan: 'basic' };
    const offer = (c: string, a: string) => m.learning.offered(c, [{ actionId: a, channel: 'web', modelId: 'offers', features: f }]);
    offer('c1', 'a');
    offer('c2', 'a');
    offer('c3', 'a');
    offer('c1', 'b'); // c1 is now the most recent
    offer('c4', 'a'); // evicts c2
    expect(m.learning.log.size).toBe(3);
    expect(m.learning.log.evictions).toBe(1);
    expect(m.learning.record({ customerId: 'c2', actionId: 'a', outcome: 'accept' })).toMatchObject({ reason: 'no-decision' });
    expect(m.learning.record({ customerId: 'c3', actionId: 'a', outcome: 'accept' }).learned).toBe(true);
    offer('c1', 'c'); // c1 keeps b and c; a is overwritten
    expect(m.learning.record({ customerId: 'c1', actionId: 'a', outcome: 'accept' })).toMatchObject({ reason: 'no-decision' });
    expect(m.learning.record({ customerId: 'c1', actionId: 'b', outcome: 'accept' }).learned).toBe(true);
    expect(m.learning.record({ customerId: 'c1', actionId: 'c', outcome: 'reject' }).learned).toBe(true);
    const counts = decodeLearning(m.learning.snapshot()).models[0]!.instances.map(([k, c]) => [k, c[0], c[1]]);
    expect(counts).toEqual([
      ['a/web', 1, 0],
      ['b/web', 1, 0],
      ['c/web', 0, 1],
    ]);
  });

  it('validates requests and options', async () => {
    const m = await model();
    const f = { age: 40, plan: 'basic' };
    expect(codeOf(() => m.learning.record({ customerId: '', actionId: 'a', outcome: 'accept' }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.record({ customerId: 'c', actionId: 'a', outcome: 'clicked' as 'accept' }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.record({ customerId: 'c', actionId: 'a', outcome: 'accept', at: NaN }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.record({ customerId: 'c', actionId: 'a', outcome: 'accept', token: -1 }))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.record(null as never))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.offered('c', [{ actionId: 'a', modelId: 'offers', features: f }]))).toBe('ARGUMENT_INVALID'); // needs a channel
    expect(codeOf(() => m.learning.offered('c', [{ actionId: 'a', channel: 'web', modelId: 'nope', features: f }]))).toBe('MODEL_UNKNOWN');
    expect(codeOf(() => m.learning.offered('c', 'x' as never))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learning.offered('c', [], Infinity))).toBe('ARGUMENT_INVALID');
    await expect(model({ maxCustomers: 0 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    await expect(model({ offersPerCustomer: 1.5 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    await expect(model({ maxAgeMs: -1 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
  });

  it('forgets the least recently decided customer, as a plain LRU list does, on random sequences', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rand = mulberry32(seed);
      const max = randInt(rand, 1, 5);
      const m = await model({ maxCustomers: max, offersPerCustomer: 4 });
      const f = { age: 40, plan: 'basic' };
      let lru: string[] = []; // most recently decided first
      const open = new Set<string>(); // customers whose latest offer has no outcome yet
      let evictions = 0;
      for (let step = 0; step < 200; step++) {
        const id = `c${randInt(rand, 0, 7)}`;
        if (rand() < 0.6) {
          m.learning.offered(id, [{ actionId: 'a', channel: 'web', modelId: 'offers', features: f }]);
          lru = [id, ...lru.filter((x) => x !== id)];
          open.add(id);
          if (lru.length > max) {
            open.delete(lru.pop()!);
            evictions++;
          }
        } else {
          // an outcome finds the customer's latest offer of the action (no change of recency)
          const r = m.learning.record({ customerId: id, actionId: 'a', channel: 'web', outcome: 'reject' });
          expect(r.reason).toBe(!lru.includes(id) ? 'no-decision' : open.has(id) ? 'learned' : 'already-learned');
          open.delete(id);
        }
        expect(m.learning.log.size).toBe(lru.length);
        expect(m.learning.log.evictions).toBe(evictions);
      }
      m.learning.log.clear();
      expect(m.learning.log.size).toBe(0);
      m.learning.offered('z', [{ actionId: 'a', channel: 'web', modelId: 'offers', features: f }]);
      expect(m.learning.record({ customerId: 'z', actionId: 'a', channel: 'web', outcome: 'accept' }).learned).toBe(true);
    }
  });

  it('adopts another log in its recency order (engine.swap): the least recently decided customer is still forgotten first', () => {
    const prev = new DecisionLog(2, { maxCustomers: 3 });
    const bins = new Uint16Array([1, 0]);
    const offer = (log: DecisionLog, c: string) => log.add(c, log.begin(c, undefined, undefined), 'a', 'web', 0, 7, 3, bins);
    offer(prev, 'c1');
    offer(prev, 'c2');
    offer(prev, 'c3');
    offer(prev, 'c1'); // recency, oldest first: c2, c3, c1
    const next = new DecisionLog(2, { maxCustomers: 3 });
    next.adopt(prev, (slot, inst) => ({ slot, inst }));
    expect(next.size).toBe(3);
    offer(next, 'c4'); // forgets c2
    const find = (c: string) => next.find({ customerId: c, actionId: 'a', channel: 'web', outcome: 'reject' }).result;
    expect(find('c2')).toBeDefined(); // no decision
    expect(find('c3')).toBeUndefined(); // found: learned
    expect(find('c1')).toBeUndefined();
    expect(find('c4')).toBeUndefined();
  });
});
