/**
 * The decision log round trip: decisions of a known policy (a bundle whose
 * adaptive model explores with Thompson sampling) logged with
 * toLogRecord(engine.decide(req, { probability }), outcome), evaluated by
 * `nextbest evaluate --bundle` on the same bundle and on a greedy variant:
 * the estimates' intervals hold each policy's true acceptance rate.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, compileSpec, Engine, runCli, SpecSource, toLogRecord } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { parseDecisionLog, parseLoggedDecision } from '../../src/evaluate/log.js';
import { mulberry32 } from '../helpers/random.js';

const T0 = Date.UTC(2026, 1, 1);
const SEGMENTS = ['young', 'family', 'senior'];
const SHARE = [0.5, 0.3, 0.2];
const ACTIONS = ['upgrade', 'insurance', 'loan'];
const RATE = [
  [0.1, 0.02, 0.05],
  [0.03, 0.12, 0.06],
  [0.02, 0.04, 0.09],
];

const spec = (exploration: string, learning = '') => `
bundle: roundtrip
version: "1"
features: { segment: [${SEGMENTS.join(', ')}], tenure: numeric }
context: { channel: [app, web] }
models:
  offers:
    adaptive: { predictors: { segment: {}, tenure: { thresholds: [12, 36] } }, exploration: ${exploration} }
actions:
${ACTIONS.map((a) => `  ${a}: { kind: sale, propensity: score.offers, value: 1 }`).join('\n')}
arbitration: { limit: 1 }
${learning}`;

function customer(rand: () => number) {
  const u = rand();
  const s = u < SHARE[0]! ? 0 : u < SHARE[0]! + SHARE[1]! ? 1 : 2;
  return { s, features: { segment: SEGMENTS[s]!, tenure: Math.floor(rand() * 60) } };
}

/** The acceptance rate a bundle's policy really gets: the mean true rate of what it selects for many customers. */
function trueValue(engine: Engine, n: number, seed: number): number {
  const rand = mulberry32(seed);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const { s, features } = customer(rand);
    const top = engine.decide({ features, context: { now: T0, channel: 'app' } }).actions[0]!;
    sum += RATE[s]![ACTIONS.indexOf(top.id)]!;
  }
  return sum / n;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('decision log round trip', () => {
  it('logs engine.decide with its probabilities; nextbest evaluate --bundle recovers the true acceptance rate within its intervals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-roundtrip-'));
    // a little learning to start from: 80 outcomes per action
    const trainer = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec('{ method: none }'), 'train.yaml'))));
    const train = mulberry32(1);
    for (let i = 0; i < 240; i++) {
      const { s, features } = customer(train);
      const a = i % 3;
      const obs = trainer.learning.observe('offers', { action: ACTIONS[a]! }, features);
      trainer.learning.learn(obs, train() < RATE[s]![a]! * 2 ? 'accept' : 'reject');
    }
    writeFileSync(join(dir, 'learned.nbls'), trainer.learning.snapshot());
    writeFileSync(join(dir, 'thompson.yaml'), spec('{ method: thompson }', 'learning: learned.nbls\n'));
    writeFileSync(join(dir, 'greedy.yaml'), spec('{ method: none }', 'learning: learned.nbls\n'));
    for (const name of ['thompson', 'greedy']) writeFileSync(join(dir, `${name}.nbb`), await buildBundle(join(dir, `${name}.yaml`)));

    // the logging policy: the Thompson bundle, no learning while it logs (a fixed policy)
    const logger = await Engine.load(join(dir, 'thompson.nbb'), { learning: { seed: 2 } });
    const rand = mulberry32(3);
    const lines: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const { s, features } = customer(rand);
      const d = logger.decide({ customerId: `c${i}`, features, context: { now: T0 + i * 1000, channel: 'app' } }, { probability: { draws: 100 } });
      const top = d.actions[0]!;
      const accept = rand() < RATE[s]![ACTIONS.indexOf(top.id)]!;
      if (accept) accepted++;
      lines.push(JSON.stringify(toLogRecord(d, accept ? 'accept' : 'reject')));
    }
    const logPath = join(dir, 'decisions.ndjson');
    writeFileSync(logPath, lines.join('\n') + '\n');
    const logged = parseDecisionLog(lines.join('\n'), 'decisions.ndjson');
    expect(logged.filter((l) => l.probability < 1).length).toBeGreaterThan(2000); // Thompson explores

    const truth = {
      thompson: trueValue(await Engine.load(join(dir, 'thompson.nbb'), { learning: { seed: 9 } }), 20_000, 4),
      greedy: trueValue(await Engine.load(join(dir, 'greedy.nbb')), 4000, 4),
    };
    for (const name of ['thompson', 'greedy'] as const) {
      const t = io();
      expect(await runCli(['evaluate', '--log', logPath, '--bundle', join(dir, `${name}.nbb`), '--json'], t.io)).toBe(0);
      const r = JSON.parse(t.out.join('\n'));
      const v = truth[name];
      console.log(
        `${name}: true ${v.toFixed(4)}; IPS ${r.ips.value.toFixed(4)} [${r.ips.lower.toFixed(4)}, ${r.ips.upper.toFixed(4)}], ` +
          `SNIPS ${r.snips.value.toFixed(4)}, mean weight ${r.diagnostics.meanWeight.toFixed(3)}, DR ${r.dr.value.toFixed(4)} [${r.dr.lower.toFixed(4)}, ${r.dr.upper.toFixed(4)}]; logging ${r.logging.value.toFixed(4)}; matched ${r.diagnostics.matched}`,
      );
      for (const k of ['ips', 'snips', 'dr'] as const) {
        expect(r[k].lower, `${name} ${k}`).toBeLessThanOrEqual(v);
        expect(r[k].upper, `${name} ${k}`).toBeGreaterThanOrEqual(v);
      }
      // right logging probabilities: the weights average about 1
      expect(Math.abs(r.diagnostics.meanWeight - 1), name).toBeLessThan(0.1);
    }
    // the logging policy is the Thompson bundle: its own mean reward estimates the same value
    expect(Math.abs(accepted / 4000 - truth.thompson)).toBeLessThan(0.02);
  });

  it('makes one valid log line per decision, with errors that say what to fix', async () => {
    const e = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec('{ method: thompson }'), 'r.yaml'))));
    const features = new Float32Array([1, Infinity]); // segment "family" by code, an infinite tenure
    const d = e.decide({ customerId: 'c9', features, context: { now: T0, channel: ['app', 'web'] } }, { probability: { draws: 20 }, limit: 1 });
    expect(d.actions).toHaveLength(2);
    const second = d.actions[1]!;
    const rec = toLogRecord(d, { reward: 2.5 }, second.id);
    expect(rec).toEqual({
      customerId: 'c9',
      at: T0,
      features: { segment: 'family', tenure: 1e39 },
      context: { channel: ['app', 'web'] },
      channel: second.channel,
      action: second.id,
      probability: second.probability,
      reward: 2.5,
      token: d.token,
    });
    expect(d.token).toBeTypeOf('number');
    // the line parses as a logged decision, and its features encode back to the same vector
    const parsed = parseLoggedDecision(JSON.parse(JSON.stringify(rec)), 'line 1');
    expect(parsed).toMatchObject({ action: second.id, probability: second.probability, reward: 2.5, at: T0, channel: second.channel });
    expect(e.schema.encode(parsed.features!)).toEqual(features);
    expect(toLogRecord(d, 'accept')).toMatchObject({ action: d.actions[0]!.id, outcome: 'accept' });

    const plain = e.decide({ features, context: { now: T0 } });
    expect(() => toLogRecord(plain, 'accept')).toThrow(/decide with \{ probability: true \} to log a decision/);
    expect(() => toLogRecord(d, 'accept', 'nope')).toThrow(/the decision did not select "nope"; it selected/);
    expect(() => toLogRecord(d, 'maybe' as never)).toThrow(/outcome must be "accept", "reject", "impression" or \{ reward: number \}/);
    expect(() => toLogRecord(d, { reward: NaN })).toThrow(/outcome must be/);
    expect(() => toLogRecord({ actions: [], request: d.request } as never, 'accept')).toThrow(/selected no action/);
  });
});
