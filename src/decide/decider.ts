/**
 * The decision runtime of an engine: validated decision tables placed in the
 * engine's wasm instance, with the scratch one decision uses (features,
 * frame, customer state, ranked output). A decision is one kernel call:
 * TypeScript checks and encodes the request straight into linear memory,
 * `decide` runs every stage, and TypeScript builds the result objects from
 * the ranked candidate records (and, when asked, the explanation).
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import { checkInputString } from '../limits.js';
import { wasmError, type WasmInstance } from '../runtime/wasm.js';
import type { EncodeOptions, FeatureSchema } from '../runtime/features.js';
import type { ModelTable } from '../models/registry.js';
import { checkState, freshState, hasHeader, section, type StateLayout } from '../state/layout.js';
import { editDistance } from '../compile/source.js';
import { ADAPTIVE_REF_SIZE, adaptiveBinned, CAND_SIZE, DT_ADAPTIVE, DT_N_CANDIDATES, DT_RNG, DT_SCORED, placeDecisions, type PlacedDecisions } from './place.js';
import type { Learning } from '../adaptive/learning.js';
import { PRNG_STATE_BYTES, seedWords } from '../adaptive/explore.js';
import { CONTACTS_SECTION, OUTCOMES, STAGE, type DecisionTables, type Outcome } from './tables.js';
import { explainCandidate, type CandidateRecord } from './explain.js';
import { combineStrata, probabilityDraws, samplingSeedWords, strata, type EpsilonCoin, type StratumHits } from './probability.js';
import type { AdaptiveTable } from '../models/adaptive.js';
import { JourneyExplainer } from './journey-explain.js';
import { JOURNEY_LIMITS, type JourneySet } from '../compile/journey/model.js';
import type { JourneyMatch } from '../runtime/journeys.js';
import type { ContactRecord, DecidedAction, DecideOptions, Decision, DecisionExplanation, DecisionRequest, ProbabilityEstimate } from './types.js';

/** The request context as given, without `now` (lists copied): what a decision log keeps. */
function contextCopy(ctx: DecisionRequest['context']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in ctx) {
    if (!Object.prototype.hasOwnProperty.call(ctx, key) || key === 'now') continue;
    const v = ctx[key];
    out[key] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/** Latest time a contact can be recorded at (u32 seconds). */
export const MAX_CONTACT_MS = 4294967295 * 1000;

/** The channels of a decision, as a 64-bit mask split in two words. */
interface ChannelMask {
  lo: number;
  hi: number;
}

function near(name: string, known: readonly string[]): string {
  const n = known.filter((k) => editDistance(k, name) <= 2);
  return n.length ? `; did you mean "${n[0]}"?` : '';
}

export class Decisions {
  readonly tables: DecisionTables;
  readonly layout: StateLayout;
  private readonly wasm: WasmInstance;
  private readonly placed: PlacedDecisions;
  private readonly schema: FeatureSchema;
  private readonly context: FeatureSchema;
  private readonly encode: EncodeOptions | undefined;
  private readonly featuresPtr: number;
  private readonly framePtr: number;
  private readonly statePtr: number;
  private readonly outPtr: number;
  private readonly contactsOffset: number;
  private readonly actionIndex: Map<string, number>;
  private readonly channelIndex: Map<string, number>;
  private readonly allChannels: ChannelMask;
  private readonly contextIndex: Map<string, number>;
  /** Per context field: 0 numeric, 1 categorical with a dictionary, 2 categorical codes. */
  private readonly contextKinds: Uint8Array;
  private readonly contextDicts: (Map<string, number> | undefined)[];
  /** Outputs of each model of tables.frame.models. */
  private readonly modelOutputs: number[];
  // The arguments of the current call, kept in fields so the hot path allocates no small objects.
  private limitArg = 0;
  private explainArg = false;
  private seedArg: number | undefined = undefined;
  /** Re-runs per random pattern for selection probabilities (0: not asked). */
  private drawsArg = 0;
  private matchesArg: readonly JourneyMatch[] | undefined = undefined;
  /** Journeys in explanations, when decision programs read journey values. */
  private readonly journeyExplainer: JourneyExplainer | undefined;
  private readonly journeysTable: number;
  private readonly journeyValuesPtr: number;
  private readonly learning: Learning;
  /** The sampling stream of selection probabilities, and scratch of decideSample (targets: action, channel; hits). */
  private readonly sampleRng: number;
  private readonly targetsPtr: number;
  private readonly hitsPtr: number;
  /** The decision stream's state words before the call (probability option only). */
  private readonly wordsBefore = new Uint32Array(4);
  /** Per frame.adaptive model: its definition, for exploration settings. */
  private readonly adaptiveTables: AdaptiveTable[];
  /** A stream seeded per call when a decision passes its own seed. */
  private readonly callRng: number;
  /** Handle (index) of each frame.adaptive model in the learning state. */
  private readonly adaptiveIndex: number[];
  private readonly mask: ChannelMask = { lo: 0, hi: 0 };
  /** The contacts section of the state scratch (re-made when memory grows): record() copies it out without a subarray. */
  private contactsView: Uint8Array = new Uint8Array(0);
  /** Per frame.adaptive model, its bins scratch as a view (re-made when memory grows): what logOffers logs. */
  private binsViews: Uint16Array[] = [];
  /** Per action and per channel, its code in the decision log (0: not looked up yet); logOffers' offers. */
  private readonly actionCodes: Int32Array;
  private readonly channelCodes: Int32Array;
  /** The first 8 bytes of this layout's state (magic and layout hash), for a check without allocation. */
  private readonly header: Uint8Array;

  constructor(
    wasm: WasmInstance,
    tables: DecisionTables,
    models: ReadonlyMap<string, { table: ModelTable; ptr: number }>,
    schema: FeatureSchema,
    context: FeatureSchema,
    layout: StateLayout,
    learning: Learning,
    encode?: EncodeOptions,
    /** The placed journeys (src/runtime/journeys.ts), when the bundle has journeys: the kernel reads journey values from its table. */
    journeys?: { table: number; set: JourneySet },
  ) {
    const contacts = section(layout, CONTACTS_SECTION)!; // validateDecisions checked it
    this.wasm = wasm;
    this.tables = tables;
    this.layout = layout;
    this.schema = schema;
    this.context = context;
    this.encode = encode;
    this.contactsOffset = contacts.offset;
    this.learning = learning;
    this.placed = placeDecisions(
      wasm,
      tables,
      models,
      schema.size,
      contacts.offset,
      (id, action, channel) => learning.instancePointer(id, channel === undefined ? { action } : { action, channel }),
      journeys?.table,
    );
    this.adaptiveIndex = tables.frame.adaptive.map((m) => learning.modelHandle(m.id).index);
    this.callRng = wasm.alloc(PRNG_STATE_BYTES, 16);
    this.sampleRng = wasm.alloc(PRNG_STATE_BYTES, 16);
    this.adaptiveTables = tables.frame.adaptive.map((m) => models.get(m.id)!.table as AdaptiveTable);
    this.featuresPtr = wasm.alloc(Math.max(1, schema.size) * 4, 16);
    this.framePtr = wasm.alloc(tables.frame.slots * 8, 16);
    this.statePtr = wasm.alloc(layout.size, 16);
    this.outPtr = wasm.alloc(this.placed.maxCandidates * 4, 16);
    this.targetsPtr = wasm.alloc(this.placed.maxCandidates * 8, 16);
    this.hitsPtr = wasm.alloc(this.placed.maxCandidates * 4, 16);
    this.actionIndex = new Map(tables.actions.map((a, i) => [a.id, i]));
    this.actionCodes = new Int32Array(tables.actions.length);
    this.channelCodes = new Int32Array(Math.max(1, tables.channels.length));
    this.channelIndex = new Map(tables.channels.map((c, i) => [c, i]));
    const n = Math.max(1, tables.channels.length);
    this.allChannels = { lo: n >= 32 ? 0xffffffff : (2 ** n - 1) >>> 0, hi: n <= 32 ? 0 : (2 ** (n - 32) - 1) >>> 0 };
    this.contextIndex = new Map(context.names.map((f, i) => [f, i]));
    this.contextKinds = Uint8Array.from(context.defs, (d) => (d.type === 'numeric' ? 0 : d.categories ? 1 : 2));
    this.contextDicts = context.defs.map((d) => (d.categories ? new Map(d.categories.map((c, i) => [c, i])) : undefined));
    this.modelOutputs = tables.frame.models.map((m) => models.get(m.id)!.table.nOutputs);
    this.header = freshState(layout).slice(0, 8);
    this.journeysTable = journeys && tables.frame.journeys.length > 0 ? journeys.table : 0;
    this.journeyExplainer = this.journeysTable ? new JourneyExplainer(tables, journeys!.set) : undefined;
    this.journeyValuesPtr = this.journeyExplainer ? wasm.alloc(Math.max(1, this.journeyExplainer.valueCount) * 8, 16) : 0;
  }

  /** Fresh state for a customer without history. */
  freshState(): Uint8Array {
    return freshState(this.layout);
  }

  /** One decision over the given state (undefined: no history). The state is not changed. */
  decide(state: Uint8Array | undefined, req: DecisionRequest, opts: DecideOptions | undefined): Decision {
    if (req === null || typeof req !== 'object') throw new NextbestError('ARGUMENT_INVALID', `a decision request is an object { customerId?, features, context }, got ${describe(req)}`);
    this.options(opts);
    const wasm = this.wasm;
    this.encodeFeatures(req.features);
    const now = this.encodeContext(req.context);
    this.channelMask(req.context.channel);
    const { mask, limitArg: limit, explainArg: explain } = this;
    if (state === undefined) {
      wasm.u8.fill(0, this.statePtr, this.statePtr + this.layout.size);
    } else {
      this.checkState(state);
      wasm.u8.set(state, this.statePtr);
    }
    // the exploration stream: the engine's (learning.seed), or one seeded from this call's seed
    let rng = this.learning.runtime.rngPtr;
    if (this.seedArg !== undefined) {
      const [lo, hi] = seedWords(this.seedArg);
      wasm.exports.prngSeed(this.callRng, lo, hi);
      rng = this.callRng;
    }
    wasm.i32[(this.placed.dt + DT_RNG) >> 2] = rng;
    const draws = this.drawsArg;
    if (draws > 0) this.wordsBefore.set(wasm.u32.subarray(rng >> 2, (rng >> 2) + 4));
    let nOut: number;
    try {
      nOut = wasm.exports.decide(this.placed.dt, this.featuresPtr, this.framePtr, this.statePtr, now, mask.lo, mask.hi, limit, explain ? 1 : 0, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    const actions = this.readSelected(nOut);
    const token = this.logOffers(req.customerId, now, nOut);
    const decision: Decision = explain ? { actions, explanation: this.explanation(now, nOut) } : { actions };
    if (token !== undefined) decision.token = token;
    if (draws > 0) {
      // after everything is read from the decision's records: the re-runs overwrite them
      decision.probabilityEstimate = this.selectionProbabilities(actions, rng, now, limit, draws);
      decision.request = {
        ...(req.customerId === undefined ? {} : { customerId: req.customerId }),
        now,
        features: this.schema.decode(wasm.f32, this.featuresPtr >> 2),
        context: contextCopy(req.context),
      };
    }
    return decision;
  }

  /**
   * Sets each selected action's probability of being selected by this
   * decision's policy (src/decide/probability.ts): 1 when the decision drew
   * nothing from its stream; else the kernel re-runs the decision with a
   * sampling stream of its own, per epsilon coin pattern.
   */
  private selectionProbabilities(actions: DecidedAction[], rng: number, now: number, limit: number, draws: number): ProbabilityEstimate {
    const wasm = this.wasm;
    const u32 = wasm.u32;
    const w = rng >> 2;
    const before = this.wordsBefore;
    if (u32[w] === before[0] && u32[w + 1] === before[1] && u32[w + 2] === before[2] && u32[w + 3] === before[3]) {
      for (const a of actions) a.probability = 1;
      return { draws: 0, exact: true };
    }
    const { i32, f64 } = wasm;
    const nOut = actions.length;
    for (let k = 0; k < nOut; k++) {
      const rec = this.placed.candidates + i32[(this.outPtr >> 2) + k]! * CAND_SIZE;
      i32[(this.targetsPtr >> 2) + 2 * k] = i32[rec >> 2]!;
      i32[(this.targetsPtr >> 2) + 2 * k + 1] = i32[(rec >> 2) + 1]!;
    }
    // the epsilon coins this decision drew, and which way each fell
    const refs = i32[(this.placed.dt + DT_ADAPTIVE) >> 2]!;
    const coins: EpsilonCoin[] = [];
    this.adaptiveTables.forEach((table, m) => {
      const at = refs + m * ADAPTIVE_REF_SIZE;
      if ((i32[(at + 12) >> 2]! & 2) === 0 || table.exploration.method !== 'epsilon') return;
      coins.push({ ref: m, epsilon: table.exploration.epsilon, explored: f64[(at + 16) >> 3]! < table.exploration.epsilon });
    });
    const [lo, hi] = samplingSeedWords(u32.subarray(w, w + 4));
    wasm.exports.prngSeed(this.sampleRng, lo, hi);
    i32[(this.placed.dt + DT_RNG) >> 2] = this.sampleRng;
    const parts = strata(coins);
    let runs = 0;
    const results: StratumHits[] = parts.map((s) => {
      s.forces.forEach((f, i) => (i32[(refs + coins[i]!.ref * ADAPTIVE_REF_SIZE + 28) >> 2] = f));
      let r: number;
      try {
        r = wasm.exports.decideSample(this.placed.dt, this.featuresPtr, this.framePtr, this.statePtr, now, this.mask.lo, this.mask.hi, limit, draws, this.targetsPtr, nOut, this.hitsPtr, this.outPtr);
      } catch (e) {
        throw wasmError(e);
      }
      runs += r < 0 ? 1 : r;
      return { hits: Array.from(wasm.i32.subarray(this.hitsPtr >> 2, (this.hitsPtr >> 2) + nOut)), deterministic: r < 0 };
    });
    const { probabilities, exact } = combineStrata(parts, results, draws, nOut);
    for (let k = 0; k < nOut; k++) actions[k]!.probability = probabilities[k]!;
    return { draws: runs, exact };
  }

  /** Adds one contact outcome to state bytes in place. */
  record(state: Uint8Array, rec: Omit<ContactRecord, 'customerId'>): void {
    if (rec === null || typeof rec !== 'object') throw new NextbestError('ARGUMENT_INVALID', `a contact record is an object { customerId, actionId, channel, outcome, at }, got ${describe(rec)}`);
    this.checkState(state);
    const a = this.actionOf(rec.actionId);
    const c = this.recordChannel(a, rec.channel);
    const o = OUTCOMES.indexOf(rec.outcome as Outcome);
    if (o < 0) throw new NextbestError('ARGUMENT_INVALID', `outcome must be one of ${OUTCOMES.join(', ')}, got ${describe(rec.outcome)}`);
    const at = rec.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new NextbestError('TIME_INVALID', `at must be the time of the contact in epoch milliseconds, got ${describe(at)}`);
    if (at < 1000 || at >= MAX_CONTACT_MS + 1000) {
      throw new NextbestError('TIME_INVALID', `at ${at} is outside the times contact history keeps (1970-01-01T00:00:01Z to 2106-02-07T06:28:15Z)`);
    }
    const wasm = this.wasm;
    wasm.u8.set(state, this.statePtr);
    try {
      wasm.exports.recordContact(this.placed.dt, this.statePtr, a, c, 1 << o, Math.floor(at / 1000));
    } catch (e) {
      throw wasmError(e);
    }
    let view = this.contactsView;
    if (view.buffer !== wasm.u8.buffer) {
      view = this.contactsView = new Uint8Array(wasm.u8.buffer, this.statePtr + this.contactsOffset, this.tables.contactsSize);
    }
    state.set(view, this.contactsOffset);
  }

  /** Checks decide options without deciding (OPTION_INVALID), e.g. before the side effects of an observe. */
  checkOptions(opts: DecideOptions | undefined): void {
    this.options(opts);
  }

  /** Checks request context fields other than now and channel as a decision encodes them (CONTEXT_INVALID). */
  checkContextFields(ctx: Record<string, unknown>): void {
    for (const key in ctx) {
      if (!Object.prototype.hasOwnProperty.call(ctx, key)) continue;
      const i = this.contextIndex.get(key);
      if (i === undefined || key === 'channel') this.unknownContextField(key, this.context.names.filter((n) => n !== 'channel'));
      this.contextValue(i, key, ctx[key]);
    }
  }

  /** STATE_INVALID unless the bytes are state of this layout (fast path: length and header compared in place). */
  private checkState(state: Uint8Array): void {
    if (state instanceof Uint8Array && state.length === this.layout.size && hasHeader(state, 0, this.header)) return;
    checkState(this.layout, state); // throws with the reason
    throw new NextbestError('STATE_INVALID', 'customer state does not match this bundle');
  }

  /** Checks the options and sets limitArg, explainArg, seedArg and matchesArg. */
  private options(opts: DecideOptions | undefined): void {
    this.limitArg = this.tables.arbitration.limit;
    this.explainArg = false;
    this.seedArg = undefined;
    this.drawsArg = 0;
    this.matchesArg = undefined;
    if (opts === undefined) return;
    if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', `decide options must be an object { limit?, explain? }, got ${describe(opts)}`);
    if (opts.limit !== undefined) {
      if (typeof opts.limit !== 'number' || !Number.isInteger(opts.limit) || opts.limit < 0) {
        throw new NextbestError('OPTION_INVALID', `limit must be a non-negative integer (actions per channel), got ${describe(opts.limit)}`);
      }
      this.limitArg = Math.min(opts.limit, 0x7fffffff);
    }
    if (opts.explain !== undefined && typeof opts.explain !== 'boolean') {
      throw new NextbestError('OPTION_INVALID', `explain must be true or false, got ${describe(opts.explain)}`);
    }
    if (opts.seed !== undefined) {
      if (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed) || opts.seed < 0) {
        throw new NextbestError('OPTION_INVALID', `seed must be a non-negative safe integer, got ${describe(opts.seed)}`);
      }
      this.seedArg = opts.seed;
    }
    if (opts.matches !== undefined) {
      const m = opts.matches as unknown;
      if (!Array.isArray(m) || m.some((x) => x === null || typeof x !== 'object' || typeof x.journey !== 'string' || typeof x.time !== 'number' || !Array.isArray(x.events))) {
        throw new NextbestError('OPTION_INVALID', 'matches must be an array of journey matches { journey, time, events } as observe and advance return them');
      }
      this.matchesArg = opts.matches;
    }
    for (const k in opts) {
      if (k !== 'limit' && k !== 'explain' && k !== 'seed' && k !== 'probability' && k !== 'matches') {
        throw new NextbestError('OPTION_INVALID', `unknown decide option "${k.slice(0, 64)}"; known: limit, explain, seed, probability, matches`);
      }
    }
    this.drawsArg = probabilityDraws(opts.probability);
    this.explainArg = opts.explain === true;
  }

  private encodeFeatures(features: DecisionRequest['features']): void {
    const f32 = this.wasm.f32;
    const base = this.featuresPtr >> 2;
    if (features instanceof Float32Array) {
      if (features.length !== this.schema.size) {
        throw new NextbestError('ROWS_SHAPE', `features: a Float32Array must hold the ${this.schema.size} features in schema order, got ${features.length}`, {
          expected: this.schema.size,
          actual: features.length,
        });
      }
      f32.set(features, base);
    } else {
      this.schema.encodeInto(features, f32, base, this.encode);
    }
  }

  /** Writes the context fields into the frame; returns `now`. */
  private encodeContext(ctx: DecisionRequest['context']): number {
    if (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)) {
      throw new NextbestError('CONTEXT_INVALID', `context must be an object { now, channel?, ... }, got ${describe(ctx)}`);
    }
    const now = ctx.now;
    if (now === undefined) throw new NextbestError('TIME_INVALID', 'context.now is required: the decision time in epoch milliseconds');
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new NextbestError('TIME_INVALID', `context.now must be the decision time in epoch milliseconds (a finite number), got ${describe(now)}`);
    }
    // the range of event times (journeys): a time outside it is a unit or clock error upstream, never a decision time
    if (now < 0 || now > JOURNEY_LIMITS.maxTimeMs) {
      throw new NextbestError('TIME_INVALID', `context.now must be epoch milliseconds in [0, 2^48), got ${now}; is it in seconds or microseconds?`);
    }
    const f64 = this.wasm.f64;
    const slots = this.tables.frame.contextSlots;
    const base = this.framePtr >> 3;
    for (let i = 0; i < slots.length; i++) f64[base + slots[i]!] = NaN;
    const hasChannels = this.tables.channels.length > 0;
    for (const key in ctx) {
      if (!Object.prototype.hasOwnProperty.call(ctx, key) || key === 'now') continue;
      if (key === 'channel' && hasChannels) continue; // the kernel writes each candidate's channel
      const i = this.contextIndex.get(key);
      if (i === undefined) this.unknownContextField(key, ['now', ...this.context.names]);
      f64[base + slots[i]!] = this.contextValue(i, key, ctx[key]);
    }
    return now;
  }

  /** CONTEXT_INVALID for a field the context does not have (LIMIT_EXCEEDED for an over-long name), naming those it has. */
  private unknownContextField(key: string, known: readonly string[]): never {
    checkInputString(this.context.limits, key, 'a context field name');
    throw new NextbestError('CONTEXT_INVALID', `unknown context field "${key.slice(0, 64)}"${near(key, known)}; the context has: ${known.join(', ') || 'no other fields'}`, {
      field: key.slice(0, 64),
    });
  }

  private contextValue(i: number, key: string, v: unknown): number {
    if (v === null || v === undefined) return NaN;
    const kind = this.contextKinds[i]!;
    if (kind === 0) {
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      throw new NextbestError('CONTEXT_INVALID', `context.${key} is numeric: expected a number, got ${describe(v)}`, { field: key });
    }
    if (typeof v === 'string' && kind === 1) {
      const code = this.contextDicts[i]!.get(v);
      if (code !== undefined) return code;
      checkInputString(this.context.limits, v, `context.${key}`);
      const values = this.context.defs[i]!.categories!;
      throw new NextbestError('CONTEXT_INVALID', `context.${key}: "${v.slice(0, 64)}" is not one of ${values.join(', ')}${near(v, values)}`, { field: key });
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < (kind === 1 ? this.contextDicts[i]!.size : 2 ** 24)) return v;
    throw new NextbestError(
      'CONTEXT_INVALID',
      `context.${key} is categorical: expected ${kind === 1 ? 'one of its values as a string' : 'an integer category code'}, got ${describe(v)}`,
      { field: key },
    );
  }

  /** Sets this.mask to the requested channels. */
  private channelMask(v: unknown): void {
    const mask = this.mask;
    if (this.tables.channels.length === 0 || v === undefined || v === null) {
      mask.lo = this.allChannels.lo;
      mask.hi = this.allChannels.hi;
      return;
    }
    let lo = 0;
    let hi = 0;
    if (!Array.isArray(v)) {
      const c = this.channelOf(v);
      if (c < 32) lo = 1 << c;
      else hi = 1 << (c - 32);
    } else {
      if (v.length === 0) throw new NextbestError('CHANNEL_UNKNOWN', 'context.channel: an empty list names no channel; leave it out to decide for every channel');
      for (const name of v) {
        const c = this.channelOf(name);
        if (c < 32) lo |= 1 << c;
        else hi |= 1 << (c - 32);
      }
    }
    mask.lo = lo >>> 0;
    mask.hi = hi >>> 0;
  }

  private channelOf(name: unknown): number {
    const c = typeof name === 'string' ? this.channelIndex.get(name) : undefined;
    if (c === undefined) {
      checkInputString(this.context.limits, name, 'a channel');
      const s = typeof name === 'string' ? name.slice(0, 64) : describe(name);
      throw new NextbestError('CHANNEL_UNKNOWN', `unknown channel "${s}"${typeof name === 'string' ? near(name, this.tables.channels) : ''}; the channels are ${this.tables.channels.join(', ')}`, {
        channel: s,
      });
    }
    return c;
  }

  private actionOf(id: unknown): number {
    const a = typeof id === 'string' ? this.actionIndex.get(id) : undefined;
    if (a === undefined) {
      checkInputString(this.context.limits, id, 'an action id');
      const s = typeof id === 'string' ? id.slice(0, 64) : describe(id);
      const ids = this.tables.actions.map((x) => x.id);
      throw new NextbestError('ACTION_UNKNOWN', `unknown action "${s}"${typeof id === 'string' ? near(id, ids) : ''}; the bundle has ${ids.length} actions (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''})`, {
        action: s,
      });
    }
    return a;
  }

  private recordChannel(a: number, channel: unknown): number {
    const t = this.tables;
    if (t.channels.length === 0) {
      if (channel !== undefined && channel !== null) throw new NextbestError('CHANNEL_UNKNOWN', `this bundle has no channels; leave channel out (got ${describe(channel)})`);
      return 0;
    }
    if (channel === undefined || channel === null) {
      const offered = t.actions[a]!.channels;
      if (offered.length === 1) return offered[0]!;
      throw new NextbestError('ARGUMENT_INVALID', `record: channel is required: ${t.actions[a]!.id} is offered on ${offered.map((c) => t.channels[c]).join(', ')}`);
    }
    return this.channelOf(channel);
  }

  private readSelected(nOut: number): DecidedAction[] {
    const { i32, f64 } = this.wasm;
    const t = this.tables;
    const cands = this.placed.candidates;
    const out: DecidedAction[] = new Array(nOut);
    for (let k = 0; k < nOut; k++) {
      const rec = cands + i32[(this.outPtr >> 2) + k]! * CAND_SIZE;
      const r = rec >> 2;
      const d = rec >> 3;
      const a = t.actions[i32[r]!]!;
      const c = i32[r + 1]!;
      const entry: DecidedAction = {
        id: a.id,
        kind: a.kind,
        rank: k + 1,
        mandatory: a.mandatory,
        priority: f64[d + 7]!,
        propensity: f64[d + 3]!,
        value: f64[d + 4]!,
        context: f64[d + 5]!,
        lever: f64[d + 6]!,
      };
      if (a.adaptive >= 0) entry.modelPropensity = f64[d + 8]!;
      if (a.group >= 0) entry.group = t.groups[a.group]!.id;
      if (a.issue !== undefined) entry.issue = a.issue;
      if (t.channels.length > 0) entry.channel = t.channels[c]!;
      out[k] = entry;
    }
    return out;
  }

  /** The candidate records of the last call (explain mode: one per action x requested channel). */
  readRecords(): CandidateRecord[] {
    const { i32, f64 } = this.wasm;
    const n = i32[(this.placed.dt + DT_N_CANDIDATES) >> 2]!;
    const out: CandidateRecord[] = [];
    for (let i = 0; i < n; i++) {
      const rec = this.placed.candidates + i * CAND_SIZE;
      const r = rec >> 2;
      const d = rec >> 3;
      out.push({
        action: i32[r]!,
        channel: i32[r + 1]!,
        stage: i32[r + 2]!,
        reason: i32[r + 3]!,
        reason2: i32[r + 4]!,
        mandatory: (i32[r + 5]! & 1) === 1,
        propensity: f64[d + 3]!,
        value: f64[d + 4]!,
        context: f64[d + 5]!,
        lever: f64[d + 6]!,
        priority: f64[d + 7]!,
        modelPropensity: f64[d + 8]!,
        scoreBin: i32[r + 18]!,
      });
      const exposure = this.exposure(i32[r]!, i32[r + 1]!);
      if (exposure !== undefined) out[i]!.exposure = exposure;
    }
    return out;
  }

  /**
   * The exposure ramp's chance of admitting an adaptive action on a channel
   * now (assembly/score/explore.ts adaptiveAdmit, the same arithmetic on the
   * same counts), or undefined when no ramp holds it back.
   */
  private exposure(a: number, c: number): number | undefined {
    const action = this.tables.actions[a]!;
    if (action.adaptive < 0 || c < 0) return undefined;
    const { rampStart: start, rampPositives: full } = this.adaptiveTables[action.adaptive]!.exploration;
    const inst = this.placed.instances[a]![c]!;
    if (!(full > 0) || inst === 0) return undefined;
    const positives = this.wasm.f64[(inst + 32) >> 3]!;
    return positives >= full ? undefined : start + ((1.0 - start) * positives) / full;
  }

  /**
   * Logs the selected actions whose propensity is adaptive, with the
   * observation each was decided on (instance, score bin, the customer's
   * bins), so that record() can learn from their outcomes; returns the
   * decision's token, or undefined when nothing was logged (no adaptive
   * action selected, or no customerId).
   */
  private logOffers(customerId: string | undefined, now: number, nOut: number): number | undefined {
    if (customerId === undefined || this.tables.frame.adaptive.length === 0) return undefined;
    const i32 = this.wasm.i32;
    const t = this.tables;
    if (this.binsViews.length === 0 || this.binsViews[0]!.buffer !== this.wasm.u8.buffer) {
      this.binsViews = this.placed.adaptiveBins.map((b) => new Uint16Array(this.wasm.u8.buffer, b.ptr, b.n));
    }
    let token: number | undefined;
    for (let k = 0; k < nOut; k++) {
      const rec = this.placed.candidates + i32[(this.outPtr >> 2) + k]! * CAND_SIZE;
      const ai = i32[rec >> 2]!;
      const a = t.actions[ai]!;
      if (a.adaptive < 0) continue;
      const c = i32[(rec >> 2) + 1]!;
      const log = this.learning.log;
      if (token === undefined) token = log.begin(customerId, now, undefined);
      if (!adaptiveBinned(this.wasm, this.placed, a.adaptive)) continue; // cannot happen: a selected adaptive action was binned
      // the ids' log codes, looked up once per action and channel
      let actionCode = this.actionCodes[ai]!;
      if (actionCode === 0) actionCode = this.actionCodes[ai] = log.code(a.id);
      let channelCode = 0;
      if (t.channels.length) {
        channelCode = this.channelCodes[c]!;
        if (channelCode === 0) channelCode = this.channelCodes[c] = log.code(t.channels[c]!);
      }
      log.addCoded(token, actionCode, channelCode, this.adaptiveIndex[a.adaptive]!, this.placed.instances[ai]![c]!, i32[(rec >> 2) + 18]!, this.binsViews[a.adaptive]!);
    }
    return token;
  }

  /** Candidate indices of the last call's selection, in rank order. */
  readRanked(nOut: number): number[] {
    const i32 = this.wasm.i32;
    const base = this.outPtr >> 2;
    const out = new Array<number>(nOut);
    for (let k = 0; k < nOut; k++) out[k] = i32[base + k]!;
    return out;
  }

  /** Model outputs scored by the last call, by model id. */
  readScores(): Record<string, number[]> {
    const { u32, f64 } = this.wasm;
    const lo = u32[(this.placed.dt + DT_SCORED) >> 2]!;
    const hi = u32[((this.placed.dt + DT_SCORED) >> 2) + 1]!;
    const scores: Record<string, number[]> = {};
    this.tables.frame.models.forEach((m, i) => {
      const bit = i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1;
      if (!bit) return;
      const n = this.modelOutputs[i]!;
      scores[m.id] = Array.from(f64.subarray((this.framePtr >> 3) + m.slot, (this.framePtr >> 3) + m.slot + n));
    });
    return scores;
  }

  private explanation(now: number, nOut: number): DecisionExplanation {
    const mask = this.mask;
    const t = this.tables;
    const ranked = this.readRanked(nOut);
    const rankOf = new Map(ranked.map((c, k) => [c, k + 1]));
    const records = this.readRecords();
    const channels = t.channels.filter((_, c) => (c < 32 ? (mask.lo >>> c) & 1 : (mask.hi >>> (c - 32)) & 1));
    const candidates = records.map((r, i) => explainCandidate(t, r, r.stage === STAGE.selected ? rankOf.get(i) : undefined));
    const out: DecisionExplanation = { now, channels, candidates, scores: this.readScores() };
    const je = this.journeyExplainer;
    if (je) {
      // the journey values of the same state at the same now (the kernel's journeyValue, one more crossing, explain only)
      try {
        this.wasm.exports.journeyValues(this.journeysTable, this.statePtr, now, this.journeyValuesPtr);
      } catch (e) {
        throw wasmError(e);
      }
      const values = this.wasm.f64.subarray(this.journeyValuesPtr >> 3, (this.journeyValuesPtr >> 3) + je.valueCount);
      const facts = je.facts(values, now, this.matchesArg);
      records.forEach((r, i) => je.annotate(candidates[i]!, r, facts));
      out.journeys = facts;
    }
    return out;
  }
}
