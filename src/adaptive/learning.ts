/**
 * Learning: the mutable side of an engine's adaptive models. Each model has
 * learning instances (one per action, per action x channel, or one for the
 * model, as its spec says), each a fixed-size block in wasm memory holding
 * counts and the caches the kernels derive from them
 * (assembly/score/adaptive.ts). Instances are created on first use (or by a
 * merge) up to `maxInstances`; their memory is never freed, reset zeroes it.
 *
 *   learning.observe('offers', { action: 'upgrade' }, features)  -> Observation (bins, score, propensity)
 *   learning.learn(observation, 'accept')                      -> counts +1, caches updated
 *   learning.snapshot() / delta() / merge(bytes) / restore(bytes) / reset(actionId?)
 *   learning.record({ customerId, actionId, outcome })         -> learns from the decision log (src/adaptive/outcomes.ts)
 *
 * Deltas: delta() returns what this engine learned locally since the previous
 * delta() (or since load). Merged state is not local learning, so merge()
 * advances the delta baseline by what it added: workers that exchange deltas
 * never count an outcome twice. snapshot() does not touch the baseline, so
 * persisting a snapshot never loses a delta that was not shipped yet.
 */
import { NextbestError } from '../errors.js';
import { wasmError, type WasmInstance } from '../runtime/wasm.js';
import type { EncodeOptions, FeatureObject, FeatureSchema } from '../runtime/features.js';
import {
  adaptiveShape,
  instanceLayout,
  predictorBinLabels,
  type AdaptiveTable,
  type InstanceLayout,
} from '../models/adaptive.js';
import { compareKeys, decodeLearning, encodeLearning, type LearningModelState, type LearningState } from './snapshot.js';
import { checkId, DecisionLog, type DecisionLogOptions, type OfferedAction, type RecordRequest, type RecordResult } from './outcomes.js';
import { PRNG_STATE_BYTES, seedWords } from './explore.js';

export type LearningOutcome = 'accept' | 'reject';

/** Which learning instance of a model: by action, by action and channel, or (per-model instances) nothing. */
export interface InstanceRef {
  action?: string;
  channel?: string;
}

export interface LearningOptions {
  /** At most this many learning instances across all adaptive models (default 10,000). */
  maxInstances?: number;
  /** Seed of the exploration stream (default 0). Decisions may pass their own. */
  seed?: number;
  /** The bounded log of recent decisions that record() learns from. */
  log?: DecisionLogOptions;
}

/** What a decision remembers about one adaptive model's view of a customer. */
export interface Observation {
  readonly modelId: string;
  readonly key: string;
  /** The model score at decision time. */
  readonly score: number;
  /** The propensity at decision time (before exploration). */
  readonly propensity: number;
  /** The score bin the outcome is counted in; -1 when no predictor was active (not counted in the classifier). */
  readonly scoreBin: number;
  /** The bin of every predictor, in predictor order. */
  readonly bins: Uint16Array;
}

export interface BinReport {
  label: string;
  positives: number;
  negatives: number;
  /** (0.5 + pos) / (1 + pos + neg). */
  propensity: number;
  /** The bin's contribution to the score sum when the predictor is active. */
  contribution: number;
}

export interface PredictorReport {
  name: string;
  type: 'numeric' | 'categorical';
  auc: number;
  active: boolean;
  bins: BinReport[];
}

export interface InstanceReport {
  modelId: string;
  key: string;
  positives: number;
  negatives: number;
  /** AUC of the model score from its score bins (0.5 without both outcomes). */
  auc: number;
  activePredictors: number;
  predictors: PredictorReport[];
  /** Score bins holding outcomes: upper bound (exclusive; Infinity for the last), counts, classifier propensity. */
  scoreBins: { index: number; upTo: number; positives: number; negatives: number; propensity: number }[];
}

/** What a bundle swap did to the learning state (engine.swap). */
export interface LearningCarry {
  /** Adaptive models whose learning carried over (same id and binning). */
  carried: string[];
  /** Models that start from the new bundle's state (new, rebinned) or were removed. */
  reset: string[];
  /** Instances not carried over because their action is gone. */
  droppedInstances: number;
}

export interface MergeSummary {
  kind: 'snapshot' | 'delta';
  instances: number;
  positives: number;
  negatives: number;
}

interface Slot {
  index: number;
  id: string;
  table: AdaptiveTable;
  ptr: number;
  layout: InstanceLayout;
  shape: string;
  instances: Map<string, number>;
  baseline: Map<string, Float64Array>;
}

const OBS_BINS = 24;
const KEY_PATTERN = /^[^/]{1,128}$/;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_GROUPS = 4096;

function incompatible(msg: string): NextbestError {
  return new NextbestError('LEARNING_INCOMPATIBLE', msg);
}

