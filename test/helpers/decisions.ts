/**
 * Random decision bundles, requests and contact histories for differential
 * tests: specs that exercise every stage (rules on features, context and
 * model scores; propensities and values that can be missing or infinite;
 * policies of every kind and scope; suppression, exclusive sets, mandatory
 * actions, levers, context weights, custom priorities, limits), built as
 * JSON text (which is YAML) and compiled by the spec compiler.
 */
import { randInt } from './random.js';
import type { CandidateRecord } from '../../src/decide/explain.js';
import type { DecisionTables } from '../../src/decide/tables.js';
import type { Engine } from '../../src/engine.js';
import { STAGE, STAGES } from '../../src/decide/tables.js';

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (rand: () => number, p: number) => rand() < p;
const subset = <T>(rand: () => number, xs: readonly T[], p = 0.5): T[] => xs.filter(() => rand() < p);

const ALL_CHANNELS = ['app', 'email', 'sms', 'web', 'call_center'];
export const CATEGORIES = ['a', 'b', 'c', 'd'];
export const SEGMENTS = ['gold', 'silver', 'bronze'];

export interface RandomBundle {
  spec: Record<string, unknown>;
  channels: string[];
  actionIds: string[];
  hasSegment: boolean;
}

export function randomDecisionSpec(rand: () => number, opts: { adaptive?: boolean } = {}): RandomBundle {
  const nNum = randInt(rand, 2, 5);
  const features: Record<string, unknown> = {};
  for (let i = 0; i < nNum; i++) features[`x${i}`] = 'numeric';
  features.cat = CATEGORIES;
  features.flag = 'numeric';
  const channels = chance(rand, 0.15) ? [] : subset(rand, ALL_CHANNELS, 0.6).concat([]);
  if (channels.length === 0 && chance(rand, 0.7)) channels.push(pick(rand, ALL_CHANNELS));
  const hasSegment = chance(rand, 0.5);
  const context: Record<string, unknown> = {};
  if (channels.length) context.channel = channels;
  if (hasSegment) context.segment = SEGMENTS;
  if (chance(rand, 0.5)) context.hour = 'numeric';

  const models: Record<string, unknown> = {};
  const nModels = randInt(rand, 0, 3);
  for (let m = 0; m < nModels; m++) {
    const weights: Record<string, unknown> = {};
    for (let i = 0; i < nNum; i++) if (chance(rand, 0.7)) weights[`x${i}`] = Math.round((rand() - 0.5) * 400) / 1000;
    if (chance(rand, 0.5)) weights.cat = Object.fromEntries(subset(rand, CATEGORIES).map((c) => [c, Math.round((rand() - 0.5) * 200) / 100]));
    models[`m${m}`] = { linear: { intercept: Math.round((rand() - 0.5) * 200) / 100, link: chance(rand, 0.7) ? 'logit' : 'identity', weights } };
  }
  // an adaptive model learning per action (or action and channel), read by some propensities
  const roll = chance(rand, 0.4);
  const hasAdaptive = opts.adaptive ?? roll;
  if (hasAdaptive) {
    const method = pick(rand, ['thompson', 'epsilon', 'none']);
    models.ad = {
      adaptive: {
        instances: channels.length && chance(rand, 0.5) ? 'action_channel' : 'action',
        predictors: { x0: { thresholds: [0, 10, 20] }, cat: {} },
        scoreBins: randInt(rand, 3, 12),
        performanceThreshold: pick(rand, [0.5, 0.52, 0.55]),
        exploration: { method, ...(method === 'epsilon' ? { epsilon: 0.3 } : {}), ...(chance(rand, 0.4) ? { ramp: { start: 0.3, positives: 5 } } : {}) },
      },
    };
  }
  const num = () => `x${randInt(rand, 0, nNum - 1)}`;
  const score = () => (nModels ? `score.m${randInt(rand, 0, nModels - 1)}` : num());
  const ruleTemplates = [
    () => `${num()} > ${randInt(rand, -20, 40)}`,
    () => `${num()} <= ${randInt(rand, -10, 60)}`,
    () => `cat in ["${pick(rand, CATEGORIES)}", "${pick(rand, CATEGORIES)}"]`,
    () => `not (cat == "${pick(rand, CATEGORIES)}")`,
    () => `${score()} > ${Math.round(rand() * 100) / 100}`,
    () => `isMissing(${num()}) or ${num()} < 30`,
    () => `flag > 0`,
    () => (hasSegment ? `context.segment != "${pick(rand, SEGMENTS)}"` : `${num()} != 3`),
    () => (channels.length ? `context.channel in ["${pick(rand, channels)}", "${pick(rand, channels)}"]` : `${num()} >= 0`),
    () => `action.kind == "sale" or ${num()} > 5`,
    () => `hourOfDay(now) >= ${randInt(rand, 0, 23)}`,
  ];
  const rules = (n: number) => Array.from({ length: n }, () => pick(rand, ruleTemplates)());
  const propensities = [
    ...(hasAdaptive ? [() => 'score.ad', () => 'score.ad * 2', () => 'clamp(score.ad, 0.1, 0.9)', () => 'score.ad'] : []),
    () => score(),
    () => String(Math.round(rand() * 100) / 100),
    () => `${num()} / 100`,
    () => `sigmoid(${num()} / 10)`,
    () => `${score()} * 2 - 0.5`,
    () => `log(${num()})`,
    () => `${num()} / ${num()}`,
    () => `clamp(${score()}, 0.05, 0.95)`,
  ];
  const values = [() => randInt(rand, 0, 200), () => Math.round(rand() * 1000) / 10, () => `max(${num()}, 1)`, () => `${num()} * 3`, () => `action.margin * 2`];

  const groupIds = Array.from({ length: randInt(rand, 0, 3) }, (_, i) => `g${i}`);
  const groups: Record<string, unknown> = {};
  for (const g of groupIds) {
    const body: Record<string, unknown> = {};
    if (chance(rand, 0.6)) body.lever = randInt(rand, -50, 60);
    if (chance(rand, 0.3)) body.eligibility = rules(randInt(rand, 1, 2));
    if (chance(rand, 0.2)) body.suppresses = { kind: 'sale' };
    if (chance(rand, 0.2)) body.exclusive = `set_${g}`;
    groups[g] = body;
  }
  const nActions = randInt(rand, 1, 24);
  const actionIds = Array.from({ length: nActions }, (_, i) => `a${i}`);
  const actions: Record<string, unknown> = {};
  for (const id of actionIds) {
    const a: Record<string, unknown> = { kind: chance(rand, 0.6) ? 'sale' : 'service', propensity: pick(rand, propensities)() };
    if (groupIds.length && chance(rand, 0.7)) a.group = pick(rand, groupIds);
    if (channels.length && chance(rand, 0.7)) {
      const ch = subset(rand, channels, 0.5);
      a.channels = ch.length ? ch : [pick(rand, channels)];
    }
    if (chance(rand, 0.8)) a.value = pick(rand, values)();
    // a0 always declares the attribute, so `action.margin` is a known name (missing for actions without it)
    if (id === 'a0' || chance(rand, 0.5)) a.attributes = { margin: randInt(rand, 0, 50) };
    for (const tier of ['eligibility', 'applicability', 'suitability']) {
      if (chance(rand, 0.4)) {
        const rs = rules(randInt(rand, 1, 3));
        a[tier] = chance(rand, 0.3) ? Object.fromEntries(rs.map((r, i) => [`${id}_${tier}_${i}`, r])) : rs.length === 1 ? rs[0] : rs;
      }
    }
    if (chance(rand, 0.12)) a.mandatory = true;
    if (chance(rand, 0.4)) a.lever = randInt(rand, -30, 80);
    if (chance(rand, 0.12)) {
      a.suppresses = pick(rand, [
        { kind: 'sale' },
        { kind: 'service' },
        'all',
        groupIds.length ? { group: pick(rand, groupIds) } : { kind: 'sale' },
        { actions: [pick(rand, actionIds), pick(rand, actionIds)].filter((x, i, xs) => xs.indexOf(x) === i) },
      ]);
    }
    if (chance(rand, 0.3)) a.exclusive = subset(rand, ['s0', 's1', 's2'], 0.5);
    if (chance(rand, 0.3)) a.issue = pick(rand, ['retention', 'growth', 'care']);
    actions[id] = a;
  }

  const policies: Record<string, unknown> = {};
  const nPolicies = randInt(rand, 0, 5);
  for (let p = 0; p < nPolicies; p++) {
    const body: Record<string, unknown> =
      chance(rand, 0.5)
        ? { max: randInt(rand, 1, 3), per: `${randInt(rand, 1, 10)}d` }
        : chance(rand, 0.5)
          ? { suppress: `${randInt(rand, 1, 30)}d` }
          : { suppress: `${randInt(rand, 1, 30)}d`, after: randInt(rand, 2, 3), within: `${randInt(rand, 5, 60)}d` };
    if (channels.length && chance(rand, 0.4)) body.channel = pick(rand, channels);
    if (chance(rand, 0.4)) body.each = 'action';
    const scope = randInt(rand, 0, 4);
    if (scope === 1) body.kind = pick(rand, ['sale', 'service']);
    else if (scope === 2 && groupIds.length) body.group = pick(rand, groupIds);
    else if (scope === 3) body.actions = subset(rand, actionIds, 0.4).concat([pick(rand, actionIds)]).filter((x, i, xs) => xs.indexOf(x) === i);
    if (chance(rand, 0.5)) body.count = subset(rand, ['impression', 'accept', 'reject'], 0.5).concat(['reject']).filter((x, i, xs) => xs.indexOf(x) === i);
    policies[`p${p}`] = body;
  }

  const arbitration: Record<string, unknown> = {};
  if (chance(rand, 0.4)) {
    arbitration.priority = pick(rand, [
      'propensity * value * context * lever',
      'propensity * (action.kind == "service" ? 2 : 1) * value',
      'value - propensity * 10',
      'propensity * context * lever + action.margin / 100',
      'round(propensity * 10) / 10',
      'propensity / (value - 50)',
    ]);
  }
  if (chance(rand, 0.7)) arbitration.limit = randInt(rand, 1, 4);
  if (channels.length && chance(rand, 0.3)) arbitration.limits = { [pick(rand, channels)]: randInt(rand, 0, 2) };
  if (chance(rand, 0.25)) arbitration.minPriority = Math.round(rand() * 50) / 10;
  if (chance(rand, 0.5)) {
    arbitration.context = Array.from({ length: randInt(rand, 1, 3) }, () => {
      const w: Record<string, unknown> = { weight: chance(rand, 0.7) ? Math.round(rand() * 300) / 100 : `1 + ${num()} / 100` };
      if (chance(rand, 0.8)) w.when = pick(rand, ruleTemplates)();
      if (chance(rand, 0.4)) w.kind = pick(rand, ['sale', 'service']);
      else if (groupIds.length && chance(rand, 0.3)) w.group = pick(rand, groupIds);
      return w;
    });
  }
  const spec: Record<string, unknown> = { bundle: 'random', version: '1', features, context, models, actions };
  if (groupIds.length) spec.groups = groups;
  if (nPolicies) spec.policies = policies;
  if (Object.keys(arbitration).length) spec.arbitration = arbitration;
  return { spec, channels, actionIds, hasSegment };
}

