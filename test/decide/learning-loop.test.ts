/**
 * Learning from every outcome at engine level (issue 5, "How it is
 * checked"): engine.decide ranks by adaptive propensities explored with
 * Thompson sampling, engine.record feeds the outcome back through the
 * decision log, and the engine finds the best action per customer segment;
 * engines that saw disjoint outcomes merge to the one that saw them all,
 * byte for byte; a bundle's starting snapshot, reset(actionId) and the
 * exposure ramp through decisions.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { mulberry32 } from '../helpers/random.js';

const T0 = Date.UTC(2026, 0, 5);
const SEGMENTS = ['students', 'families', 'retirees'];
const ACTIONS = ['data_pack', 'family_plan', 'device_insurance', 'senior_care'];
// True acceptance rates per segment (rows) and action (columns); the best action differs by segment.
const RATE = [
  [0.05, 0.15, 0.08, 0.03],
  [0.12, 0.04, 0.06, 0.02],
  [0.03, 0.05, 0.04, 0.14],
];
const BEST = RATE.map((r) => r.indexOf(Math.max(...r)));

const SPEC = (exploration = '{ method: thompson }', extra = '') => `
bundle: learning-loop
version: "1"
features: { segment: [${SEGMENTS.join(', ')}], age: numeric }
context: { channel: [app, email] }
models:
  offers:
    adaptive:
      instances: action
      predictors: { segment: {}, age: { thresholds: [30, 45, 60] } }   # age carries no signal
      exploration: ${exploration}
actions:
${ACTIONS.map((a) => `  ${a}: { kind: sale, propensity: score.offers, value: 10, channels: [app] }`).join('\n')}
  newsletter: { kind: service, propensity: 0.01, value: 1, channels: [email] }
arbitration: { limit: 1 }
${extra}`;

function bundle(exploration?: string, extra?: string): Uint8Array {
  return encodeBundle(compileSpec(new SpecSource(SPEC(exploration, extra), 'learning-loop.yaml'), { created: '2026-01-01T00:00:00Z' }));
}

/** 1,000 returning customers: a segment and an age each. */
function customers(rand: () => number) {
  return Array.from({ length: 1000 }, (_, i) => ({
    customerId: `c${i}`,
    segment: Math.floor(rand() * SEGMENTS.length),
    age: 18 + Math.floor(rand() * 60),
  }));
}

/**
 * steps decisions for random customers on the app: the top action is
 * offered, the customer accepts with its true rate, and the outcome goes
 * back through engine.record (contact history and learning).
 */
async function simulate(seed: number, steps: number) {
  const engine = await Engine.load(bundle(), { learning: { seed } });
  const rand = mulberry32(seed);
  const people = customers(rand);
  let regret = 0;
  let randomRegret = 0;
  let learned = 0;
  const picks: { segment: number; action: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const c = people[Math.floor(rand() * people.length)]!;
    const at = T0 + t * 60_000;
    const d = engine.decide({ customerId: c.customerId, features: { segment: SEGMENTS[c.segment]!, age: c.age }, context: { now: at, channel: 'app' } });
    const a = ACTIONS.indexOf(d.actions[0]!.id);
    const accepted = rand() < RATE[c.segment]![a]!;
    const r = engine.record({ customerId: c.customerId, actionId: ACTIONS[a]!, channel: 'app', outcome: accepted ? 'accept' : 'reject', at: at + 1000 });
    if (r.learning?.learned) learned++;
    regret += RATE[c.segment]![BEST[c.segment]!]! - RATE[c.segment]![a]!;
    // uniform random choice, in expectation, for the same customers
    randomRegret += RATE[c.segment]![BEST[c.segment]!]! - RATE[c.segment]!.reduce((x, y) => x + y, 0) / ACTIONS.length;
    picks.push({ segment: c.segment, action: a });
  }
  return { engine, regret, randomRegret, picks, learned };
}

