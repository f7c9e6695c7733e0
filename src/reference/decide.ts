/**
 * Plain-TypeScript twin of the decision kernel (assembly/decide/arbitrate.ts
 * and policy.ts), written from the semantics in docs/decisions.md over the
 * validated tables (not the placed layout): programs run on the bytecode
 * reference interpreter, models on their reference twins, contact history is
 * read from the state bytes with a DataView. Differential tests hold the
 * kernel to it (same records, same ranked list, bitwise the same factors);
 * benchmarks use it as the plain-JS peer.
 */
import { evalReference } from './expr.js';
import { referenceMargins, type ModelTable } from '../models/registry.js';
import { referenceTransform } from './transform.js';
import type { CandidateRecord } from '../decide/explain.js';
import { FACTOR_SLOTS, OUTCOMES, SLOT_NOW, STAGE, trackerBytes, type DecisionTables, type PolicyTable } from '../decide/tables.js';
import type { AdaptiveTable } from '../models/adaptive.js';
import { referenceAdaptiveBins, referenceAdaptiveScore, referenceClassifier, referencePredictorActivity, referenceScoreBin } from './adaptive.js';
import type { ReferencePrng } from './prng.js';

/** Adaptive propensities: the learning counts the twin reads and the exploration stream it draws from. */
export interface ReferenceAdaptive {
  /** The counts of an instance: key is the action id, or "action/channel" (all zero for a new instance). */
  counts(modelId: string, key: string): Float64Array;
  /** The exploration stream, in the state the kernel's stream has at the call (it is advanced). */
  rng: ReferencePrng;
  /** Epsilon coins fixed per adaptive model (index into frame.adaptive) instead of drawn (decideSample's forces). */
  coins?: ReadonlyMap<number, number>;
}

export interface ReferenceInput {
  features: Float32Array;
  /** The frame with the context fields written (it is copied, not changed). */
  frame: Float64Array;
  state: Uint8Array;
  /** Byte offset of the contacts section in the state. */
  contactsOffset: number;
  now: number;
  /** Requested channel indices (any order). */
  channels: readonly number[];
  limit: number;
  /** Needed when propensities read adaptive models that learn per action. */
  adaptive?: ReferenceAdaptive;
  /** Journey values by value id at `now` (the journeys twin's value()), when programs read journeys. */
  journeyValue?: (valueId: number) => number;
}

export interface ReferenceDecision {
  /** One record per action x requested channel (an action on none of them: one record, channel -1 unless one channel was requested). */
  records: CandidateRecord[];
  /** Indices into records of the selected candidates, in rank order. */
  ranked: number[];
  /** Ids of the models scored. */
  scored: string[];
  /** The epsilon coin of each adaptive model (index into frame.adaptive) that reached the propensity stage: drawn, or given. */
  coins: ReadonlyMap<number, number>;
}

const RANKING = -1;

function u32(state: DataView, at: number): number {
  return state.getUint32(at, true);
}

/** The times a tracker holds, as stored (0 = empty). */
function times(state: DataView, at: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => u32(state, at + 4 * i));
}

/** Counted events younger than windowS at nowS. */
function recent(state: DataView, at: number, n: number, nowS: number, windowS: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = u32(state, at + 4 * i);
    if (t !== 0 && nowS - t < windowS) count++;
  }
  return count;
}

type ModelRange = { id: string; slot: number; table: ModelTable };
const needsCache = new WeakMap<DecisionTables, ModelRange[][]>();

/** Per program, the models whose output slots it reads. */
function modelNeeds(t: DecisionTables, models: ReadonlyMap<string, ModelTable>): ModelRange[][] {
  let needs = needsCache.get(t);
  if (!needs) {
    const ranges = t.frame.models.map((m) => ({ id: m.id, slot: m.slot, table: models.get(m.id)! }));
    needs = t.programs.programs.map((p) => ranges.filter((r) => p.slotsRead.some((s) => s >= r.slot && s < r.slot + r.table.nOutputs)));
    needsCache.set(t, needs);
  }
  return needs;
}

/** True when the policy blocks at nowS given its tracker (policy.ts policyBlocks). */
export function referencePolicyBlocks(p: PolicyTable, state: DataView, at: number, nowS: number): boolean {
  if (p.kind === 'cap') return recent(state, at, p.n, nowS, p.windowMs / 1000) >= p.n;
  if (p.n === 1) {
    const t = u32(state, at);
    return t !== 0 && nowS - t < p.forMs / 1000;
  }
  const until = u32(state, at + 4 * p.n);
  return until !== 0 && nowS < until;
}

