import { describe, expect, it } from 'vitest';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import type { AdaptiveSpec } from '../../src/models/adaptive.js';
import { mulberry32 } from '../helpers/random.js';

// True acceptance rates per segment (rows) and action (columns); the best action differs per segment.
const SEGMENTS = ['students', 'families', 'retirees'];
const ACTIONS = ['data_pack', 'family_plan', 'device_insurance', 'senior_care'];
const RATE = [
  [0.05, 0.15, 0.08, 0.03],
  [0.12, 0.04, 0.06, 0.02],
  [0.03, 0.05, 0.04, 0.14],
];
const BEST = RATE.map((r) => r.indexOf(Math.max(...r)));

const spec: AdaptiveSpec = {
  id: 'offers',
  features: [
    { name: 'segment', type: 'categorical', categories: SEGMENTS },
    { name: 'age', type: 'numeric' },
  ],
  predictors: { segment: {}, age: { thresholds: [30, 45, 60] } }, // age carries no signal
  instances: 'action',
};

/**
 * The learning loop without the decision kernel: each step a random customer
 * arrives, every action's propensity is Thompson-sampled, the highest is
 * offered (and logged), and the customer accepts with the true rate; the
 * outcome is recorded through the decision log.
 */
async function simulate(seed: number, steps: number, choose: 'thompson' | 'random') {
  const m = await AdaptiveModel.create(spec, { learning: { seed } });
  const rand = mulberry32(seed);
  let regret = 0;
  const picks: { segment: number; action: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const s = Math.floor(rand() * SEGMENTS.length);
    const features = { segment: SEGMENTS[s]!, age: 18 + Math.floor(rand() * 60) };
    let a = 0;
    if (choose === 'random') a = Math.floor(rand() * ACTIONS.length);
    else {
      let bestDraw = -1;
      for (let k = 0; k < ACTIONS.length; k++) {
        const ref = { action: ACTIONS[k]! };
        const draw = m.learning.explore('offers', ref, m.propensity(features, ref));
        if (draw > bestDraw) {
          bestDraw = draw;
          a = k;
        }
      }
    }
    const customerId = `c${t}`;
    m.learning.offered(customerId, [{ actionId: ACTIONS[a]!, modelId: 'offers', features }], t);
    const accepted = rand() < RATE[s]![a]!;
    m.learning.record({ customerId, actionId: ACTIONS[a]!, outcome: accepted ? 'accept' : 'reject', at: t });
    regret += RATE[s]![BEST[s]!]! - RATE[s]![a]!;
    picks.push({ segment: s, action: a });
  }
  return { m, regret, picks };
}

function bestShares(picks: { segment: number; action: number }[]): number[] {
  const late = picks.slice(-1000);
  return SEGMENTS.map((_, s) => {
    const mine = late.filter((p) => p.segment === s);
    return mine.filter((p) => p.action === BEST[s]).length / mine.length;
  });
}

describe('adaptive learning loop (simulation: 3 segments, 4 actions, 4000 outcomes per run, seeds 1-20)', () => {
  it('mostly picks the best action per segment and keeps regret far below random choice', async () => {
    let regret = 0;
    let randomRegret = 0;
    const shares: number[] = [];
    let greedyRight = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const run = await simulate(seed, 4000, 'thompson');
      regret += run.regret;
      randomRegret += (await simulate(seed, 4000, 'random')).regret;
      shares.push(...bestShares(run.picks));
      // greedy on the learned propensities (no exploration)
      for (let s = 0; s < SEGMENTS.length; s++) {
        const p = ACTIONS.map((a) => run.m.propensity({ segment: SEGMENTS[s]!, age: 40 }, { action: a }));
        if (p.indexOf(Math.max(...p)) === BEST[s]) greedyRight++;
      }
    }
    const meanShare = shares.reduce((a, b) => a + b, 0) / shares.length;
    const atLeast70 = shares.filter((x) => x >= 0.7).length;
    console.log(
      `simulation seeds 1-20: regret ${regret.toFixed(1)} vs random ${randomRegret.toFixed(1)}; best-action share in the last 1000 decisions: mean ${meanShare.toFixed(3)}, ${atLeast70}/60 segment runs at >= 70%; greedy picks the best for ${greedyRight}/60`,
    );
    // Thresholds, set below what seeds 1-60 give in groups of 10 (mean share 0.77-0.89, 22-27 of 30
    // runs at >= 70%, greedy right in 22-28 of 30, regret 0.36-0.45 of random's): the best action is
    // chosen in at least 78% of the last 1000 decisions on average, at least 70% of the time in 42 of
    // the 60 (seed, segment) runs, greedy propensities rank it first in 42 of 60, and regret is below
    // half of random choice's.
    expect(meanShare).toBeGreaterThanOrEqual(0.78);
    expect(atLeast70).toBeGreaterThanOrEqual(42);
    expect(greedyRight).toBeGreaterThanOrEqual(42);
    expect(regret).toBeLessThan(randomRegret / 2);
  });
});