export class Learning {
  readonly maxInstances: number;
  /** @internal for InstanceGroup: the wasm instance, scratch pointers and the row encoder (made once). */
  readonly runtime: { wasm: WasmInstance; rowPtr: number; rngPtr: number; encodeRow: (f: FeatureObject | Float32Array) => void };
  /** The decision log that record() reads. */
  readonly log: DecisionLog;
  private readonly wasm: WasmInstance;
  private readonly schema: FeatureSchema;
  private readonly encodeOptions: EncodeOptions | undefined;
  private readonly slots: Slot[];
  private readonly byId = new Map<string, Slot>();
  private readonly rowPtr: number;
  private readonly obsPtr: number;
  private readonly rngPtr: number;
  private instanceCount = 0;
  private groups = 0;
  private u16View = new Uint16Array(0);
  private readonly learnedResults: RecordResult[];

  constructor(
    wasm: WasmInstance,
    models: { table: AdaptiveTable; ptr: number }[],
    schema: FeatureSchema,
    opts: LearningOptions & { encode?: EncodeOptions } = {},
  ) {
    const max = opts.maxInstances ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new NextbestError('OPTION_INVALID', `learning.maxInstances must be a positive integer, got ${String(opts.maxInstances)}`);
    }
    this.maxInstances = max;
    this.wasm = wasm;
    this.schema = schema;
    this.encodeOptions = opts.encode;
    this.slots = models.map(({ table, ptr }, index) => {
      const slot: Slot = {
        index,
        id: table.id,
        table,
        ptr,
        layout: instanceLayout(table),
        shape: adaptiveShape(table),
        instances: new Map(),
        baseline: new Map(),
      };
      this.byId.set(table.id, slot);
      return slot;
    });
    const maxP = Math.max(1, ...this.slots.map((s) => s.layout.nPredictors));
    this.rowPtr = wasm.alloc(Math.max(1, schema.size) * 4, 16);
    this.obsPtr = wasm.alloc(OBS_BINS + 2 * maxP, 16);
    this.rngPtr = wasm.alloc(PRNG_STATE_BYTES, 16);
    const seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new NextbestError('OPTION_INVALID', `learning.seed must be a non-negative safe integer, got ${String(opts.seed)}`);
    this.seed(seed);
    // A per-model model scores through modelMargins (engine.score): point it at its one instance.
    for (const s of this.slots) {
      if (s.table.instances === 'model') wasm.i32[(s.ptr + 36) >> 2] = this.instancePtr(s, '', true);
    }
    this.log = new DecisionLog(maxP, opts.log);
    this.runtime = { wasm, rowPtr: this.rowPtr, rngPtr: this.rngPtr, encodeRow: (f) => this.encodeRow(f) };
    this.learnedResults = this.slots.map((s) => Object.freeze({ learned: true, reason: 'learned' as const, modelId: s.id }));
  }

  /** Whether the bundle has adaptive models (modelIds without making the array). */
  get hasModels(): boolean {
    return this.slots.length > 0;
  }

  /** Ids of the adaptive models, in bundle order. */
  get modelIds(): string[] {
    return this.slots.map((s) => s.id);
  }

  /** The validated definition of an adaptive model. */
  table(modelId: string): AdaptiveTable {
    return this.slot(modelId).table;
  }

  /** Learning instances that exist, total. */
  get instances(): number {
    return this.instanceCount;
  }

  /** Keys of a model's learning instances, sorted. */
  keys(modelId: string): string[] {
    return [...this.slot(modelId).instances.keys()].sort(compareKeys);
  }

  /** The instance key of a reference: "" (per model), the action id, or "action/channel". */
  instanceKey(modelId: string, ref?: InstanceRef): string {
    return keyFor(this.slot(modelId), ref);
  }

  /**
   * Bins, scores and classifies one customer for one instance: the
   * observation a decision keeps to learn from the outcome later.
   */
  observe(modelId: string, ref: InstanceRef | undefined, features: FeatureObject | Float32Array): Observation {
    const s = this.slot(modelId);
    const key = keyFor(s, ref);
    const inst = this.instancePtr(s, key, true);
    this.encodeRow(features);
    const ex = this.wasm.exports;
    let p: number;
    try {
      p = ex.adaptiveObserve(s.ptr, inst, this.rowPtr, this.obsPtr);
    } catch (e) {
      throw wasmError(e);
    }
    const o = this.obsPtr;
    const bins = new Uint16Array(s.layout.nPredictors);
    bins.set(new Uint16Array(this.wasm.memory.buffer, o + OBS_BINS, bins.length));
    return { modelId: s.id, key, score: this.wasm.f64[o >> 3]!, propensity: p, scoreBin: this.wasm.i32[(o + 16) >> 2]!, bins };
  }

  /** The propensity of one customer for one instance (what a decision ranks by before exploration). */
  propensity(modelId: string, ref: InstanceRef | undefined, features: FeatureObject | Float32Array): number {
    const s = this.slot(modelId);
    const inst = this.instancePtr(s, keyFor(s, ref), true);
    this.encodeRow(features);
    try {
      return this.wasm.exports.adaptiveObserve(s.ptr, inst, this.rowPtr, this.obsPtr);
    } catch (e) {
      throw wasmError(e);
    }
  }

  /**
   * For wiring a decision kernel: the model's index (what DecisionLog.add
   * takes as `slot`) and the wasm pointer of its definition.
   */
  modelHandle(modelId: string): { index: number; pointer: number } {
    const s = this.slot(modelId);
    return { index: s.index, pointer: s.ptr };
  }

  /** @internal The wasm pointer of an instance (created when new). */
  instancePointer(modelId: string, ref?: InstanceRef): number {
    const s = this.slot(modelId);
    return this.instancePtr(s, keyFor(s, ref), true);
  }

  /**
   * A fixed set of instances of one model (e.g. the actions a decision
   * ranks), scored together: one kernel call bins the customer once and
   * scores every instance. Create a group once and reuse it: its scratch is
   * allocated here, in wasm memory, for the engine's lifetime (at most 4,096
   * groups per engine).
   */
  group(modelId: string, refs: InstanceRef[]): InstanceGroup {
    const s = this.slot(modelId);
    if (!Array.isArray(refs) || refs.length === 0) throw new NextbestError('ARGUMENT_INVALID', 'group: refs must be a non-empty array of { action, channel? }');
    if (this.groups >= MAX_GROUPS) {
      throw new NextbestError('LIMIT_EXCEEDED', `at most ${MAX_GROUPS} instance groups per engine: create a group once and reuse it (each holds wasm scratch for the engine's lifetime)`, { limit: 'learning.instanceGroups', max: MAX_GROUPS });
    }
    this.groups++;
    const keys = refs.map((r) => keyFor(s, r));
    const ptrs = Int32Array.from(keys, (k) => this.instancePtr(s, k, true));
    return new InstanceGroup(this, s.id, s.ptr, keys, ptrs, s.layout.nPredictors);
  }


  /** Learns one outcome of an observation (accept: positive, reject: negative). */
  learn(obs: Observation, outcome: LearningOutcome): void {
    if (obs === null || typeof obs !== 'object') throw new NextbestError('ARGUMENT_INVALID', 'learn: expected an observation from observe()');
    const s = this.slot(obs.modelId);
    const positive = outcomeSign(outcome);
    const P = s.layout.nPredictors;
    if (!(obs.bins instanceof Uint16Array) || obs.bins.length !== P) {
      throw new NextbestError('ARGUMENT_INVALID', `learn: the observation has ${obs.bins?.length} bins; model "${s.id}" has ${P} predictors`);
    }
    if (typeof obs.key !== 'string') throw new NextbestError('ARGUMENT_INVALID', 'learn: the observation has no instance key');
    checkKey(s, obs.key);
    const inst = this.instancePtr(s, obs.key, true);
    this.learnBins(s.index, inst, obs.bins, 0, obs.scoreBin, positive);
  }

  /**
   * Learns from raw observation parts (bins[offset .. offset + nPredictors),
   * score bin): the decision log's path. Throws when they do not fit the model.
   */
  learnBins(slotIndex: number, inst: number, bins: Uint16Array, offset: number, scoreBin: number, positive: boolean): void {
    const s = this.slots[slotIndex]!;
    const P = s.layout.nPredictors;
    const o = this.obsPtr;
    const u16 = this.u16();
    const at = (o + OBS_BINS) >> 1;
    for (let k = 0; k < P; k++) u16[at + k] = bins[offset + k]!;
    this.wasm.i32[(o + 16) >> 2] = Number.isInteger(scoreBin) && scoreBin >= -1 ? scoreBin : -2; // -2: rejected by the kernel
    let rc: number;
    try {
      rc = this.wasm.exports.adaptiveUpdate(s.ptr, inst, o, positive ? 1 : 0);
    } catch (e) {
      throw wasmError(e);
    }
    if (rc !== 0) {
      throw new NextbestError('ARGUMENT_INVALID', `learn: the observation does not fit model "${s.id}" (a bin or the score bin is out of range)`);
    }
  }

  /** Canonical bytes of all learning state (see src/adaptive/snapshot.ts). */
  snapshot(): Uint8Array {
    return encodeLearning({ kind: 'snapshot', models: this.slots.map((s) => this.modelState(s, false)) });
  }

  /** What this engine learned locally since the previous delta() (or load); advances the baseline. */
  delta(): Uint8Array {
    return encodeLearning({ kind: 'delta', models: this.slots.map((s) => this.modelState(s, true)) });
  }

  /** Adds a snapshot's or delta's counts (atomically: all or nothing). */
  merge(bytes: Uint8Array): MergeSummary {
    const state = decodeLearning(bytes);
    const plan = this.plan(state);
    let positives = 0;
    let negatives = 0;
    for (const { slot, key, counts } of plan) {
      const inst = this.instancePtr(slot, key, true);
      const view = this.countsView(slot, inst);
      for (let i = 0; i < counts.length; i++) view[i] = view[i]! + counts[i]!;
      let base = slot.baseline.get(key);
      if (!base) slot.baseline.set(key, (base = new Float64Array(counts.length)));
      for (let i = 0; i < counts.length; i++) base[i] = base[i]! + counts[i]!;
      this.rebuild(slot, inst);
      positives += counts[0]!;
      negatives += counts[1]!;
    }
    return { kind: state.kind, instances: plan.length, positives, negatives };
  }

  /**
   * Replaces the learning state with a snapshot's, keeping what this engine
   * learned since its last delta() (not shipped yet) on top. For a worker
   * that ships deltas to a coordinator and takes the coordinator's total back.
   */
  restore(bytes: Uint8Array): MergeSummary {
    const state = decodeLearning(bytes);
    const plan = this.plan(state);
    const incoming = new Map<Slot, Map<string, Float64Array>>();
    for (const p of plan) {
      let m = incoming.get(p.slot);
      if (!m) incoming.set(p.slot, (m = new Map()));
      m.set(p.key, p.counts);
    }
    for (const slot of this.slots) {
      const m = incoming.get(slot) ?? new Map<string, Float64Array>();
      for (const [key, inst] of slot.instances) {
        const view = this.countsView(slot, inst);
        const base = slot.baseline.get(key);
        const snap = m.get(key);
        for (let i = 0; i < view.length; i++) view[i] = (snap ? snap[i]! : 0) + (view[i]! - (base ? base[i]! : 0));
        if (snap) slot.baseline.set(key, Float64Array.from(snap));
        else slot.baseline.delete(key);
        this.rebuild(slot, inst);
      }
      for (const [key, counts] of m) {
        if (slot.instances.has(key)) continue;
        const inst = this.instancePtr(slot, key, true);
        this.countsView(slot, inst).set(counts);
        slot.baseline.set(key, Float64Array.from(counts));
        this.rebuild(slot, inst);
      }
    }
    return {
      kind: state.kind,
      instances: plan.length,
      positives: plan.reduce((a, p) => a + p.counts[0]!, 0),
      negatives: plan.reduce((a, p) => a + p.counts[1]!, 0),
    };
  }

  /**
   * Forgets what was learned: every instance, or the instances of one action
   * (per-action and per-action-channel models). Local: other workers keep
   * theirs, and the delta baseline is cleared so the next delta holds only
   * what is learned after the reset. Offers of the reset instances already in
   * the decision log are closed: their outcomes (reason `reset`) are not
   * learned from. Returns the number of instances reset.
   */
  reset(actionId?: string): number {
    if (actionId !== undefined && (typeof actionId !== 'string' || !KEY_PATTERN.test(actionId))) {
      throw new NextbestError('ARGUMENT_INVALID', `reset: actionId must be a non-empty string without "/", got ${JSON.stringify(actionId)}`);
    }
    const reset = new Set<number>();
    for (const s of this.slots) {
      for (const [key, inst] of s.instances) {
        if (actionId !== undefined && (s.table.instances === 'model' || (key !== actionId && !key.startsWith(actionId + '/')))) continue;
        this.countsView(s, inst).fill(0);
        s.baseline.delete(key);
        this.rebuild(s, inst);
        reset.add(inst);
      }
    }
    // outcomes of decisions made before the reset are not learned from
    if (reset.size > 0) this.log.closeOffers(actionId === undefined ? undefined : reset);
    return reset.size;
  }

  /** Counts, AUCs, activity and the classifier of one instance. */
  report(modelId: string, ref?: InstanceRef): InstanceReport {
    const s = this.slot(modelId);
    const key = keyFor(s, ref);
    const inst = this.instancePtr(s, key, true);
    try {
      this.wasm.exports.adaptiveRefresh(s.ptr, inst);
    } catch (e) {
      throw wasmError(e);
    }
    const f64 = this.wasm.f64;
    const l = s.layout;
    const at = (off: number, i: number) => f64[(inst + off + 8 * i) >> 3]!;
    const nActive = this.wasm.i32[(inst + 4) >> 2]!;
    const activeSet = new Set<number>();
    for (let k = 0; k < nActive; k++) activeSet.add(this.wasm.i32[(inst + l.active + 8 * k) >> 2]! >> 1);
    const norm = f64[(inst + 24) >> 3]!;
    const predictors = s.table.predictors.map((p, k): PredictorReport => {
      const labels = predictorBinLabels(p);
      return {
        name: p.name,
        type: p.type,
        auc: at(l.auc, k),
        active: activeSet.has(k),
        bins: labels.map((label, b) => {
          const i = l.binBase[k]! + b;
          const pos = at(l.binPos, i);
          const neg = at(l.binNeg, i);
          return { label, positives: pos, negatives: neg, propensity: (0.5 + pos) / (1 + pos + neg), contribution: at(l.binLogOdds, i) + norm };
        }),
      };
    });
    const scoreBins: InstanceReport['scoreBins'] = [];
    const sp: number[] = [];
    const sn: number[] = [];
    for (let b = 0; b < l.scoreBins; b++) {
      const pos = at(l.scorePos, b);
      const neg = at(l.scoreNeg, b);
      sp.push(pos);
      sn.push(neg);
      if (pos + neg > 0) {
        scoreBins.push({ index: b, upTo: b < l.scoreBins - 1 ? s.table.scoreThresholds[b]! : Infinity, positives: pos, negatives: neg, propensity: at(l.classifier, b) });
      }
    }
    return {
      modelId: s.id,
      key,
      positives: at(l.counts, 0),
      negatives: at(l.counts, 1),
      auc: orderedAuc(sp, sn),
      activePredictors: nActive,
      predictors,
      scoreBins,
    };
  }

  /** Seeds the exploration stream. */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new NextbestError('ARGUMENT_INVALID', `a seed is a non-negative safe integer, got ${String(seed)}`);
    const [lo, hi] = seedWords(seed);
    this.wasm.exports.prngSeed(this.rngPtr, lo, hi);
  }

  /**
   * The propensity to rank by under the model's exploration: a Thompson draw,
   * an epsilon-greedy uniform draw (when `coin` < epsilon; coin is the
   * decision's uniform draw, drawn here for epsilon models when omitted), or
   * p itself.
   */
  explore(modelId: string, ref: InstanceRef | undefined, p: number, coin?: number): number {
    const s = this.slot(modelId);
    const inst = this.instancePtr(s, keyFor(s, ref), true);
    const ex = this.wasm.exports;
    // like adaptiveExploreMany: a coin is drawn only for epsilon-greedy models
    const c = coin ?? (s.table.exploration.method === 'epsilon' ? ex.prngUniform(this.rngPtr) : 1);
    return ex.adaptiveExplore(s.ptr, inst, this.rngPtr, p, c);
  }

  /** Whether the exposure ramp admits the instance in this decision. */
  admit(modelId: string, ref?: InstanceRef): boolean {
    const s = this.slot(modelId);
    const inst = this.instancePtr(s, keyFor(s, ref), true);
    return this.wasm.exports.adaptiveAdmit(s.ptr, inst, this.rngPtr) === 1;
  }

  /**
   * Logs that a decision offered these actions to a customer: each offer's
   * observation (bins, score bin) is kept so record() can learn from the
   * outcome without the caller resending features. Returns the decision token.
   */
  offered(customerId: string, offers: OfferedAction[], at?: number, token?: number): number {
    checkId(customerId, 'customerId');
    if (!Array.isArray(offers)) throw new NextbestError('ARGUMENT_INVALID', 'offered: offers must be an array of { actionId, channel?, modelId, features }');
    // Observe every offer first, so a bad one leaves the log untouched.
    const seen = offers.map((o) => {
      if (o === null || typeof o !== 'object') throw new NextbestError('ARGUMENT_INVALID', 'offered: each offer is { actionId, channel?, modelId, features }');
      const s = this.slot(o.modelId);
      const obs = this.observe(s.id, { action: o.actionId, channel: o.channel }, o.features);
      return { o, s, obs, inst: this.instancePtr(s, obs.key, false) };
    });
    const tok = this.log.begin(customerId, at, token);
    for (const { o, s, obs, inst } of seen) this.log.add(customerId, tok, o.actionId, o.channel, s.index, inst, obs.scoreBin, obs.bins);
    return tok;
  }

  /**
   * Learns from an outcome: finds the customer's latest logged decision that
   * offered the action (on the channel, and with the token, when given) and
   * updates its instance's counts. `slot` (internal): the customer's log slot
   * as log.slotOf just said, to skip a second lookup. Impressions are not learned from; each
   * offer learns from its first accept or reject only.
   */
  record(req: RecordRequest, slot?: number): RecordResult {
    const hit = this.log.find(req, slot);
    if (hit.result !== undefined) return hit.result;
    this.learnBins(hit.slot, hit.inst, hit.bins, hit.offset, hit.scoreBin, hit.positive);
    return this.learnedResults[hit.slot]!;
  }

  /** Loads a bundle's starting learning state (the payload's `learning` section). */
  loadBundleSection(section: unknown): void {
    if (!(section instanceof Uint8Array)) throw new NextbestError('BUNDLE_INVALID', 'bundle learning section: expected the bytes of a learning snapshot');
    try {
      this.merge(section);
    } catch (e) {
      if (e instanceof NextbestError) throw new NextbestError('BUNDLE_INVALID', `bundle learning section: ${e.message}`, undefined, { cause: e });
      throw e;
    }
  }

  /**
   * @internal engine.swap: takes over what `prev` (the learning of the bundle
   * being replaced) holds for every model of this one that `prev` has with
   * the same id and binning (shape): the counts of the instances `keep`
   * accepts, what was not shipped by delta() yet (the next delta() still
   * reports it), the decision log's offers of those instances (so outcomes
   * of decisions made before the swap are learned), and the exploration
   * stream. Models that are new or binned differently start from this
   * bundle's own state. Checks the instance limit before anything changes.
   */
  carryFrom(prev: Learning, keep: (modelId: string, key: string) => boolean): LearningCarry {
    const pairs: { from: Slot; to: Slot; keys: string[] }[] = [];
    const report: LearningCarry = { carried: [], reset: [], droppedInstances: 0 };
    let needed = 0;
    for (const to of this.slots) {
      const from = prev.byId.get(to.id);
      if (from === undefined || from.shape !== to.shape) {
        report.reset.push(to.id);
        continue;
      }
      const keys = [...from.instances.keys()].filter((k) => keep(to.id, k));
      report.droppedInstances += from.instances.size - keys.length;
      needed += keys.filter((k) => !to.instances.has(k)).length;
      pairs.push({ from, to, keys });
      report.carried.push(to.id);
    }
    for (const s of prev.slots) if (!this.byId.has(s.id)) report.reset.push(s.id);
    if (this.instanceCount + needed > this.maxInstances) {
      throw new NextbestError('LIMIT_EXCEEDED', `the new bundle would need ${this.instanceCount + needed} learning instances to keep the learning state; ${this.maxInstances} are allowed (option learning.maxInstances)`, {
        limit: 'learning.maxInstances',
      });
    }
    const instMap = new Map<number, { slot: number; inst: number }>();
    for (const { from, to, keys } of pairs) {
      for (const key of keys) {
        const src = from.instances.get(key)!;
        const dst = this.instancePtr(to, key, true);
        // the counts replace this bundle's starting state for the instance: learning continues where it was
        this.countsView(to, dst).set(prev.countsView(from, src));
        const base = from.baseline.get(key);
        if (base) to.baseline.set(key, Float64Array.from(base));
        else to.baseline.delete(key);
        this.rebuild(to, dst);
        instMap.set(src, { slot: to.index, inst: dst });
      }
    }
    const prevSlotOf = new Map(prev.slots.map((s) => [s.index, s]));
    this.log.adopt(prev.log, (slot, inst) => (prevSlotOf.has(slot) ? instMap.get(inst) : undefined));
    this.wasm.u8.set(prev.wasm.u8.subarray(prev.rngPtr, prev.rngPtr + PRNG_STATE_BYTES), this.rngPtr);
    return report;
  }

  /** @internal throws MODEL_KIND unless the model can be scored without an action (engine.score). */
  checkScorable(modelId: string): void {
    const s = this.slot(modelId);
    if (s.table.instances !== 'model') {
      throw new NextbestError(
        'MODEL_KIND',
        `adaptive model "${s.id}" learns per ${s.table.instances === 'action' ? 'action' : 'action and channel'}: score it with engine.learning.propensity("${s.id}", { action${s.table.instances === 'action' ? '' : ', channel'} }, features)`,
      );
    }
  }

  private slot(modelId: string): Slot {
    const s = typeof modelId === 'string' ? this.byId.get(modelId) : undefined;
    if (!s) {
      throw new NextbestError('MODEL_UNKNOWN', `no adaptive model "${String(modelId).slice(0, 64)}"; adaptive models: ${this.modelIds.join(', ') || 'none'}`);
    }
    return s;
  }

  private instancePtr(s: Slot, key: string, create: boolean): number {
    let inst = s.instances.get(key);
    if (inst !== undefined) return inst;
    if (!create) throw new NextbestError('ARGUMENT_INVALID', `model "${s.id}" has no instance "${key}"`);
    if (this.instanceCount >= this.maxInstances) {
      throw new NextbestError('LIMIT_EXCEEDED', `cannot create learning instance "${key}" of model "${s.id}": all ${this.maxInstances} instances are in use (option learning.maxInstances)`, { limit: 'learning.maxInstances' });
    }
    inst = this.wasm.alloc(s.layout.bytes, 16);
    s.instances.set(key, inst);
    this.instanceCount++;
    this.rebuild(s, inst);
    return inst;
  }

  /** A u16 view of wasm memory, re-made when memory grows (its buffer is replaced). */
  private u16(): Uint16Array {
    if (this.u16View.buffer !== this.wasm.memory.buffer) this.u16View = new Uint16Array(this.wasm.memory.buffer);
    return this.u16View;
  }

  private rebuild(s: Slot, inst: number): void {
    try {
      this.wasm.exports.adaptiveRebuild(s.ptr, inst);
    } catch (e) {
      throw wasmError(e);
    }
  }

  private countsView(s: Slot, inst: number): Float64Array {
    return new Float64Array(this.wasm.memory.buffer, inst + s.layout.counts, s.layout.countsLength);
  }

  private encodeRow(features: FeatureObject | Float32Array): void {
    const f32 = this.wasm.f32;
    const base = this.rowPtr >> 2;
    if (features instanceof Float32Array) {
      if (features.length !== this.schema.size) {
        throw new NextbestError('ROWS_SHAPE', `a feature vector must have ${this.schema.size} values in schema order, got ${features.length}`, {
          expected: this.schema.size,
          actual: features.length,
        });
      }
      f32.set(features, base);
    } else {
      this.schema.encodeInto(features, f32, base, this.encodeOptions);
    }
  }

  private modelState(s: Slot, asDelta: boolean): LearningModelState {
    const instances: [string, Float64Array][] = [];
    for (const [key, inst] of s.instances) {
      const counts = Float64Array.from(this.countsView(s, inst));
      if (asDelta) {
        const base = s.baseline.get(key);
        const d = Float64Array.from(counts);
        if (base) for (let i = 0; i < d.length; i++) d[i] = d[i]! - base[i]!;
        s.baseline.set(key, counts);
        instances.push([key, d]);
      } else {
        instances.push([key, counts]);
      }
    }
    return { id: s.id, shape: s.shape, instances };
  }

  /** Checks decoded state against the models (ids, shapes, sizes, count invariants, limits) before anything changes. */
  private plan(state: LearningState): { slot: Slot; key: string; counts: Float64Array }[] {
    const plan: { slot: Slot; key: string; counts: Float64Array }[] = [];
    let newInstances = 0;
    for (const m of state.models) {
      const s = this.byId.get(m.id);
      if (!s) throw incompatible(`learning state has model "${m.id}", which is not an adaptive model of this bundle (${this.modelIds.join(', ') || 'none'})`);
      if (m.shape !== s.shape) {
        throw incompatible(`learning state of model "${m.id}" was learned with different bins (shape ${m.shape}, this bundle ${s.shape}); it cannot be merged`);
      }
      for (const [key, counts] of m.instances) {
        const what = `learning state model "${m.id}" instance "${key}"`;
        try {
          checkKey(s, key);
        } catch {
          throw new NextbestError('LEARNING_INVALID', `${what}: the key does not fit a per-${s.table.instances} model`);
        }
        if (counts.length !== s.layout.countsLength) {
          throw new NextbestError('LEARNING_INVALID', `${what}: ${counts.length} counts, the model has ${s.layout.countsLength}`);
        }
        checkInvariants(s.layout, counts, what);
        const inst = s.instances.get(key);
        if (inst === undefined) newInstances++;
        else {
          const view = this.countsView(s, inst);
          if (view[0]! + counts[0]! > MAX_SAFE || view[1]! + counts[1]! > MAX_SAFE) {
            throw new NextbestError('LIMIT_EXCEEDED', `${what}: merged counts would exceed 2^53`, { limit: 'learning.counts', max: 2 ** 53 });
          }
        }
        plan.push({ slot: s, key, counts });
      }
    }
    if (this.instanceCount + newInstances > this.maxInstances) {
      throw new NextbestError('LIMIT_EXCEEDED', `merging needs ${newInstances} new learning instances; ${this.maxInstances - this.instanceCount} are free (option learning.maxInstances)`, { limit: 'learning.maxInstances' });
    }
    return plan;
  }
}

