/**
 * pool.decide: every request's result equals engine.decide in one thread
 * (priorities and factors bit for bit, explanations, errors), in input order;
 * a request that fails fails alone; carried state is decided on; seeds make
 * adaptive exploration independent of the split; a worker killed mid-batch
 * loses and duplicates nothing. Runs the shipped telco bundle (300-tree
 * XGBoost churn model, adaptive offer propensities, contact policies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, Model, NextbestError, Pool, type PoolDecideRequest, type PoolDecision, type PoolOptions, type Decision } from '../../src/index.js';
// @ts-expect-error: a plain .mjs module (the demo population) without types
import { rng, telcoCustomer } from '../../scripts/demo-population.mjs';

const TELCO = join(__dirname, '..', '..', 'models', 'telco.nbb');
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center', 'store'];
const NOW = Date.UTC(2026, 2, 2, 12);

let bundle: Uint8Array;
let engine: Engine;
const pools: Pool[] = [];
async function pool(opts: Omit<PoolOptions, 'bundle'> & { bundle?: PoolOptions['bundle'] }): Promise<Pool> {
  const p = await Pool.create({ bundle, ...opts });
  pools.push(p);
  return p;
}
beforeAll(async () => {
  bundle = new Uint8Array(readFileSync(TELCO));
  engine = await Engine.load(bundle);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

/** Seeded telco requests; one in `every` has one channel list or no channel. */
function requests(n: number, seed: number): PoolDecideRequest[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r.u();
    const channel = u < 0.05 ? undefined : u < 0.1 ? ['app', 'email'] : r.pick(CHANNELS);
    return {
      customerId: `c${i}`,
      features: telcoCustomer(r),
      context: { now: NOW + i * 1000, ...(channel === undefined ? {} : { channel }), ...(r.chance(0.2) ? { call_reason: r.pick(['billing', 'cancel', 'technical']) } : {}) },
    };
  });
}

/** What one thread says for request i: the decision or the error's code and message. */
function single(req: PoolDecideRequest, opts: { seed?: number; explain?: boolean; limit?: number }): PoolDecision {
  const { state, customerId: _id, ...rest } = req;
  try {
    const decision = state === undefined ? engine.decide(rest, opts) : engine.decideState(state, rest, opts).decision;
    return { ok: true, decision, bundle: engine.info.sha256 };
  } catch (e) {
    return { ok: false, error: e as NextbestError, bundle: engine.info.sha256 };
  }
}

/** Equal decisions: same actions and factors bit for bit (Object.is on every number), same explanation. */
function expectSame(got: PoolDecision, want: PoolDecision, i: number): void {
  expect(got.ok, `request ${i}`).toBe(want.ok);
  expect(got.bundle).toBe(want.bundle);
  if (!got.ok || !want.ok) {
    expect((got as { error: NextbestError }).error.code, `request ${i}`).toBe((want as { error: NextbestError }).error.code);
    expect((got as { error: NextbestError }).error.message).toBe((want as { error: NextbestError }).error.message);
    return;
  }
  const g: Decision = got.decision;
  const w: Decision = want.decision;
  expect(g.actions.length, `request ${i}`).toBe(w.actions.length);
  g.actions.forEach((a, k) => {
    const b = w.actions[k]!;
    expect(a.id).toBe(b.id);
    expect(a.channel).toBe(b.channel);
    for (const f of ['priority', 'propensity', 'value', 'context', 'lever', 'modelPropensity'] as const) {
      expect(Object.is(a[f], b[f]), `request ${i} action ${a.id} ${f}: ${a[f]} vs ${b[f]}`).toBe(true);
    }
  });
  expect(g).toEqual(w);
}

