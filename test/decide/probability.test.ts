/**
 * The probability that a decision's policy selects each action it selected
 * (decide option `probability`, src/decide/probability.ts): the kernel's
 * re-runs (decideSample) against the reference twin on random bundles with
 * adaptive propensities, on both wasm builds; exact cases (deterministic
 * decisions, the greedy share of epsilon-greedy); calibration against how
 * often seeded decisions actually select each action; options and errors.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import type { Decisions } from '../../src/decide/decider.js';
import { referenceDecide, referenceDecideSample } from '../../src/reference/decide.js';
import type { ModelTable } from '../../src/models/registry.js';
import { section } from '../../src/state/layout.js';
import { decodeLearning } from '../../src/adaptive/snapshot.js';
import { referenceCounts } from '../../src/reference/adaptive.js';
import { ReferencePrng } from '../../src/reference/prng.js';
import type { AdaptiveTable } from '../../src/models/adaptive.js';
import { combineStrata, exploreChance, samplingSeedWords, strata, COIN_EXPLORE, type EpsilonCoin } from '../../src/decide/probability.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { randomDecisionSpec, randomNow, randomRequest } from '../helpers/decisions.js';

const NOW = Date.UTC(2026, 3, 1);

function decisionsOf(e: Engine): Decisions {
  return (e as unknown as { decisions: Decisions }).decisions;
}

describe('selection probabilities: kernel vs reference twin', () => {
  for (const variant of VARIANTS) {
    it(`re-runs decisions as the twin does, and combines coin patterns the same way (${variant})`, async () => {
      const rand = mulberry32(variant === 'release' ? 9001 : 31);
      const trials = variant === 'release' ? 16 : 8;
      let random = 0;
      let deterministic = 0;
      let stratified = 0;
      for (let trial = 0; trial < trials; trial++) {
        const rb = randomDecisionSpec(rand, { adaptive: true });
        const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(JSON.stringify(rb.spec), `p-${trial}.json`), { created: '2026-01-01T00:00:00Z' })), {
          wasm: variant,
        });
        const d = decisionsOf(engine);
        const t = d.tables;
        const models = new Map<string, ModelTable>(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
        const contactsOffset = section(d.layout, 'contacts')!.offset;
        for (let customer = 0; customer < 10; customer++) {
          const now = randomNow(rand);
          const { features, context, frame, requested, limit } = randomRequest(rand, engine, t, rb, now);
          const seed = trial * 100 + customer;
          const draws = randInt(rand, 1, 8);
          const state = d.freshState();
          const customerId = `p${trial}c${customer}`;
          const learned = decodeLearning(engine.learning.snapshot());
          const counts = (modelId: string, key: string) =>
            learned.models.find((m) => m.id === modelId)?.instances.find(([k]) => k === key)?.[1] ?? referenceCounts(models.get(modelId) as AdaptiveTable);
          const plain = d.decide(state, { customerId, features, context: context as never }, { seed, ...(limit === undefined ? {} : { limit }) });
          const decision = d.decide(state, { customerId, features, context: context as never }, { seed, probability: { draws }, ...(limit === undefined ? {} : { limit }) });
          // asking for probabilities does not change the decision
          expect(decision.actions.map(({ probability, ...a }) => a)).toEqual(plain.actions);

          const rng = new ReferencePrng(seed);
          const input = { features: engine.schema.encode(features), frame, state, contactsOffset, now, channels: requested, limit: limit ?? t.arbitration.limit };
          const realized = referenceDecide(t, models, { ...input, adaptive: { counts, rng } });
          expect(decision.actions.map((a) => a.id)).toEqual(realized.ranked.map((i) => t.actions[realized.records[i]!.action]!.id));
          const where = `trial ${trial}, customer ${customer}`;
          if (rng.state.join() === new ReferencePrng(seed).state.join()) {
            deterministic++;
            expect(decision.probabilityEstimate, where).toEqual({ draws: 0, exact: true });
            for (const a of decision.actions) expect(a.probability).toBe(1);
            continue;
          }
          random++;
          const coins: EpsilonCoin[] = [...realized.coins]
            .sort(([a], [b]) => a - b)
            .flatMap(([m, coin]) => {
              const ex = (models.get(t.frame.adaptive[m]!.id) as AdaptiveTable).exploration;
              return ex.method === 'epsilon' ? [{ ref: m, epsilon: ex.epsilon, explored: coin < ex.epsilon }] : [];
            });
          if (coins.length) stratified++;
          const targets = realized.ranked.map((i) => [realized.records[i]!.action, realized.records[i]!.channel] as const);
          const sampler = new ReferencePrng();
          sampler.seedWords(...samplingSeedWords(rng.state));
          const parts = strata(coins);
          let runs = 0;
          const results = parts.map((s) => {
            const forced = new Map(s.forces.map((f, i) => [coins[i]!.ref, f === COIN_EXPLORE ? 0 : 1]));
            const r = referenceDecideSample(t, models, { ...input, adaptive: { counts, rng: sampler, coins: forced } }, draws, targets);
            runs += r.deterministic ? 1 : draws;
            return r;
          });
          const want = combineStrata(parts, results, draws, targets.length);
          expect(decision.probabilityEstimate, where).toEqual({ draws: runs, exact: want.exact });
          expect(decision.actions.map((a) => a.probability), where).toEqual(want.probabilities);
          for (const a of decision.actions) expect(a.probability).toBeGreaterThan(0);

          // learning between decisions, so instances differ
          for (const a of decision.actions) {
            if (a.modelPropensity === undefined) continue;
            engine.learning.record({ customerId, actionId: a.id, ...(a.channel ? { channel: a.channel } : {}), outcome: rand() < 0.4 ? 'accept' : 'reject', at: now });
          }
        }
      }
      console.log(`selection probabilities (${variant}): ${random} random decisions (${stratified} with epsilon coins), ${deterministic} deterministic`);
      expect(random).toBeGreaterThan(variant === 'release' ? 40 : 15);
      expect(deterministic).toBeGreaterThan(3);
      expect(stratified).toBeGreaterThan(variant === 'release' ? 8 : 3);
    });
  }
});

const SPEC = (exploration: string, extra = '') => `
bundle: probability
version: "1"
features: { segment: [a, b], x: numeric }
models:
  offers:
    adaptive:
      predictors: { segment: {} }
      exploration: ${exploration}
actions:
  up: { kind: sale, propensity: score.offers, value: 10 }
  down: { kind: sale, propensity: score.offers, value: 10 }
  side: { kind: sale, propensity: score.offers, value: 10 }
  care: { kind: service, propensity: 0.01, value: 10 }
${extra}
arbitration: { limit: 1 }
`;

async function engineWith(exploration: string, outcomes: [string, number, number][], extra = ''): Promise<Engine> {
  const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC(exploration, extra), 'p.yaml'))));
  // outcomes per action: accepts and rejects, learned from segment "a" customers
  for (const [action, acc, rej] of outcomes) {
    for (let i = 0; i < acc + rej; i++) {
      const obs = e.learning.observe('offers', { action }, { segment: 'a', x: i });
      e.learning.learn(obs, i < acc ? 'accept' : 'reject');
    }
  }
  return e;
}

/**
 * How often n seeded decisions select each action, and each action's
 * estimated probability (draws re-runs, at the first seed that selected it).
 */