function bestShares(picks: { segment: number; action: number }[]): number[] {
  const late = picks.slice(-1000);
  return SEGMENTS.map((_, s) => {
    const mine = late.filter((p) => p.segment === s);
    return mine.filter((p) => p.action === BEST[s]).length / mine.length;
  });
}

/** Greedy: the action with the highest model propensity (before exploration), from the explanation. */
function greedyBest(engine: Engine, segment: number): number {
  const d = engine.decide({ features: { segment: SEGMENTS[segment]!, age: 40 }, context: { now: T0, channel: 'app' } }, { explain: true });
  const p = ACTIONS.map((a) => d.explanation!.candidates.find((c) => c.action === a)!.factors!.modelPropensity!);
  return p.indexOf(Math.max(...p));
}

describe('learning from every outcome through the engine', () => {
  it('finds the best action per segment, with regret far below random choice (3 segments, 4 actions, 4000 outcomes per run, seeds 1-20)', async () => {
    let regret = 0;
    let randomRegret = 0;
    const shares: number[] = [];
    let greedyRight = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const run = await simulate(seed, 4000);
      expect(run.learned).toBe(4000);
      regret += run.regret;
      randomRegret += run.randomRegret;
      shares.push(...bestShares(run.picks));
      for (let s = 0; s < SEGMENTS.length; s++) if (greedyBest(run.engine, s) === BEST[s]) greedyRight++;
    }
    const runs = shares.length;
    const meanShare = shares.reduce((a, b) => a + b, 0) / runs;
    const atLeast70 = shares.filter((x) => x >= 0.7).length;
    console.log(
      `engine simulation seeds 1-20: regret ${regret.toFixed(1)} vs random ${randomRegret.toFixed(1)} (${(regret / randomRegret).toFixed(3)}); ` +
        `best-action share in the last 1000 decisions: mean ${meanShare.toFixed(3)}, ${atLeast70}/${runs} segment runs at >= 70%; greedy picks the best for ${greedyRight}/${runs}`,
    );
    // Thresholds, set below the worst of seeds 1-100 in groups of 20 (mean share 0.816-0.897, 48-54
    // of 60 segment runs at >= 70%, greedy right in 54-56 of 60, regret 0.379-0.423 of random
    // choice's): the best action takes at least 80% of the last 1000 decisions on average and at
    // least 70% in 46 of the 60 (seed, segment) runs, greedy propensities rank it first in 52 of 60,
    // and cumulative regret is below 0.45 of random choice's. Seeds 1-20 give 0.872, 51, 54, 0.380.
    expect(meanShare).toBeGreaterThanOrEqual(0.8);
    expect(atLeast70).toBeGreaterThanOrEqual(46);
    expect(greedyRight).toBeGreaterThanOrEqual(52);
    expect(regret).toBeLessThan(0.45 * randomRegret);
  });
});

/** One round of decisions at the same learning state, then their outcomes: what each engine saw. */
interface Event {
  customerId: string;
  segment: number;
  age: number;
  seed: number;
  at: number;
  accept: number;
}

function round(rand: () => number, r: number): Event[] {
  const order = Array.from({ length: 150 }, (_, i) => i).sort(() => rand() - 0.5);
  return order.map((i, k) => ({
    customerId: `c${i}`,
    segment: i % SEGMENTS.length,
    age: 18 + ((i * 7) % 60),
    seed: r * 1000 + k,
    at: T0 + r * 86_400_000 + k * 1000,
    accept: rand(),
  }));
}