function outcomeSign(outcome: unknown): boolean {
  if (outcome === 'accept') return true;
  if (outcome === 'reject') return false;
  throw new NextbestError('ARGUMENT_INVALID', `outcome must be "accept" or "reject" to learn from, got ${JSON.stringify(outcome)}`);
}

function checkKey(s: Slot, key: string): void {
  const scope = s.table.instances;
  const ok =
    scope === 'model' ? key === '' : scope === 'action' ? KEY_PATTERN.test(key) : /^[^/]{1,128}\/[^/]{1,128}$/.test(key);
  if (!ok) throw new NextbestError('ARGUMENT_INVALID', `"${key.slice(0, 64)}" is not an instance key of per-${scope} model "${s.id}"`);
}

function keyFor(s: Slot, ref: InstanceRef | undefined): string {
  const scope = s.table.instances;
  if (scope === 'model') return '';
  const action = ref?.action;
  if (typeof action !== 'string' || !KEY_PATTERN.test(action)) {
    throw new NextbestError('ARGUMENT_INVALID', `adaptive model "${s.id}" learns per action: give { action } (a non-empty string without "/"), got ${JSON.stringify(action)}`);
  }
  if (scope === 'action') return action;
  const channel = ref?.channel;
  if (typeof channel !== 'string' || !KEY_PATTERN.test(channel)) {
    throw new NextbestError('ARGUMENT_INVALID', `adaptive model "${s.id}" learns per action and channel: give { action, channel }, got channel ${JSON.stringify(channel)}`);
  }
  return `${action}/${channel}`;
}