function capRemaining(p: PolicyTable, state: DataView, at: number, nowS: number): number {
  return p.n - recent(state, at, p.n, nowS, p.windowMs / 1000);
}

export function referenceDecide(t: DecisionTables, models: ReadonlyMap<string, ModelTable>, input: ReferenceInput): ReferenceDecision {
  const frame = Float64Array.from(input.frame);
  const features = input.features;
  const state = new DataView(input.state.buffer, input.state.byteOffset, input.state.byteLength);
  frame[SLOT_NOW] = input.now;
  for (const j of t.frame.journeys) frame[j.slot] = input.journeyValue ? input.journeyValue(j.valueId) : NaN;
  const nowS = Math.floor(input.now / 1000);
  const requested = new Set(input.channels);
  const progs = t.programs.programs;
  // Models are scored on first read, once.
  const scored = new Set<string>();
  const needs = modelNeeds(t, models);
  const run = (program: number): number => {
    for (const r of needs[program]!) {
      if (scored.has(r.id)) continue;
      const outs = referenceTransform(r.table, referenceMargins(r.table, features, 1, features.length));
      for (let k = 0; k < r.table.nOutputs; k++) frame[r.slot + k] = outs[k]!;
      scored.add(r.id);
    }
    return evalReference(progs[program]!, frame, features);
  };
  const bad = (x: number) => (Number.isNaN(x) ? 0 : Number.isFinite(x) ? -1 : 1);

  const adaptiveBins = new Map<number, Uint16Array>();
  const coins = new Map<number, number>(input.adaptive?.coins ?? []);
  const records: CandidateRecord[] = [];
  const single = requested.size === 1 ? [...requested][0]! : -1;
  t.actions.forEach((a, ai) => {
    const channels = a.channels.filter((c) => requested.has(c));
    const record = (channel: number, stage: number): CandidateRecord => ({
      action: ai,
      channel,
      stage,
      reason: 0,
      reason2: -1,
      mandatory: a.mandatory,
      propensity: NaN,
      value: NaN,
      context: NaN,
      lever: NaN,
      priority: NaN,
      modelPropensity: NaN,
      scoreBin: 0,
    });
    if (channels.length === 0) {
      records.push(record(single, STAGE.channel));
      return;
    }
    for (const c of channels) {
      const rec = record(c, RANKING);
      records.push(rec);
      if (t.frame.channelSlot >= 0) frame[t.frame.channelSlot] = c;
      dropAt(rec, a, c);
    }
  });

  // Adaptive propensities (arbitrate.ts adaptivePropensity): the row binned once per model, one coin per model.
  function adaptivePropensity(rec: CandidateRecord, a: DecisionTables['actions'][number], c: number): boolean {
    const m = t.frame.adaptive[a.adaptive]!;
    const table = models.get(m.id) as AdaptiveTable;
    const ad = input.adaptive;
    if (!ad) throw new Error(`referenceDecide: action ${a.id} has an adaptive propensity; pass input.adaptive`);
    let bins = adaptiveBins.get(a.adaptive);
    if (!bins) {
      bins = referenceAdaptiveBins(table, features);
      adaptiveBins.set(a.adaptive, bins);
    }
    const counts = ad.counts(m.id, table.instances === 'action' ? a.id : `${a.id}/${t.channels[c]}`);
    const score = referenceAdaptiveScore(table, counts, bins);
    const sb = referencePredictorActivity(table, counts).active.some(Boolean) ? referenceScoreBin(table, score) : -1;
    const p = referenceClassifier(table, counts)[Math.max(sb, 0)]!;
    rec.modelPropensity = p;
    rec.scoreBin = sb;
    rec.propensity = p;
    // the epsilon coin at the model's first candidate, then the exposure ramp (explore.ts adaptiveAdmit)
    const ex = table.exploration;
    if (!coins.has(a.adaptive)) coins.set(a.adaptive, ex.method === 'epsilon' ? ad.rng.uniform() : 1);
    const full = ex.rampPositives;
    if (full > 0 && counts[0]! < full && !(ad.rng.uniform() < ex.rampStart + ((1 - ex.rampStart) * counts[0]!) / full)) return false;
    // exploration (explore.ts adaptiveExplore, thompsonDraw)
    let explored = p;
    if (ex.method === 'thompson') {
      if (p === p) {
        const q = p < 1e-12 ? 1e-12 : p > 1 - 1e-12 ? 1 - 1e-12 : p;
        const evidence = counts[0]! + counts[1]!;
        const e = evidence > 2 ? evidence : 2;
        explored = ad.rng.beta(q * e, (1 - q) * e);
      }
    } else if (ex.method === 'epsilon' && coins.get(a.adaptive)! < ex.epsilon) {
      explored = ad.rng.uniform();
    }
    frame[m.slot] = explored;
    return true;
  }

  /** Runs the per-candidate stages; leaves rec at RANKING or at the stage that dropped it. */
  function dropAt(rec: CandidateRecord, a: DecisionTables['actions'][number], c: number): void {
    for (let k = 0; k < a.rules.length; k++) {
      const [rule, program] = a.rules[k]!;
      if (run(program) === 0) {
        rec.stage = k < a.tiers[0] ? STAGE.eligibility : k < a.tiers[0] + a.tiers[1] ? STAGE.applicability : STAGE.suitability;
        rec.reason = rule;
        return;
      }
    }
    for (const [p, tr] of a.checks) {
      const policy = t.policies[p]!;
      if (policy.channel >= 0 && policy.channel !== c) continue;
      if (referencePolicyBlocks(policy, state, input.contactsOffset + t.trackers[tr]!.offset, nowS)) {
        rec.stage = STAGE.policy;
        rec.reason = p;
        return;
      }
    }
    if (a.adaptive >= 0 && !adaptivePropensity(rec, a, c)) {
      rec.stage = STAGE.propensity;
      rec.reason = 3; // not admitted by the exposure ramp
      return;
    }
    const factors: [keyof CandidateRecord & ('propensity' | 'value' | 'context'), number, number][] = [
      ['propensity', a.propensity, STAGE.propensity],
      ['value', a.value, STAGE.value],
      ['context', a.context, STAGE.context],
    ];
    for (const [f, program, stage] of factors) {
      rec[f] = run(program);
      if (bad(rec[f]) >= 0) {
        rec.stage = stage;
        rec.reason = bad(rec[f]);
        return;
      }
    }
    rec.lever = a.lever;
    frame[FACTOR_SLOTS.propensity] = rec.propensity;
    frame[FACTOR_SLOTS.value] = rec.value;
    frame[FACTOR_SLOTS.context] = rec.context;
    frame[FACTOR_SLOTS.lever] = rec.lever;
    rec.priority = run(a.priority);
    if (bad(rec.priority) >= 0) {
      rec.stage = STAGE.priority;
      rec.reason = bad(rec.priority);
    } else if (t.arbitration.minPriority !== undefined && rec.priority < t.arbitration.minPriority) {
      rec.stage = STAGE.priority;
      rec.reason = 2;
    }
  }

  // Service before sell, from the candidates that reached this stage.
  const survivors = () => records.map((r, i) => [r, i] as const).filter(([r]) => r.stage === RANKING);
  const suppressors = survivors().filter(([r]) => t.actions[r.action]!.suppresses.length > 0);
  for (const [r] of survivors()) {
    const by = suppressors.find(([s]) => t.actions[s.action]!.suppresses.includes(r.action));
    if (by) {
      r.stage = STAGE.suppression;
      r.reason = by[0].action;
    }
  }

  // Rank: mandatory first, priority descending, then candidate order.
  const order = survivors()
    .map(([, i]) => i)
    .sort((i, j) => {
      const a = records[i]!;
      const b = records[j]!;
      if (a.mandatory !== b.mandatory) return a.mandatory ? -1 : 1;
      if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
      return i - j;
    });

  // Mutual exclusion: the best-ranked action of each set keeps it.
  const taken = new Map<number, number>();
  for (const i of order) {
    const r = records[i]!;
    const a = t.actions[r.action]!;
    const clash = a.sets.find((s) => taken.has(s) && taken.get(s) !== r.action);
    if (clash !== undefined) {
      r.stage = STAGE.exclusion;
      r.reason = clash;
      r.reason2 = taken.get(clash)!;
    } else {
      for (const s of a.sets) taken.set(s, r.action);
    }
  }

  // Top-k per channel.
  const placedOn = new Map<number, number>();
  const perChannel = new Map<number, number>();
  const capUsed = new Map<number, number>();
  const ranked: number[] = [];
  for (const i of order) {
    const r = records[i]!;
    if (r.stage !== RANKING) continue;
    const a = t.actions[r.action]!;
    if (placedOn.has(r.action)) {
      r.stage = STAGE.limit;
      r.reason = 1;
      r.reason2 = placedOn.get(r.action)!;
      continue;
    }
    const count = perChannel.get(r.channel) ?? 0;
    if (count >= input.limit || count >= t.arbitration.channelLimits[r.channel]!) {
      r.stage = STAGE.limit;
      r.reason = 0;
      continue;
    }
    const consuming = a.checks.filter(([p]) => {
      const policy = t.policies[p]!;
      return (policy.channel < 0 || policy.channel === r.channel) && policy.kind === 'cap' && (policy.outcomes & (1 << OUTCOMES.indexOf('impression'))) !== 0;
    });
    const capped = consuming.find(([p, tr]) => {
      const used = capUsed.get(tr) ?? 0;
      return used > 0 && capRemaining(t.policies[p]!, state, input.contactsOffset + t.trackers[tr]!.offset, nowS) - used <= 0;
    });
    if (capped) {
      r.stage = STAGE.limit;
      r.reason = 2;
      r.reason2 = capped[0];
      continue;
    }
    r.stage = STAGE.selected;
    r.reason = 0;
    ranked.push(i);
    placedOn.set(r.action, r.channel);
    perChannel.set(r.channel, count + 1);
    for (const [, tr] of consuming) capUsed.set(tr, (capUsed.get(tr) ?? 0) + 1);
  }
  return { records, ranked, scored: [...scored], coins };
}