/** Decides every event on its engine (same learning state, same seed: same offer), then records the outcomes. */
function play(events: Event[], engineOf: (k: number) => Engine[]): string[] {
  const offered = events.map((e, k) => {
    const ids = engineOf(k).map((engine) => {
      const d = engine.decide({ customerId: e.customerId, features: { segment: SEGMENTS[e.segment]!, age: e.age }, context: { now: e.at, channel: 'app' } }, { seed: e.seed });
      return d.actions[0]!.id;
    });
    expect(new Set(ids).size).toBe(1);
    return ids[0]!;
  });
  events.forEach((e, k) => {
    const a = offered[k]!;
    const outcome = e.accept < RATE[e.segment]![ACTIONS.indexOf(a)]! * 3 ? 'accept' : 'reject';
    for (const engine of engineOf(k)) {
      expect(engine.record({ customerId: e.customerId, actionId: a, channel: 'app', outcome, at: e.at + 500 }).learning?.learned).toBe(true);
    }
  });
  return offered;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('learning state of engines that decide and record', () => {
  it('merges engines that saw disjoint outcomes into the snapshot of one that saw them all, byte for byte', async () => {
    const rand = mulberry32(5);
    const bytes = bundle();
    const [a, b, all] = await Promise.all([Engine.load(bytes), Engine.load(bytes), Engine.load(bytes)]);
    // round 0: a and b each see half of the outcomes, `all` sees every one
    const first = round(rand, 0);
    play(first, (k) => [k % 2 ? a : b, all]);
    const sa = a.learning.snapshot();
    const sb = b.learning.snapshot();
    expect(same(sa, all.learning.snapshot())).toBe(false);
    for (const [x, y] of [[sa, sb], [sb, sa]] as const) {
      const m = await Engine.load(bytes);
      m.learning.merge(x);
      m.learning.merge(y);
      expect(same(m.learning.snapshot(), all.learning.snapshot())).toBe(true);
    }
    // then as workers: each round from the same state, deltas exchanged after it
    b.learning.merge(a.learning.delta());
    a.learning.merge(sb);
    b.learning.delta(); // b shipped its round-0 learning as the snapshot above
    expect(same(a.learning.snapshot(), all.learning.snapshot())).toBe(true);
    expect(same(b.learning.snapshot(), all.learning.snapshot())).toBe(true);
    const shares: number[] = [];
    for (let r = 1; r <= 6; r++) {
      const events = round(rand, r);
      const offered = play(events, (k) => [(k * 7) % 3 === 0 ? a : b, all]);
      const da = a.learning.delta();
      const db = b.learning.delta();
      a.learning.merge(db);
      b.learning.merge(da);
      const want = all.learning.snapshot();
      expect(same(a.learning.snapshot(), want), `round ${r}`).toBe(true);
      expect(same(b.learning.snapshot(), want), `round ${r}`).toBe(true);
      shares.push(offered.filter((id, k) => id === ACTIONS[BEST[events[k]!.segment]!]).length / offered.length);
    }
    // the decisions used the learning: score bins hold outcomes, and the best actions gained ground
    const report = all.learning.report('offers', { action: 'family_plan' });
    expect(report.scoreBins.length).toBeGreaterThan(1);
    expect(shares[5]!).toBeGreaterThan(0.5);
  });

  it('starts from the snapshot a bundle carries, and decides with it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { buildBundle } = await import('../../src/index.js');
    const trained = (await simulate(3, 1500)).engine;
    const dir = mkdtempSync(join(tmpdir(), 'nb-learning-loop-'));
    writeFileSync(join(dir, 'learned.nbls'), trained.learning.snapshot());
    writeFileSync(join(dir, 'spec.yaml'), SPEC(undefined, 'learning: learned.nbls\n'));
    const loaded = await Engine.load(await buildBundle(join(dir, 'spec.yaml')));
    expect(same(loaded.learning.snapshot(), trained.learning.snapshot())).toBe(true);
    for (let s = 0; s < SEGMENTS.length; s++) {
      const req = { customerId: `new${s}`, features: { segment: SEGMENTS[s]!, age: 33 }, context: { now: T0, channel: 'app' } };
      const want = trained.decide(req, { seed: 11, explain: true });
      const got = loaded.decide(req, { seed: 11, explain: true });
      expect(got.actions).toEqual(want.actions);
      expect(got.explanation!.candidates).toEqual(want.explanation!.candidates);
      expect(greedyBest(loaded, s)).toBe(greedyBest(trained, s));
    }
    // the starting snapshot is not local learning: nothing to ship until the engine learns
    const delta = loaded.learning.delta();
    const fresh = await Engine.load(bundle());
    fresh.learning.merge(delta);
    expect(fresh.learning.snapshot()).toEqual((await Engine.load(bundle())).learning.snapshot());
  });

  it('resets one action through the engine: it starts over, and outcomes of earlier decisions are not learned', async () => {
    const { engine } = await simulate(7, 1500);
    const features = { segment: 'families', age: 50 };
    const factors = (e: Engine) =>
      Object.fromEntries(
        e.decide({ features, context: { now: T0, channel: 'app' } }, { explain: true }).explanation!.candidates.filter((c) => ACTIONS.includes(c.action)).map((c) => [c.action, c.factors!.modelPropensity]),
      );
    const before = factors(engine);
    // a decision that offers data_pack (the best for families), before the reset
    const d = engine.decide({ customerId: 'late', features, context: { now: T0 + 1e9, channel: 'app' } }, { seed: 1 });
    const offered = d.actions[0]!.id;
    expect(engine.learning.reset(offered)).toBe(1);
    const after = factors(engine);
    for (const a of ACTIONS) expect(after[a]).toBe(a === offered ? 0.5 : before[a]);
    const r = engine.record({ customerId: 'late', actionId: offered, channel: 'app', outcome: 'accept', at: T0 + 1e9 + 1000 });
    expect(r.learning).toMatchObject({ learned: false, reason: 'reset' });
    expect(engine.learning.report('offers', { action: offered }).positives).toBe(0);
    // a decision after the reset learns again
    const again = engine.decide({ customerId: 'later', features, context: { now: T0 + 2e9, channel: 'app' } }, { seed: 2 });
    const id = again.actions[0]!.id;
    expect(engine.record({ customerId: 'later', actionId: id, channel: 'app', outcome: 'accept', at: T0 + 2e9 + 1000 }).learning).toMatchObject({ learned: true });
    expect(engine.learning.report('offers', { action: id }).positives).toBeGreaterThan(id === offered ? 0 : 5);
    // everything
    expect(engine.learning.reset()).toBe(ACTIONS.length);
    for (const p of Object.values(factors(engine))) expect(p).toBe(0.5);
  });

  it('shows the exposure ramp in explanations while it holds an action back', async () => {
    const engine = await Engine.load(bundle('{ method: none, ramp: { start: 0.1, positives: 20 } }'));
    for (let i = 0; i < 5; i++) engine.learning.learn(engine.learning.observe('offers', { action: 'senior_care' }, { segment: 'retirees', age: 70 }), 'accept');
    const explain = (seed: number) =>
      engine.decide({ features: { segment: 'retirees', age: 70 }, context: { now: T0, channel: 'app' } }, { explain: true, seed }).explanation!.candidates.find((c) => c.action === 'senior_care')!;
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const c = explain(seed);
      expect(c.factors!.exposure).toBe(0.1 + (0.9 * 5) / 20);
      seen.add(c.stage);
      expect(c.reason).toMatch(c.stage === 'selected' ? /; admitted by the exposure ramp with probability 0\.325$/ : /^not admitted to this decision by the exposure ramp of adaptive model offers \(admission probability 0\.325, model propensity 0\.91/);
    }
    expect([...seen].sort()).toEqual(['propensity', 'selected']);
    for (let i = 0; i < 15; i++) engine.learning.learn(engine.learning.observe('offers', { action: 'senior_care' }, { segment: 'retirees', age: 70 }), 'accept');
    const full = explain(0);
    expect(full.factors!.exposure).toBeUndefined();
    expect(full.stage).toBe('selected');
  });
});
