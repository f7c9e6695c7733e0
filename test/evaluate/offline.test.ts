import { describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/errors.js';
import { evaluatePolicy, normalQuantile, type Policy } from '../../src/evaluate/offline.js';
import { parseDecisionLog, type LoggedDecision } from '../../src/evaluate/log.js';
import { mulberry32 } from '../helpers/random.js';

const SEGMENTS = ['young', 'family', 'senior'];
const SEGMENT_SHARE = [0.5, 0.3, 0.2];
const ACTIONS = ['upgrade', 'insurance', 'loan'];
// true acceptance rate per segment and action
const RATE = [
  [0.1, 0.02, 0.05],
  [0.03, 0.12, 0.06],
  [0.02, 0.04, 0.09],
];
// the logging policy favours one (wrong-ish) action per segment: 0.6, the others 0.2 each
const FAVOURED = [1, 0, 0];

function simulateLog(seed: number, n: number): LoggedDecision[] {
  const rand = mulberry32(seed);
  const log: LoggedDecision[] = [];
  for (let i = 0; i < n; i++) {
    const u = rand();
    const s = u < SEGMENT_SHARE[0]! ? 0 : u < SEGMENT_SHARE[0]! + SEGMENT_SHARE[1]! ? 1 : 2;
    const v = rand();
    const a = v < 0.6 ? FAVOURED[s]! : [0, 1, 2].filter((x) => x !== FAVOURED[s])[v < 0.8 ? 0 : 1]!;
    const probability = a === FAVOURED[s] ? 0.6 : 0.2;
    const accepted = rand() < RATE[s]![a]!;
    log.push({ customerId: `c${i}`, features: { segment: SEGMENTS[s]! }, action: ACTIONS[a]!, probability, reward: accepted ? 1 : 0 });
  }
  return log;
}

const segmentOf = (d: LoggedDecision) => SEGMENTS.indexOf(d.features!.segment as string);
/** The policy to evaluate: the best action per segment. Its true value: */
const best: Policy = (d) => {
  const s = segmentOf(d);
  return { action: ACTIONS[RATE[s]!.indexOf(Math.max(...RATE[s]!))]! };
};
const TRUE_BEST = SEGMENT_SHARE.reduce((acc, share, s) => acc + share * Math.max(...RATE[s]!), 0);
/** A stochastic policy: uniform over actions. */
const uniform: Policy = () => ({ probabilities: { upgrade: 1 / 3, insurance: 1 / 3, loan: 1 / 3 } });
const TRUE_UNIFORM = SEGMENT_SHARE.reduce((acc, share, s) => acc + (share * RATE[s]!.reduce((a, b) => a + b, 0)) / 3, 0);

const inside = (e: { lower: number; upper: number }, v: number) => e.lower <= v && v <= e.upper;

describe('offline evaluation', () => {
  it('recovers the true value of known policies within its intervals (seed 2026, 20k decisions)', () => {
    const log = simulateLog(2026, 20_000);
    const r = evaluatePolicy(log, best);
    expect(r.decisions).toBe(20_000);
    expect(inside(r.ips, TRUE_BEST)).toBe(true);
    expect(inside(r.snips, TRUE_BEST)).toBe(true);
    expect(inside(r.dr, TRUE_BEST)).toBe(true);
    expect(Math.abs(r.ips.value - TRUE_BEST)).toBeLessThan(0.01);
    expect(r.ips.upper - r.ips.lower).toBeLessThan(0.03);
    expect(r.diagnostics.meanWeight).toBeCloseTo(1, 1);
    expect(r.diagnostics.matched).toBeGreaterThan(3600); // the best action is logged with probability 0.2
    expect(r.diagnostics.rewardModel).toBe('empirical');
    // the logging policy's own value, on-policy
    const trueLogging = SEGMENT_SHARE.reduce((acc, share, s) => acc + share * RATE[s]!.reduce((a, rate, x) => a + rate * (x === FAVOURED[s] ? 0.6 : 0.2), 0), 0);
    expect(inside(r.logging, trueLogging)).toBe(true);
    const u = evaluatePolicy(log, uniform);
    expect(inside(u.ips, TRUE_UNIFORM)).toBe(true);
    expect(inside(u.dr, TRUE_UNIFORM)).toBe(true);
    // the policy's own reward model (here the truth) makes DR tighter than IPS, and DM exact-ish
    const informed: Policy = (d) => ({ ...best(d), expected: Object.fromEntries(ACTIONS.map((a, i) => [a, RATE[segmentOf(d)]![i]!])) });
    const ri = evaluatePolicy(log, informed);
    expect(ri.diagnostics.rewardModel).toBe('policy');
    expect(inside(ri.dr, TRUE_BEST)).toBe(true);
    expect(ri.dr.upper - ri.dr.lower).toBeLessThan(r.ips.upper - r.ips.lower);
    expect(Math.abs(ri.dm.value - TRUE_BEST)).toBeLessThan(0.005);
  });

  it('has about the stated coverage over repeated logs (200 seeded logs of 2000)', () => {
    let ips = 0;
    let dr = 0;
    let snips = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = evaluatePolicy(simulateLog(seed, 2000), best);
      if (inside(r.ips, TRUE_BEST)) ips++;
      if (inside(r.dr, TRUE_BEST)) dr++;
      if (inside(r.snips, TRUE_BEST)) snips++;
    }
    for (const covered of [ips, dr, snips]) {
      expect(covered / 200).toBeGreaterThan(0.88);
      expect(covered / 200).toBeLessThanOrEqual(1);
    }
  });

  it('bootstrap intervals are reproducible and agree with the normal ones', () => {
    const log = simulateLog(7, 5000);
    const a = evaluatePolicy(log, best, { interval: 'bootstrap', resamples: 400, seed: 3 });
    const b = evaluatePolicy(log, best, { interval: 'bootstrap', resamples: 400, seed: 3 });
    expect(a).toEqual(b);
    const n = evaluatePolicy(log, best);
    expect(inside(a.ips, TRUE_BEST)).toBe(true);
    expect(Math.abs(a.ips.upper - a.ips.lower - (n.ips.upper - n.ips.lower))).toBeLessThan(0.01);
    expect(a.ips.value).toBe(n.ips.value);
  });

  it('computes the estimators exactly on a tiny log', () => {
    const log: LoggedDecision[] = [
      { action: 'a', probability: 0.5, reward: 1 },
      { action: 'b', probability: 0.25, reward: 0 },
      { action: 'a', probability: 0.5, reward: 0 },
      { action: 'b', probability: 0.5, reward: 1 },
    ];
    const r = evaluatePolicy(log, () => ({ action: 'a', expected: { a: 0.4, b: 0.2 } }));
    // weights 2, 0, 2, 0
    expect(r.ips.value).toBeCloseTo((2 * 1 + 2 * 0) / 4, 12);
    expect(r.snips.value).toBeCloseTo(2 / 4, 12);
    expect(r.dm.value).toBeCloseTo(0.4, 12);
    expect(r.dr.value).toBeCloseTo((0.4 + 2 * (1 - 0.4) + 0.4 + 0.4 + 2 * (0 - 0.4) + 0.4) / 4, 12);
    expect(r.diagnostics).toMatchObject({ matched: 2, maxWeight: 2, meanWeight: 1, effectiveSampleSize: 2 });
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 6);
  });

  it('parses the NDJSON log format and reports bad lines', () => {
    const text = [
      '{"customerId":"c1","at":"2026-01-05T10:00:00Z","features":{"segment":"young"},"context":{"channel":"web"},"action":"upgrade","probability":0.6,"outcome":"accept"}',
      '',
      '{"action":"loan","probability":0.2,"outcome":"reject","channel":"app"}',
      '{"action":"loan","probability":1,"reward":2.5}',
    ].join('\n');
    const log = parseDecisionLog(text, 'd.ndjson');
    expect(log).toEqual([
      { customerId: 'c1', at: Date.parse('2026-01-05T10:00:00Z'), features: { segment: 'young' }, context: { channel: 'web' }, action: 'upgrade', probability: 0.6, reward: 1 },
      { action: 'loan', probability: 0.2, reward: 0, channel: 'app' },
      { action: 'loan', probability: 1, reward: 2.5 },
    ]);
    const err = (t: string) => {
      try {
        parseDecisionLog(t, 'd.ndjson');
      } catch (e) {
        return `${(e as { code: string }).code} ${(e as Error).message}`;
      }
      return 'ok';
    };
    expect(err('{"action":"a","probability":0,"outcome":"accept"}')).toMatch(/^LOG_INVALID d\.ndjson:1: "probability".*must be in \(0, 1\]/);
    expect(err('{"action":"a","probability":0.5}\n')).toMatch(/d\.ndjson:1: needs "outcome"/);
    expect(err('{"action":"a","probability":0.5,"outcome":"accept"}\n{oops')).toMatch(/d\.ndjson:2: not valid JSON/);
    expect(err('{"probability":0.5,"outcome":"accept"}')).toMatch(/"action"/);
    expect(err('{"action":"a","probability":0.5,"outcome":"accept","at":"yesterday"}')).toMatch(/"at" must be/);
    expect(err('\n\n')).toMatch(/holds no logged decisions/);
  });

  it('validates policies and options', () => {
    const log = simulateLog(1, 10);
    expect(codeOf(() => evaluatePolicy([], best))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => evaluatePolicy(log, 'x' as never))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => evaluatePolicy(log, () => ({ probabilities: { a: 0.8, b: 0.8 } })))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => evaluatePolicy(log, () => ({ action: 3 as never })))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => evaluatePolicy(log, () => ({ action: 'a', expected: { a: NaN } })))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => evaluatePolicy(log, best, { confidence: 1 }))).toBe('OPTION_INVALID');
    expect(codeOf(() => evaluatePolicy(log, best, { interval: 'jackknife' as never }))).toBe('OPTION_INVALID');
    expect(codeOf(() => evaluatePolicy(log, best, { interval: 'bootstrap', resamples: 10 }))).toBe('OPTION_INVALID');
    // a policy that never acts is worth nothing
    expect(evaluatePolicy(log, () => ({ action: null })).ips.value).toBe(0);
  });
});