const EDGE = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 3, 5];

export function randomFeatures(rand: () => number, nNum: number): Record<string, number | string | null> {
  const f: Record<string, number | string | null> = {};
  for (let i = 0; i < nNum; i++) {
    const u = rand();
    if (u < 0.1) continue;
    f[`x${i}`] = u < 0.2 ? pick(rand, EDGE) : Math.round((rand() - 0.3) * 1000) / 10;
  }
  if (chance(rand, 0.85)) f.cat = pick(rand, CATEGORIES);
  if (chance(rand, 0.8)) f.flag = chance(rand, 0.5) ? 1 : 0;
  return f;
}

export const DAY = 86_400_000;
/** A decision time (2024-ish), in whole milliseconds. */
export function randomNow(rand: () => number): number {
  return 1_700_000_000_000 + randInt(rand, 0, 400) * DAY + randInt(rand, 0, DAY - 1);
}

export const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Differences between kernel and reference records (only the factors the stage computed). */
export function diffRecords(k: CandidateRecord, r: CandidateRecord): string | undefined {
  for (const f of ['action', 'channel', 'stage', 'reason', 'reason2', 'mandatory'] as const) {
    if (k[f] !== r[f]) return `${f}: kernel ${k[f]} (${STAGES[k.stage]}), reference ${r[f]} (${STAGES[r.stage]})`;
  }
  const s = k.stage;
  const reached = (st: number) => s === STAGE.selected || s >= st;
  const fields: [keyof CandidateRecord, number][] = [
    ['propensity', STAGE.propensity],
    ['value', STAGE.value],
    ['context', STAGE.context],
    ['lever', STAGE.priority],
    ['priority', STAGE.priority],
  ];
  for (const [f, st] of fields) {
    if (reached(st) && !same(k[f] as number, r[f] as number)) return `${f}: kernel ${k[f]}, reference ${r[f]}`;
  }
  // adaptive propensities (the twin sets them only for candidates that read one)
  if (reached(STAGE.propensity) && !Number.isNaN(r.modelPropensity)) {
    if (!same(k.modelPropensity, r.modelPropensity) || k.scoreBin !== r.scoreBin) {
      return `adaptive: kernel ${k.modelPropensity} (bin ${k.scoreBin}), reference ${r.modelPropensity} (bin ${r.scoreBin})`;
    }
  }
  return undefined;
}