/** Each predictor's bins add up to the totals (every outcome lands in one bin of each); the score bins to at most the totals. */
function checkInvariants(l: InstanceLayout, c: Float64Array, what: string): void {
  const P = c[0]!;
  const N = c[1]!;
  const B = l.totalBins;
  for (let k = 0; k < l.nPredictors; k++) {
    let sp = 0;
    let sn = 0;
    for (let b = 0; b < l.binCount[k]!; b++) {
      sp += c[2 + l.binBase[k]! + b]!;
      sn += c[2 + B + l.binBase[k]! + b]!;
    }
    if (sp !== P || sn !== N) {
      throw new NextbestError('LEARNING_INVALID', `${what}: predictor ${k}'s bins hold ${sp}/${sn} outcomes, the model ${P}/${N}; the counts are inconsistent`);
    }
  }
  let sp = 0;
  let sn = 0;
  for (let b = 0; b < l.scoreBins; b++) {
    sp += c[2 + 2 * B + b]!;
    sn += c[2 + 2 * B + l.scoreBins + b]!;
  }
  if (sp > P || sn > N) throw new NextbestError('LEARNING_INVALID', `${what}: the score bins hold ${sp}/${sn} outcomes, more than the model's ${P}/${N}`);
}

/** AUC of bins already in score order (highest score = most positive), folded into [0.5, 1]. */
export function orderedAuc(pos: number[], neg: number[]): number {
  const sumPos = pos.reduce((a, b) => a + b, 0);
  const sumNeg = neg.reduce((a, b) => a + b, 0);
  if (sumPos === 0 || sumNeg === 0) return 0.5;
  let cumPos = 0;
  let cumNeg = 0;
  let area = 0;
  for (let i = pos.length - 1; i >= 0; i--) {
    const tpr0 = cumPos / sumPos;
    const fpr0 = cumNeg / sumNeg;
    cumPos += pos[i]!;
    cumNeg += neg[i]!;
    area += ((cumNeg / sumNeg - fpr0) * (cumPos / sumPos + tpr0)) / 2;
  }
  return 0.5 + Math.abs(area - 0.5);
}

