import { describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/errors.js';
import fc from 'fast-check';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import { decodeLearning, encodeLearning } from '../../src/adaptive/snapshot.js';
import { packValue } from '../../src/bundle/codec.js';
import type { Observation } from '../../src/adaptive/learning.js';
import type { AdaptiveSpec } from '../../src/models/adaptive.js';
import { mulberry32 } from '../helpers/random.js';

const SPEC: AdaptiveSpec = {
  id: 'offers',
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'premium', 'business'] },
    { name: 'region', type: 'categorical', categories: ['north', 'south'] },
  ],
  predictors: { age: { thresholds: [25, 40, 60] }, plan: {}, region: {} },
  instances: 'action',
  scoreBins: 40,
};
const ACTIONS = ['upgrade', 'insurance', 'loan'];

const eventArb = fc.record({
  age: fc.oneof(fc.integer({ min: 18, max: 90 }), fc.constant(null)),
  plan: fc.constantFrom('basic', 'premium', 'business', null),
  region: fc.constantFrom('north', 'south', null),
  action: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  accept: fc.boolean(),
  side: fc.integer({ min: 0, max: 2 }),
});
type RawEvent = { age: number | null; plan: string | null; region: string | null; action: number; accept: boolean; side: number };
type Event = { obs: Observation; accept: boolean; side: number };

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const fresh = () => AdaptiveModel.create(SPEC);

/** Observations as decisions would take them: from one model that learns as outcomes arrive. */
async function observe(raw: RawEvent[]): Promise<Event[]> {
  const decider = await fresh();
  return raw.map((r) => {
    const obs = decider.observe({ age: r.age, plan: r.plan, region: r.region }, { action: ACTIONS[r.action]! });
    decider.learn(obs, r.accept ? 'accept' : 'reject');
    return { obs, accept: r.accept, side: r.side };
  });
}

function learnAll(m: AdaptiveModel, events: Event[]): AdaptiveModel {
  for (const e of events) m.learn(e.obs, e.accept ? 'accept' : 'reject');
  return m;
}