export const REACHED_RANKING = new Set([STAGE.selected, STAGE.suppression, STAGE.exclusion, STAGE.limit]);


/** A random request for a random bundle: features, context, the twin's frame, the requested channel indices, a limit. */
export interface RandomRequest {
  features: Record<string, number | string | null>;
  context: Record<string, unknown>;
  /** The context fields as the kernel's frame holds them (for the reference twin). */
  frame: Float64Array;
  requested: number[];
  limit: number | undefined;
}

export function randomRequest(rand: () => number, engine: Engine, t: DecisionTables, rb: RandomBundle, now: number): RandomRequest {
  const nNum = engine.schema.names.filter((n) => /^x\d+$/.test(n)).length;
  const features = randomFeatures(rand, nNum);
  const context: Record<string, unknown> = { now };
  const frame = new Float64Array(t.frame.slots).fill(NaN);
  const ctxNames = engine.context.names;
  if (rb.hasSegment && rand() < 0.8) context.segment = SEGMENTS[randInt(rand, 0, 2)];
  if (ctxNames.includes('hour') && rand() < 0.8) context.hour = randInt(rand, 0, 23);
  ctxNames.forEach((name, i) => {
    if (name !== 'channel' && context[name] !== undefined) frame[t.frame.contextSlots[i]!] = engine.context.encodeValue(i, context[name]);
  });
  let requested = t.channels.map((_, c) => c);
  if (t.channels.length) {
    const u = rand();
    if (u < 0.5) {
      const c = randInt(rand, 0, t.channels.length - 1);
      context.channel = t.channels[c];
      requested = [c];
    } else if (u < 0.7) {
      requested = requested.filter(() => rand() < 0.6);
      if (requested.length === 0) requested = [0];
      context.channel = requested.map((c) => t.channels[c]);
    }
  } else {
    requested = [0];
  }
  const limit = rand() < 0.3 ? undefined : randInt(rand, 0, 4);
  return { features, context, frame, requested, limit };
}