describe('pool.decide', () => {
  it('equals engine.decide bit for bit, in input order (1 and 2 threads, seeded exploration)', async () => {
    const reqs = requests(2000, 1);
    const want = reqs.map((r, i) => single(r, { seed: 100 + i }));
    for (const threads of [1, 2]) {
      const p = await pool({ threads, targetTaskMs: 0.3 });
      const got = await p.decide(reqs, { seed: 100 });
      expect(got.length).toBe(reqs.length);
      got.forEach((g, i) => expectSame(g, want[i]!, i));
      expect(p.stats().rowsCompleted).toBe(reqs.length);
      expect(p.stats().nsPerDecision).toBeGreaterThan(0);
    }
    // one seed per request, and explanations
    const p = await pool({ threads: 2 });
    const seeds = reqs.slice(0, 300).map((_, i) => 7 * i + 3);
    const explained = await p.decide(reqs.slice(0, 300), { seed: seeds, explain: true, limit: 2 });
    explained.forEach((g, i) => expectSame(g, single(reqs[i]!, { seed: seeds[i]!, explain: true, limit: 2 }), i));
    expect(explained.every((g) => g.ok && g.decision.explanation!.candidates.length > 0)).toBe(true);
  });

  it('reports a bad request in its own slot and decides the others', async () => {
    const reqs: PoolDecideRequest[] = requests(40, 2);
    const good = reqs[0]!;
    const bad: [number, unknown, string][] = [
      [3, { features: { ...good.features, fax: 1 }, context: good.context }, 'FEATURE_UNKNOWN'],
      [5, { features: { ...good.features, tenure_months: 'long' }, context: good.context }, 'FEATURE_TYPE'],
      [7, { features: { ...good.features, plan: 'platinum' }, context: good.context }, 'FEATURE_CATEGORY'],
      [9, { features: good.features, context: { channel: 'app' } }, 'TIME_INVALID'],
      [11, { features: good.features, context: { now: NOW, channel: 'fax' } }, 'CHANNEL_UNKNOWN'],
      [13, { features: good.features, context: { now: NOW, call_reason: 'bored' } }, 'CONTEXT_INVALID'],
      [15, { features: good.features, context: { now: NOW, mood: 'happy' } }, 'CONTEXT_INVALID'],
      [17, { features: good.features, context: { now: NOW, call_reason: { why: 1 } } }, 'CONTEXT_INVALID'],
      [19, { features: good.features }, 'CONTEXT_INVALID'],
      [21, { features: 'none', context: good.context }, 'ARGUMENT_INVALID'],
      [23, null, 'ARGUMENT_INVALID'],
      [25, { customerId: 42, features: good.features, context: good.context }, 'ARGUMENT_INVALID'],
      [27, { features: good.features, context: good.context, state: new Uint8Array(3) }, 'STATE_INVALID'],
      [29, { features: good.features, context: good.context, state: 'bytes' }, 'STATE_INVALID'],
      [31, { features: new Float32Array(3), context: good.context }, 'ROWS_SHAPE'],
      [33, { features: good.features, context: { now: NOW, channel: [] } }, 'CHANNEL_UNKNOWN'],
    ];
    for (const [i, req] of bad) reqs[i] = req as PoolDecideRequest;
    const p = await pool({ threads: 2, targetTaskMs: 0.05 });
    const got = await p.decide(reqs, { seed: 1 });
    const codes = new Map(bad.map(([i, , code]) => [i, code]));
    got.forEach((g, i) => {
      if (codes.has(i)) {
        expect(g.ok, `request ${i}`).toBe(false);
        const e = (g as { error: NextbestError }).error;
        expect(e).toBeInstanceOf(NextbestError);
        expect(e.code, `request ${i}: ${e.message}`).toBe(codes.get(i));
      } else {
        expectSame(g, single(reqs[i]!, { seed: 1 + i }), i);
      }
    });
    // the worker's errors are the engine's own (same code and message)
    for (const i of [3, 9, 11, 13, 27]) expectSame(got[i]!, single(reqs[i]!, { seed: 1 + i }), i);
  });

  it('decides on the state a request carries (contact history), else as a customer without history', async () => {
    const reqs = requests(200, 3).map((r) => ({ ...r, context: { ...r.context, channel: 'email' } }));
    // every customer was emailed yesterday: the weekly email cap blocks sales by email
    const states = reqs.map((r) =>
      engine.recordState(undefined, { actionId: 'unlimited_upgrade', channel: 'email', outcome: 'impression', at: r.context.now - 86_400_000 }),
    );
    const withState = reqs.map((r, i) => ({ ...r, state: states[i]! }));
    const p = await pool({ threads: 2, targetTaskMs: 0.1 });
    const [got, stateless] = await Promise.all([p.decide(withState, { seed: 9 }), p.decide(reqs, { seed: 9 })]);
    got.forEach((g, i) => expectSame(g, single(withState[i]!, { seed: 9 + i }), i));
    stateless.forEach((g, i) => expectSame(g, single(reqs[i]!, { seed: 9 + i }), i));
    const sales = (ds: PoolDecision[]) => ds.filter((d) => d.ok && d.decision.actions.some((a) => a.kind === 'sale')).length;
    expect(sales(got)).toBe(0);
    expect(sales(stateless)).toBeGreaterThan(50);
    // the caller's state bytes are read, not moved away
    expect(states.every((s) => s.length === engine.stateLayout!.size)).toBe(true);
  });

  for (const kind of ['exit', 'crash'] as const) {
    it(`a worker that dies mid-batch (${kind}) is replaced and its chunk retried: no request lost or duplicated`, async () => {
      const reqs = requests(4000, 4);
      const want = reqs.map((r, i) => single(r, { seed: 50 + i }));
      const p = await pool({ threads: 2, targetTaskMs: 0.2, faults: [{ row: 2345, kind, times: 1 }] });
      const got = await p.decide(reqs, { seed: 50 });
      got.forEach((g, i) => expectSame(g, want[i]!, i));
      const s = p.stats();
      expect(s.tasksRetried).toBe(1);
      expect(s.workersLost).toBeGreaterThanOrEqual(1);
      expect(s.rowsCompleted).toBe(reqs.length);
    });
  }

  it('nextbest decide batches (raw request lines) survive a worker killed mid-batch too', async () => {
    const texts = requests(3000, 8).map((r) => JSON.stringify(r));
    texts[100] = '{broken';
    const lines = Float64Array.from(texts, (_, i) => i + 1);
    const opts = { idKey: 'customerId', carry: [], ignoreUnknown: false, unknownCategory: 'error' as const, seed: 3 };
    const calm = await pool({ threads: 2 });
    const want = await calm.decideLines(texts, lines, opts);
    const p = await pool({ threads: 2, targetTaskMs: 0.2, faults: [{ row: 1777, kind: 'exit', times: 1 }] });
    const got = await p.decideLines(texts, lines, opts);
    expect(got.out).toEqual(want.out);
    expect([...got.failed]).toEqual([...want.failed]);
    expect(got.failed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(JSON.parse(got.out[100]!)).toMatchObject({ line: 101, error: { code: 'INPUT_PARSE' } });
    expect(p.stats().tasksRetried).toBe(1);
    expect(p.stats().rowsCompleted).toBe(texts.length);
  });

  it('fails the call with WORKER_FAILED naming the requests when their worker dies again', async () => {
    const reqs = requests(1000, 5);
    const p = await pool({ threads: 2, faults: [{ row: 321, kind: 'exit' }] });
    let err: unknown;
    await p.decide(reqs).catch((e) => (err = e));
    expect(err).toBeInstanceOf(NextbestError);
    const e = err as NextbestError;
    expect(e.code).toBe('WORKER_FAILED');
    expect((e.details as { rowStart: number }).rowStart).toBeLessThanOrEqual(321);
    expect((e.details as { rowEnd: number }).rowEnd).toBeGreaterThan(321);
  });

  it('checks its arguments and options; a bundle without actions cannot decide', async () => {
    const p = await pool({ threads: 1 });
    const reqs = requests(3, 6);
    const code = (q: Promise<unknown>) => q.then(() => 'resolved', (e: NextbestError) => e.code);
    expect(await code(p.decide('x' as never))).toBe('ARGUMENT_INVALID');
    expect(await code(p.decide(reqs, { limit: -1 }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { explain: 'yes' as never }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { seed: -1 }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { seed: Number.MAX_SAFE_INTEGER }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { seed: [1, 2] }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { seed: [1, 2, 0.5] }))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { encode: { unknownCategory: 'drop' } } as never))).toBe('OPTION_INVALID');
    expect(await code(p.decide(reqs, { speed: 'fast' } as never))).toBe('OPTION_INVALID');
    expect(await p.decide([])).toEqual([]);
    // encode options reach the preparation of features
    const odd = [{ ...reqs[0]!, features: { ...reqs[0]!.features, plan: 'platinum', fax: 1 } }];
    const [lenient] = await p.decide(odd, { encode: { ignoreUnknown: true, unknownCategory: 'missing' }, seed: 1 });
    expect(lenient!.ok).toBe(true);
    const m = await Model.fromLinear({ weights: { a: 1 } });
    const scoring = await pool({ bundle: m.toBundle(), threads: 1 });
    expect(scoring.hasDecisions).toBe(false);
    expect(await code(scoring.decide(reqs))).toBe('DECISIONS_MISSING');
    await p.close();
    expect(await code(p.decide(reqs))).toBe('POOL_CLOSED');
  });
});