describe('learning state: snapshots, deltas and merges', () => {
  it('two models that saw disjoint outcomes merge to the snapshot of one that saw all, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 0, maxLength: 120 }), fc.integer(), async (raw, shuffleSeed) => {
        const events = await observe(raw);
        const a = learnAll(await fresh(), events.filter((e) => e.side === 0));
        const b = learnAll(await fresh(), events.filter((e) => e.side !== 0));
        // the one that saw everything, in another order
        const shuffled = [...events];
        const rand = mulberry32(shuffleSeed);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const c = learnAll(await fresh(), shuffled);
        a.learning.merge(b.learning.snapshot());
        expect(eq(a.learning.snapshot(), c.learning.snapshot())).toBe(true);
        // and it scores the same
        for (const e of events.slice(0, 5)) {
          const f = { age: 30, plan: 'premium', region: 'north' };
          expect(a.propensity(f, { action: e.obs.key })).toBe(c.propensity(f, { action: e.obs.key }));
        }
      }),
      { numRuns: 40, seed: 17 },
    );
  });

  it('merging is commutative and associative', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 90 }), async (raw) => {
        const events = await observe(raw);
        const parts = await Promise.all([0, 1, 2].map(async (s) => learnAll(await fresh(), events.filter((e) => e.side === s)).learning.snapshot()));
        const [x, y, z] = parts as [Uint8Array, Uint8Array, Uint8Array];
        const merged = async (...order: Uint8Array[]) => {
          const m = await fresh();
          for (const s of order) m.learning.merge(s);
          return m.learning.snapshot();
        };
        const xy = await merged(x, y);
        const yx = await merged(y, x);
        expect(eq(xy, yx)).toBe(true);
        const xyThenZ = await merged(xy, z);
        const yz = await merged(y, z);
        const xThenYz = await merged(x, yz);
        expect(eq(xyThenZ, xThenYz)).toBe(true);
        expect(eq(xyThenZ, await merged(z, y, x))).toBe(true);
      }),
      { numRuns: 25, seed: 5 },
    );
  });

  it('deltas carry local learning only and add up to the snapshot', async () => {
    const events = await observe(
      fc.sample(eventArb, { numRuns: 200, seed: 3 }),
    );
    const worker = await fresh();
    const other = await fresh();
    learnAll(worker, events.slice(0, 60));
    const d1 = worker.learning.delta();
    learnAll(other, events.slice(60, 120));
    worker.learning.merge(other.learning.delta()); // merged state is not re-shipped
    learnAll(worker, events.slice(120));
    const d2 = worker.learning.delta();
    expect(decodeLearning(d2).kind).toBe('delta');
    const coordinator = await fresh();
    coordinator.learning.merge(d1);
    coordinator.learning.merge(d2);
    coordinator.learning.merge(other.learning.snapshot());
    expect(eq(coordinator.learning.snapshot(), worker.learning.snapshot())).toBe(true);
    const everything = learnAll(await fresh(), events);
    expect(eq(coordinator.learning.snapshot(), everything.learning.snapshot())).toBe(true);
    // nothing learned since: an empty delta; snapshot() leaves the baseline alone
    worker.learning.snapshot();
    expect(decodeLearning(worker.learning.delta()).models[0]!.instances).toEqual([]);
  });

  it('restore takes a coordinator total and keeps what was not shipped yet', async () => {
    const events = await observe(fc.sample(eventArb, { numRuns: 150, seed: 8 }));
    const w1 = learnAll(await fresh(), events.slice(0, 50));
    const w2 = learnAll(await fresh(), events.slice(50, 100));
    const coordinator = await fresh();
    coordinator.learning.merge(w1.learning.delta());
    coordinator.learning.merge(w2.learning.delta());
    learnAll(w1, events.slice(100)); // not shipped yet
    w1.learning.restore(coordinator.learning.snapshot());
    const all = learnAll(await fresh(), events);
    expect(eq(w1.learning.snapshot(), all.learning.snapshot())).toBe(true);
    // the unshipped part is still the next delta
    const next = await fresh();
    next.learning.merge(w1.learning.delta());
    expect(eq(next.learning.snapshot(), learnAll(await fresh(), events.slice(100)).learning.snapshot())).toBe(true);
  });

  it('snapshots are canonical: instance creation order and empty instances do not matter', async () => {
    const events = await observe(fc.sample(eventArb, { numRuns: 80, seed: 12 }));
    const a = learnAll(await fresh(), events);
    const b = await fresh();
    b.propensity({ age: 20 }, { action: 'never_decided' }); // creates an empty instance
    learnAll(b, [...events].reverse());
    expect(eq(a.learning.snapshot(), b.learning.snapshot())).toBe(true);
    const keys = decodeLearning(a.learning.snapshot()).models[0]!.instances.map(([k]) => k);
    expect(keys).toEqual([...keys].sort());
  });

  it('resets one action or everything, locally', async () => {
    const events = await observe(fc.sample(eventArb, { numRuns: 120, seed: 21 }));
    const m = learnAll(await fresh(), events);
    const before = m.report({ action: 'loan' });
    expect(before.positives + before.negatives).toBeGreaterThan(0);
    expect(m.learning.reset('upgrade')).toBe(1);
    expect(m.report({ action: 'upgrade' }).positives).toBe(0);
    expect(m.report({ action: 'loan' })).toEqual(before);
    expect(m.propensity({ age: 30 }, { action: 'upgrade' })).toBe(0.5);
    expect(m.learning.reset()).toBe(m.learning.instances);
    expect(decodeLearning(m.learning.snapshot()).models[0]!.instances).toEqual([]);
    expect(() => m.learning.reset('a/b')).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });

  it('refuses bad or foreign learning state without changing anything', async () => {
    const events = await observe(fc.sample(eventArb, { numRuns: 60, seed: 2 }));
    const m = learnAll(await fresh(), events);
    const snap = m.learning.snapshot();
    const target = learnAll(await fresh(), events.slice(0, 10));
    const before = target.learning.snapshot();
    const mergeCode = (bytes: unknown) => codeOf(() => target.learning.merge(bytes as Uint8Array));
    expect(mergeCode('nope')).toBe('ARGUMENT_INVALID');
    expect(mergeCode(new Uint8Array(0))).toBe('LEARNING_INVALID');
    expect(mergeCode(snap.subarray(0, snap.length - 5))).toBe('LEARNING_INVALID');
    const flipped = Uint8Array.from(snap);
    flipped[flipped.length - 40]! ^= 1;
    expect(mergeCode(flipped)).toBe('LEARNING_INVALID');
    expect(mergeCode(packValue({ magic: 'NBB1' }))).toBe('LEARNING_INVALID');
    const state = decodeLearning(snap);
    // a model this bundle does not have, or binned differently
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, id: 'other' }] }))).toBe('LEARNING_INCOMPATIBLE');
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, shape: 'x' }] }))).toBe('LEARNING_INCOMPATIBLE');
    // counts that do not add up, or are not counts
    const bad = state.models[0]!.instances.map(([k, c]) => [k, Float64Array.from(c)] as [string, Float64Array]);
    bad[0]![1][5]! += 1;
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, instances: bad }] }))).toBe('LEARNING_INVALID');
    bad[0]![1][5] = 0.5;
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, instances: bad }] }))).toBe('LEARNING_INVALID');
    const short = state.models[0]!.instances.map(([k, c]) => [k, c.subarray(1)] as [string, Float64Array]);
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, instances: short }] }))).toBe('LEARNING_INVALID');
    expect(mergeCode(encodeLearning({ ...state, models: [{ ...state.models[0]!, instances: [['a/b', state.models[0]!.instances[0]![1]]] }] }))).toBe('LEARNING_INVALID');
    expect(eq(target.learning.snapshot(), before)).toBe(true);
    // instance limit
    const small = await AdaptiveModel.create(SPEC, { learning: { maxInstances: 1 } });
    expect(() => small.learning.merge(snap)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(decodeLearning(small.learning.snapshot()).models[0]!.instances).toEqual([]);
    small.propensity({ age: 1 }, { action: 'x' });
    expect(() => small.propensity({ age: 1 }, { action: 'y' })).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
  });

  it('validates what it learns from', async () => {
    const m = await fresh();
    const obs = m.observe({ age: 30, plan: 'basic' }, { action: 'upgrade' });
    expect(codeOf(() => m.learn(obs, 'maybe' as 'accept'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learn({ ...obs, bins: Uint16Array.of(0, 0) }, 'accept'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learn({ ...obs, bins: Uint16Array.of(9, 0, 0) }, 'accept'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learn({ ...obs, scoreBin: 40 }, 'accept'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learn({ ...obs, scoreBin: 1.5 }, 'accept'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => m.learn({ ...obs, modelId: 'nope' }, 'accept'))).toBe('MODEL_UNKNOWN');
    expect(codeOf(() => m.observe({ age: 30 }))).toBe('ARGUMENT_INVALID'); // per-action model needs an action
    expect(codeOf(() => m.observe({ age: 'old' }, { action: 'a' }))).toBe('FEATURE_TYPE');
    expect(codeOf(() => m.observe(new Float32Array(2), { action: 'a' }))).toBe('ROWS_SHAPE');
    expect(decodeLearning(m.learning.snapshot()).models[0]!.instances).toEqual([]);
    m.learn(obs, 'accept');
    expect(m.report({ action: 'upgrade' }).positives).toBe(1);
  });
});

describe('engine.learning', () => {
  it('belongs to every engine, takes options, and keeps adaptive models out of Model', async () => {
    const { compileSpec, SpecSource, Engine, Model } = await import('../../src/index.js');
    const { encodeBundle } = await import('../../src/bundle/codec.js');
    const spec = 'bundle: b\nversion: "1"\nfeatures:\n  a: numeric\nmodels:\n  m:\n    adaptive: { predictors: { a: { thresholds: [1, 2] } } }\n  l:\n    linear: { weights: { a: 1 } }\n';
    const bytes = encodeBundle(compileSpec(new SpecSource(spec, 'b.yaml')));
    const engine = await Engine.load(bytes, { learning: { maxInstances: 2, seed: 7, log: { maxCustomers: 10 } } });
    expect(engine.learning.modelIds).toEqual(['m']);
    expect(engine.learning.maxInstances).toBe(2);
    expect(engine.learning.log.maxCustomers).toBe(10);
    expect(engine.score('l', { a: 2 })[0]).toBe(2);
    await expect(Engine.load(bytes, { learning: { maxInstances: 0 } })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    await expect(Engine.load(bytes, { learning: { seed: -1 } })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    await expect(Model.fromBundle(bytes, { id: 'm' })).rejects.toMatchObject({ code: 'MODEL_KIND' });
    const am = await AdaptiveModel.fromBundle(bytes);
    expect(am.id).toBe('m');
    // no adaptive models: learning is empty but present
    const plain = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec.replace(/  m:\n.*\n/, ''), 'b.yaml'))));
    expect(plain.learning.modelIds).toEqual([]);
    expect(decodeLearning(plain.learning.snapshot()).models).toEqual([]);
  });
});