function frequencies(e: Engine, n: number, draws: number) {
  const req = { features: { segment: 'a', x: 1 }, context: { now: NOW } };
  const seen = new Map<string, { count: number; seed: number; probability: number }>();
  for (let seed = 0; seed < n; seed++) {
    const top = e.decide(req, { seed }).actions[0]!;
    const s = seen.get(top.id) ?? { count: 0, seed, probability: NaN };
    s.count++;
    seen.set(top.id, s);
  }
  for (const [id, s] of seen) {
    const top = e.decide(req, { seed: s.seed, probability: { draws } }).actions[0]!;
    expect(top.id).toBe(id);
    s.probability = top.probability!;
  }
  return seen;
}

describe('selection probabilities', () => {
  it('are exactly 1 for a deterministic decision, without re-running it', async () => {
    const e = await engineWith('{ method: none }', [['up', 30, 70], ['down', 10, 90], ['side', 5, 95]]);
    const d = e.decide({ customerId: 'c1', features: { segment: 'a', x: 1 }, context: { now: NOW } }, { probability: true });
    expect(d.actions.map((a) => [a.id, a.probability])).toEqual([['up', 1]]);
    expect(d.probabilityEstimate).toEqual({ draws: 0, exact: true });
    // the request as decided, for the decision log
    expect(d.request).toEqual({ customerId: 'c1', now: NOW, features: { segment: 'a', x: 1 }, context: {} });
  });

  it('estimate Thompson sampling by re-running the decision, calibrated against seeded decisions', async () => {
    // up: 30/100 accepted, down: 25/100, side: 20/40 (less evidence, wider draws)
    const e = await engineWith('{ method: thompson }', [['up', 30, 70], ['down', 25, 75], ['side', 8, 32]]);
    const seen = frequencies(e, 4000, 10000);
    expect([...seen.keys()].sort()).toEqual(['down', 'side', 'up']);
    for (const [id, s] of seen) {
      // the frequency over 4000 seeds and the estimate over 10000 re-runs agree within 4 standard errors
      const p = s.probability;
      const se = Math.sqrt(p * (1 - p) * (1 / 4000 + 1 / 10000));
      expect(Math.abs(s.count / 4000 - p), `${id}: ${s.count}/4000 vs ${p}`).toBeLessThan(4 * se);
    }
    const d = e.decide({ features: { segment: 'a', x: 1 }, context: { now: NOW } }, { seed: 7, probability: { draws: 50 } });
    expect(d.probabilityEstimate).toEqual({ draws: 50, exact: false });
    expect(Number.isInteger(d.actions[0]!.probability! * 51)).toBe(true); // (hits + 1) / (draws + 1)
  });

  it('give epsilon-greedy its greedy share exactly and estimate only the exploring share', async () => {
    const eps = 0.2;
    const e = await engineWith(`{ method: epsilon, epsilon: ${eps} }`, [['up', 30, 70], ['down', 10, 90], ['side', 10, 90]]);
    // greedy: up. Exploring: three uniform propensities with equal value, so each wins a third.
    const chance = exploreChance(eps);
    let greedyCalls = 0;
    for (let seed = 0; seed < 200; seed++) {
      const d = e.decide({ features: { segment: 'a', x: 1 }, context: { now: NOW } }, { seed, probability: { draws: 4000 } });
      const top = d.actions[0]!;
      expect(d.probabilityEstimate!.exact).toBe(false);
      expect(d.probabilityEstimate!.draws).toBe(4001); // the greedy pattern in one run, the exploring one in 4000
      const share = top.id === 'up' ? (top.probability! - (1 - chance)) / chance : top.probability! / chance;
      expect(Math.abs(share - 1 / 3), `seed ${seed}: ${top.id} ${top.probability}`).toBeLessThan(4 * Math.sqrt((2 / 9) / 4000));
      if (top.id === 'up') greedyCalls++;
    }
    expect(greedyCalls).toBeGreaterThan(150); // 0.8 + 0.2 / 3 of decisions
    // epsilon 0: one pattern, deterministic
    const e0 = await engineWith('{ method: epsilon, epsilon: 0 }', [['up', 30, 70], ['down', 10, 90], ['side', 10, 90]]);
    const d0 = e0.decide({ features: { segment: 'a', x: 1 }, context: { now: NOW } }, { seed: 1, probability: true });
    expect(d0.actions[0]).toMatchObject({ id: 'up', probability: 1 });
    expect(d0.probabilityEstimate).toEqual({ draws: 1, exact: true });
  });

  it('cover the exposure ramp: a held-back action is selected only when admitted', async () => {
    // side has no positives: the ramp admits it to 30% of decisions, where it wins (propensity 0.5 > up's)
    const e = await engineWith('{ method: none, ramp: { start: 0.3, positives: 50 } }', [['up', 60, 140], ['down', 55, 145]], '');
    const seen = frequencies(e, 2000, 10000);
    const side = seen.get('side')!;
    expect(Math.abs(side.probability - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / 10000));
    expect(Math.abs(side.count / 2000 - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / 2000));
    const up = seen.get('up')!;
    expect(up.probability + side.probability).toBeCloseTo(1, 1);
    const d = e.decide({ features: { segment: 'a', x: 1 }, context: { now: NOW } }, { seed: 3, explain: true });
    const held = d.explanation!.candidates.find((c) => c.action === 'side')!;
    expect(held.factors!.exposure).toBe(0.3);
    expect(held.reason).toMatch(d.actions[0]!.id === 'side' ? /admitted by the exposure ramp with probability 0\.3$/ : /admission probability 0\.3,/);
  });

  it('check the option', async () => {
    const e = await engineWith('{ method: thompson }', []);
    const req = { features: { segment: 'a', x: 1 }, context: { now: NOW } };
    expect(() => e.decide(req, { probability: { draws: 0 } })).toThrow(/OPTION_INVALID|probability\.draws must be an integer from 1 to 100000/);
    expect(() => e.decide(req, { probability: { draws: 1.5 } })).toThrow(/probability\.draws must be an integer/);
    expect(() => e.decide(req, { probability: 'yes' as never })).toThrow(/probability must be true, false or \{ draws \}/);
    expect(() => e.decide(req, { probability: { runs: 3 } as never })).toThrow(/unknown probability option "runs"; known: draws/);
    expect(e.decide(req, { probability: false }).request).toBeUndefined();
    expect(e.decide(req, { probability: { draws: 10 } }).probabilityEstimate).toEqual({ draws: 10, exact: false });
  });
});