/**
 * Instances of one model scored together (learning.group). propensities()
 * returns the model propensities, explore() what to rank by under the
 * model's exploration; both return the group's own Float64Array, reused
 * across calls (copy it to keep it).
 */
export class InstanceGroup {
  readonly modelId: string;
  readonly keys: readonly string[];
  private readonly learning: Learning;
  private readonly model: number;
  private readonly insts: number;
  private readonly bins: number;
  private readonly props: number;
  private readonly explored: number;
  private readonly out: Float64Array;

  /** @internal use learning.group(). */
  constructor(learning: Learning, modelId: string, model: number, keys: string[], ptrs: Int32Array, nPredictors: number) {
    const { wasm } = learning.runtime;
    this.learning = learning;
    this.modelId = modelId;
    this.model = model;
    this.keys = keys;
    this.insts = wasm.place(ptrs);
    this.bins = wasm.alloc(2 * Math.max(1, nPredictors), 16);
    this.props = wasm.alloc(8 * keys.length, 16);
    this.explored = wasm.alloc(8 * keys.length, 16);
    this.out = new Float64Array(keys.length);
  }

  /** The propensity of every instance for one customer. */
  propensities(features: FeatureObject | Float32Array): Float64Array {
    const { wasm, rowPtr, encodeRow } = this.learning.runtime;
    encodeRow(features);
    try {
      wasm.exports.adaptivePropensities(this.model, this.insts, this.keys.length, rowPtr, this.bins, this.props);
    } catch (e) {
      throw wasmError(e);
    }
    const f64 = wasm.f64;
    const out = this.out;
    for (let i = 0, at = this.props >> 3; i < out.length; i++) out[i] = f64[at + i]!;
    return out;
  }

  /** The propensities to rank by (Thompson, epsilon-greedy or none) for one customer. */
  explore(features: FeatureObject | Float32Array): Float64Array {
    this.propensities(features);
    const { wasm, rngPtr } = this.learning.runtime;
    try {
      wasm.exports.adaptiveExploreMany(this.model, this.insts, this.keys.length, rngPtr, this.props, this.explored);
    } catch (e) {
      throw wasmError(e);
    }
    const f64 = wasm.f64;
    const out = this.out;
    for (let i = 0, at = this.explored >> 3; i < out.length; i++) out[i] = f64[at + i]!;
    return out;
  }
}