/**
 * The twin of decideSample: `draws` more runs of the same decision with the
 * stream and forced coins of input.adaptive, counting how often each target
 * (action index, channel index) is selected. deterministic: the first run drew
 * nothing from the stream, so the runs stopped there and the hits are exact.
 */
export function referenceDecideSample(
  t: DecisionTables,
  models: ReadonlyMap<string, ModelTable>,
  input: ReferenceInput & { adaptive: ReferenceAdaptive },
  draws: number,
  targets: readonly (readonly [number, number])[],
): { hits: number[]; deterministic: boolean } {
  const hits = targets.map(() => 0);
  for (let d = 0; d < draws; d++) {
    const before = input.adaptive.rng.state.join();
    const r = referenceDecide(t, models, input);
    for (const i of r.ranked) {
      const rec = r.records[i]!;
      targets.forEach(([a, c], k) => {
        if (rec.action === a && rec.channel === c) hits[k]!++;
      });
    }
    if (d === 0 && input.adaptive.rng.state.join() === before) return { hits, deterministic: true };
  }
  return { hits, deterministic: false };
}

/** Adds a contact event to state bytes in place (policy.ts trackerRecord, arbitrate.ts recordContact). */
export function referenceRecord(t: DecisionTables, state: Uint8Array, contactsOffset: number, action: number, channel: number, outcome: number, atMs: number): void {
  const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const tS = Math.floor(atMs / 1000);
  for (const [p, tr] of t.actions[action]!.checks) {
    const policy = t.policies[p]!;
    if (policy.channel >= 0 && policy.channel !== channel) continue;
    if ((policy.outcomes & (1 << outcome)) === 0) continue;
    const at = contactsOffset + t.trackers[tr]!.offset;
    const ts = times(view, at, policy.n);
    const i = ts.findIndex((x) => x < tS);
    if (i < 0) continue;
    ts.splice(i, 0, tS);
    ts.length = policy.n;
    ts.forEach((x, k) => view.setUint32(at + 4 * k, x, true));
    if (policy.kind === 'suppress' && policy.n >= 2) {
      const newest = ts[0]!;
      const oldest = ts[policy.n - 1]!;
      if (oldest !== 0 && newest - oldest < policy.windowMs / 1000) {
        const end = Math.min(newest + policy.forMs / 1000, 4294967295);
        const untilAt = at + trackerBytes(policy) - 4;
        if (end > u32(view, untilAt)) view.setUint32(untilAt, end, true);
      }
    }
  }
}
