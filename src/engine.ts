/**
 * Engine: one loaded bundle in one wasm instance at a time.
 *
 *   const engine = await Engine.load('models/telco.nbb');
 *   engine.score('churn', { tenure_months: 12, plan: 'premium' });
 *   await engine.swap('models/telco-2.nbb');   // hot reload
 *
 * Load decodes the envelope, validates every section, then places the tables
 * in linear memory (src/runtime/loaded-bundle.ts); after that, calls only
 * read and write scratch buffers. A swap loads the next bundle the same way
 * beside the current one and switches between two calls (src/runtime/swap.ts).
 * Every public call turns a failure into a NextbestError, including a getter
 * or proxy of the caller's input that throws (src/runtime/input.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { NextbestError } from './errors.js';
import type { BundlePayload } from './bundle/format.js';
import type { FeatureObject, FeatureSchema, EncodeOptions } from './runtime/features.js';
import type { WasmInstance, WasmVariant } from './runtime/wasm.js';
import type { ModelTable } from './models/registry.js';
import type { ModelHost } from './models/host.js';
import { explainScorecard, type ScorecardExplanation } from './models/scorecard-explain.js';
import { MemoryStore, type MemoryStoreOptions } from './state/memory.js';
import { SlabStore } from './state/slab.js';
import type { StateStore } from './state/store.js';
import { freshState, type StateLayout } from './state/layout.js';
import { StateMigrator } from './state/migrate.js';
import { MigratingStore } from './state/migrating-store.js';
import type {
  AdvanceOptions,
  AdvanceStateResult,
  JourneyEvent,
  JourneyMatch,
  JourneyRuntime,
  JourneyStats,
  ObserveOptions,
  ObserveStateOptions,
  ObserveResult,
  ObserveStateResult,
} from './runtime/journeys.js';
import type { TriggerTable } from './decide/tables.js';
import type { Decisions } from './decide/decider.js';
import type { Triggers, TriggerDecide, TriggerPlan } from './decide/triggers.js';
import type { ActionInfo, ContactRecord, ContactRecordResult, DecideOptions, Decision, DecisionRequest } from './decide/types.js';
import { actionInfos } from './decide/explain.js';
import type { Learning, LearningOptions } from './adaptive/learning.js';
import { checkInputString, checkLimit, resolveLimits, type Limits } from './limits.js';
import { LoadedBundle, type BundleInfo } from './runtime/loaded-bundle.js';
import { swapBundle, type SwapEvent } from './runtime/swap.js';
import { inputError } from './runtime/input.js';

export type { BundleInfo } from './runtime/loaded-bundle.js';
export type { SwapEvent } from './runtime/swap.js';

export interface EngineOptions {
  /** Which wasm build: 'release' (default) or 'debug' (assertions on). */
  wasm?: WasmVariant;
  /** How feature objects are encoded (unknown names, unknown categories). */
  encode?: EncodeOptions;
  /** Where per-customer state lives. Default: a MemoryStore with `memoryStore` options. */
  store?: StateStore;
  /** Options of the default MemoryStore. */
  memoryStore?: MemoryStoreOptions;
  /**
   * PEM Ed25519 public keys. When given, only bundles signed by one of them load
   * (the signature is checked before the payload is decoded).
   */
  trustedKeys?: string[];
  /** Adaptive learning: instance limit, exploration seed, decision log bounds. */
  learning?: LearningOptions;
  /** Limits on bundles and inputs (src/limits.ts, docs/operations.md); defaults for what is left out. */
  limits?: Partial<Limits>;
}

/** Options of engine.swap: what may change with a new bundle (key rotation, new limits); the rest stays as loaded. */
export interface SwapOptions {
  /** Replaces the trusted keys (the new bundle is verified against these, and so are later swaps). */
  trustedKeys?: string[];
  /** Replaces the limits. */
  limits?: Partial<Limits>;
}

/** Options of advanceAll and advanceAllIterator. */
export interface AdvanceAllOptions {
  /** As advance's, or a function giving it per customer id (e.g. to read each customer's features). */
  decide?: TriggerDecide | ((customerId: string) => TriggerDecide);
}

const ENGINE_OPTION_KEYS = new Set(['wasm', 'encode', 'store', 'memoryStore', 'trustedKeys', 'learning', 'limits']);
const SWAP_OPTION_KEYS = new Set(['trustedKeys', 'limits']);

export interface Engine {
  on(event: 'swap', listener: (e: SwapEvent) => void): this;
  once(event: 'swap', listener: (e: SwapEvent) => void): this;
  off(event: 'swap', listener: (e: SwapEvent) => void): this;
}

/**
 * An engine serves one bundle at a time; `swap` replaces it atomically.
 * Every call runs from start to end on the bundle that was current when it
 * started (calls are synchronous, and a swap switches between calls).
 */
export class Engine extends EventEmitter {
  /** Where per-customer state lives (the host's store, or the default MemoryStore). */
  readonly store: StateStore;
  /** @internal the bundle being served; replaced by swap */
  private rt: LoadedBundle;
  private readonly opts: EngineOptions;
  /** @internal state written under earlier bundles, migrated when read (src/state/migrate.ts) */
  readonly migrator: StateMigrator;
  /** The store as the engine uses it: states of earlier layouts are migrated on first read. */
  private readonly states: MigratingStore;
  private swapChain: Promise<unknown> = Promise.resolve();
  /** See freshScratch. */
  private scratchState: Uint8Array | undefined = undefined;
  private swaps = 0;

  private constructor(rt: LoadedBundle, opts: EngineOptions) {
    super();
    this.rt = rt;
    this.opts = { ...opts };
    // memoryStore.wasm: the states in this bundle's wasm memory (src/state/slab.ts)
    this.store =
      opts.store ?? (opts.memoryStore?.wasm === true && rt.stateLayout ? new SlabStore(rt.wasm, rt.stateLayout, opts.memoryStore) : new MemoryStore(opts.memoryStore));
    this.migrator = new StateMigrator(rt.stateShape);
    this.states = new MigratingStore(this.store, this.migrator);
  }

  /** Loads a bundle from a path or bytes. */
  static async load(bundle: string | Uint8Array, opts: EngineOptions = {}): Promise<Engine> {
    checkOptions(opts);
    const limits = resolveLimits(opts.limits);
    const bytes = typeof bundle === 'string' ? await readBundleFile(bundle, limits) : bundle;
    return new Engine(new LoadedBundle(bytes, loadOptions(opts, limits)), opts);
  }

  /**
   * Replaces the bundle (a path or bytes) atomically: the new bundle is read,
   * verified (with the engine's trusted keys, or `opts.trustedKeys`),
   * validated and placed in a new wasm instance while the current one keeps
   * serving; then one reference switches, between two calls. Customer state
   * and learning state carry over where the new bundle keeps their meaning
   * (docs/operations.md "Hot reload"). A bundle that fails any check throws
   * its typed error and the current bundle keeps serving. Swaps run one at a
   * time, in call order. Emits `swap` with what changed.
   */
  swap(bundle: string | Uint8Array, opts: SwapOptions = {}): Promise<SwapEvent> {
    const run = this.swapChain.then(() => this.swapNow(bundle, opts));
    this.swapChain = run.catch(() => undefined);
    return run;
  }

  private async swapNow(bundle: string | Uint8Array, swapOpts: SwapOptions): Promise<SwapEvent> {
    checkSwapOptions(swapOpts);
    const t0 = performance.now();
    const opts: EngineOptions = { ...this.opts, ...swapOpts };
    const limits = resolveLimits(opts.limits);
    const bytes = typeof bundle === 'string' ? await readBundleFile(bundle, limits) : bundle;
    // Never inside a running call: the switch below happens in a task of its own.
    await Promise.resolve();
    const prev = this.rt;
    const next = new LoadedBundle(bytes, loadOptions(opts, limits));
    const event = swapBundle(prev, next, this.migrator, ++this.swaps);
    this.rt = next; // the switch: every call from here on runs on the new bundle
    if (swapOpts.trustedKeys !== undefined) this.opts.trustedKeys = swapOpts.trustedKeys;
    if (swapOpts.limits !== undefined) this.opts.limits = swapOpts.limits;
    event.durationMs = performance.now() - t0;
    try {
      this.emit('swap', event);
    } catch (e) {
      // a host's listener must not make a completed swap look failed
      process.emitWarning(`a swap listener threw: ${(e as Error)?.message ?? String(e)}`, 'NextbestWarning');
    }
    return event;
  }

  /** What the engine serves: name, version, sha256 and signature of the current bundle. */
  get info(): BundleInfo {
    return this.rt.info;
  }

  /** The current bundle's feature schema. */
  get schema(): FeatureSchema {
    return this.rt.schema;
  }

  /** The current bundle's request context fields. */
  get context(): FeatureSchema {
    return this.rt.context;
  }

  /** Adaptive models' learning state (src/adaptive/learning.ts): the current bundle's; read it again after a swap. */
  get learning(): Learning {
    return this.rt.learning;
  }

  /** The limits in force. */
  get limits(): Readonly<Limits> {
    return this.rt.limits;
  }

  /** @internal */
  get wasm(): WasmInstance {
    return this.rt.wasm;
  }

  /** @internal */
  get payload(): BundlePayload {
    return this.rt.payload;
  }

  /** The per-customer state layout, or undefined when the bundle keeps no customer state. */
  get stateLayout(): StateLayout | undefined {
    return this.rt.stateLayout;
  }

  /** @internal The placed journeys (decisions read journey values through its table). */
  get journeys(): JourneyRuntime | undefined {
    return this.rt.journeys;
  }

  private get models(): Map<string, ModelHost> {
    return this.rt.models;
  }

  private get encodeOptions(): EncodeOptions | undefined {
    return this.rt.encode;
  }

  /** Decisions (src/decide/), when the bundle has actions. */
  private get decisions(): Decisions | undefined {
    return this.rt.decisions;
  }

  /** The bundle's triggers at run time (src/decide/triggers.ts), when it has any. */
  private get triggerRuntime(): Triggers | undefined {
    return this.rt.triggers;
  }

  /**
   * State of the current layout for state bytes a caller keeps: the bytes
   * themselves, or, for state written under a bundle this engine served
   * before a swap, the migrated copy (docs/operations.md "What carries over").
   */
  migrateState(state: Uint8Array): Uint8Array {
    if (!(state instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', 'customer state must be a Uint8Array');
    return this.migrator.migrate(state) ?? state;
  }

  /** Ids of the bundle's models, in bundle order. */
  get modelIds(): string[] {
    return [...this.models.keys()];
  }

  /** The validated table of a model (for inspection). */
  modelTable(id: string): ModelTable {
    return this.host(id).table;
  }

  /** Scores one customer with one model: transformed outputs (a fresh Float32Array unless `out` is given). */
  score(modelId: string, features: FeatureObject | Float32Array, out?: Float32Array): Float32Array {
    try {
      const h = this.host(modelId);
      if (h.table.kind === 'adaptive') this.learning.checkScorable(modelId);
      return h.runOne(features, this.schema, out, true, this.encodeOptions);
    } catch (e) {
      throw inputError(e);
    }
  }

  /** Scores a batch of feature vectors (schema order, row-major) with one model. */
  scoreBatch(modelId: string, rows: Float32Array, n: number, out?: Float32Array): Float32Array {
    try {
      const h = this.host(modelId);
      if (h.table.kind === 'adaptive') this.learning.checkScorable(modelId);
      if (typeof n === 'number') checkLimit(this.rt.limits, 'batchSize', n, 'rows in one scoreBatch call');
      return h.run(rows, n, out, true);
    } catch (e) {
      throw inputError(e);
    }
  }

  /** Explains one customer's score by a scorecard model: bins, points and the top-k reason codes (default 4). */
  explain(modelId: string, features: FeatureObject | Float32Array, k?: number): ScorecardExplanation {
    try {
      return explainScorecard(this.host(modelId), this.schema, features, k, this.encodeOptions);
    } catch (e) {
      throw inputError(e);
    }
  }

  // ---- journeys (docs/journeys.md)

  /**
   * Observes a customer's event; the customer's state is read from and written
   * back to the store. Matches of journeys that triggers name request
   * decisions: listed on the match (`triggered`) and, unless `decide: false`,
   * made at the event's time on the updated state (also returned as `decisions`).
   */
  observe(customerId: string, event: JourneyEvent, opts?: ObserveOptions): ObserveResult {
    try {
      const rt = this.journeyRuntime();
      this.checkCustomerId(customerId);
      const plan = this.triggerPlan(opts?.decide);
      const r = rt.observe(this.states, customerId, event, opts);
      if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
      const decisions = this.triggerRuntime!.apply(r.matches, event.time, plan, opts?.features, (req, o) => this.decide({ ...req, customerId }, o));
      return decisions.length > 0 ? { ...r, decisions } : r;
    } catch (e) {
      throw inputError(e);
    }
  }

  /**
   * Observes an event on state bytes the caller keeps (undefined: a new
   * customer); returns the new state. State written under a bundle this
   * engine served before a swap is migrated first. Triggers as in observe.
   */
  observeState(state: Uint8Array | undefined, event: JourneyEvent, opts?: ObserveStateOptions): ObserveStateResult {
    try {
      const rt = this.journeyRuntime();
      const plan = this.triggerPlan(opts?.decide);
      const r = rt.observeState(state === undefined ? undefined : this.migrated(state), event, opts);
      if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
      const decisions = this.triggerRuntime!.apply(r.matches, event.time, plan, opts?.features, (req, o) => this.decideState(r.state, req, o).decision);
      return decisions.length > 0 ? { ...r, decisions } : r;
    } catch (e) {
      throw inputError(e);
    }
  }

  /** The checked `decide` option of a call, or undefined when the bundle has no triggers. */
  private triggerPlan(decide: TriggerDecide | undefined): TriggerPlan | undefined {
    return this.triggerRuntime === undefined ? undefined : this.triggerRuntime.plan(decide);
  }

  /**
   * Matches that time alone completes for a customer (absence deadlines at or
   * before `now`). Triggers as in observe, at `now`, with `decide.features`
   * (none by default: every feature missing).
   */
  advance(customerId: string, now: number, opts?: AdvanceOptions): JourneyMatch[] {
    try {
      if (!this.journeys) return [];
      this.checkCustomerId(customerId);
      const plan = this.triggerPlan(opts?.decide);
      const matches = this.journeys.advance(this.states, customerId, now);
      if (plan !== undefined && matches.length > 0 && this.triggerRuntime!.fires(matches)) {
        this.triggerRuntime!.apply(matches, now, plan, undefined, (req, o) => this.decide({ ...req, customerId }, o));
      }
      return matches;
    } catch (e) {
      throw inputError(e);
    }
  }

  /** advance on state bytes the caller keeps. */
  advanceState(state: Uint8Array, now: number, opts?: AdvanceOptions): AdvanceStateResult {
    try {
      const rt = this.journeyRuntime();
      const plan = this.triggerPlan(opts?.decide);
      const r = rt.advanceState(this.migrated(state), now);
      if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
      const decisions = this.triggerRuntime!.apply(r.matches, now, plan, undefined, (req, o) => this.decideState(r.state, req, o).decision);
      return decisions.length > 0 ? { ...r, decisions } : r;
    } catch (e) {
      throw inputError(e);
    }
  }

  /**
   * advance for every customer of the store: the customers with matches and
   * their matches (with their triggered decisions). `decide` may be a
   * function of the customer id, to give each customer's features.
   */
  advanceAll(now: number, opts?: AdvanceAllOptions): Map<string, JourneyMatch[]> {
    const m = new Map<string, JourneyMatch[]>();
    for (const { customerId, matches } of this.advanceAllIterator(now, opts)) m.set(customerId, matches);
    return m;
  }

  /**
   * advanceAll as a stream, for big stores: yields each customer with matches
   * as it is swept. Each customer is advanced (and its triggers decided) on
   * the bundle current at that moment: after a swap between two yields, the
   * rest of the sweep runs on the new bundle.
   */
  advanceAllIterator(now: number, opts?: AdvanceAllOptions): IterableIterator<{ customerId: string; matches: JourneyMatch[] }> {
    if (!this.journeys) return [][Symbol.iterator]();
    const decide = opts?.decide;
    const perCustomer = typeof decide === 'function';
    if (!perCustomer) this.triggerPlan(decide); // a bad option is refused before the sweep starts
    const ids = Array.from(this.states.keys());
    const engine = this;
    let planOf: LoadedBundle | undefined;
    let plan: TriggerPlan | undefined;
    return (function* () {
      for (const customerId of ids) {
        const rt = engine.rt;
        if (!rt.journeys) return;
        const matches = rt.journeys.sweepOne(engine.states, customerId, now);
        if (matches.length === 0) continue;
        const triggers = rt.triggers;
        if (triggers !== undefined && triggers.fires(matches)) {
          // The customer is already advanced: a refused per-customer option is reported on its requests, never thrown mid-sweep.
          let p: TriggerPlan | NextbestError;
          try {
            if (perCustomer) p = triggers.plan((decide as (id: string) => TriggerDecide)(customerId));
            else {
              if (planOf !== rt) [planOf, plan] = [rt, triggers.plan(decide as TriggerDecide | undefined)];
              p = plan!;
            }
          } catch (e) {
            if (!(e instanceof NextbestError)) throw e;
            p = e;
          }
          triggers.apply(matches, now, p, undefined, (req, o) => engine.decide({ ...req, customerId }, o));
        }
        yield { customerId, matches };
      }
    })();
  }

  /** Journey counters since the engine was created (a snapshot; carried over by swaps). */
  get journeyStats(): JourneyStats {
    return this.journeys
      ? { ...this.journeys.stats }
      : { events: 0, rejectedLate: 0, invalid: 0, matches: 0, advanceMatches: 0, partialMatchesDropped: 0, rebases: 0 };
  }

  /** Journey values as decisions see them at `now` (journey.<id>, .lastMatch, .count, aggregates) for a customer or state bytes. */
  journeyValues(customer: string | Uint8Array, now: number): Record<string, number | boolean> {
    try {
      const rt = this.journeyRuntime();
      if (typeof customer === 'string') {
        this.checkCustomerId(customer);
        return rt.valuesOf(this.states.peek(customer), now);
      }
      return rt.valuesOf(this.migrated(customer), now);
    } catch (e) {
      throw inputError(e);
    }
  }

  private journeyRuntime(): JourneyRuntime {
    if (!this.journeys) throw new NextbestError('EVENT_TYPE', `bundle ${this.info.name} declares no events or journeys`);
    return this.journeys;
  }

  // ---- decisions (src/decide/, docs/decisions.md)

  /** Ids of the bundle's actions, in spec order (empty without decisions). */
  get actionIds(): string[] {
    return this.decisions ? this.decisions.tables.actions.map((a) => a.id) : [];
  }

  /** The bundle's actions in spec order: kind, group, description, channels, rules (empty without decisions). */
  get actions(): readonly ActionInfo[] {
    return this.decisions ? actionInfos(this.decisions.tables) : [];
  }

  /** The bundle's triggers: a journey match requests a decision on a channel. */
  get triggers(): readonly TriggerTable[] {
    return this.decisions ? this.decisions.tables.triggers : [];
  }

  /**
   * The next best actions for a customer: every action through eligibility,
   * applicability, suitability, contact policies (the customer's history from
   * the store), propensity, priority, suppression, exclusion and top-k per
   * channel, in one kernel call. Does not change the customer's state.
   */
  decide(req: DecisionRequest, opts?: DecideOptions): Decision {
    try {
      const d = this.requireDecisions();
      const id = req?.customerId;
      if (id !== undefined) this.checkCustomerId(id);
      return d.decide(id === undefined ? undefined : this.states.get(id), req, opts);
    } catch (e) {
      throw inputError(e);
    }
  }

  /**
   * The pure form of decide for callers who keep state themselves: the state
   * (undefined: a customer without history) in, the decision and the state
   * after it out (deciding does not change it: the same bytes, or fresh state,
   * or the migrated state when the bytes were written under a bundle this
   * engine served before a swap).
   */
  decideState(state: Uint8Array | undefined, req: DecisionRequest, opts?: DecideOptions): { decision: Decision; state: Uint8Array } {
    try {
      const d = this.requireDecisions();
      const s = state === undefined ? undefined : this.migrated(state);
      const decision = d.decide(s, req, opts);
      return { decision, state: s ?? d.freshState() };
    } catch (e) {
      throw inputError(e);
    }
  }

  /**
   * Remembers a contact outcome (impression, accept, reject): in the
   * customer's contact history in the store, and, when the bundle has
   * adaptive models, in their learning (an accept or reject of an action the
   * customer's latest decision offered with an adaptive propensity).
   */
  record(rec: ContactRecord): ContactRecordResult {
    try {
      const d = this.requireDecisions();
      const id = rec?.customerId;
      if (typeof id !== 'string' || id.length === 0) {
        throw new NextbestError('ARGUMENT_INVALID', `record needs a customerId (a non-empty string), got ${describeId(id)}`);
      }
      this.checkCustomerId(id);
      const learning = this.learning;
      const mem = learning.hasModels && this.store instanceof MemoryStore ? this.store : undefined;
      // With adaptive models and a MemoryStore, one lookup per customer: the
      // decision log's slot keeps a handle on the customer's store entry.
      let slot: number | undefined;
      let stored: Uint8Array | undefined;
      if (mem !== undefined) {
        slot = learning.log.slotOf(id);
        const handle = slot >= 0 ? learning.log.storeHandle(slot) : undefined;
        const s = handle === undefined ? undefined : mem.getByHandle(handle, id);
        // a state of an earlier layout (after a swap) takes the migrating path below
        if (s !== undefined && this.migrator.migrate(s) === undefined) stored = s;
      }
      stored ??= this.states.get(id);
      const state = stored ?? freshState(d.layout, this.freshScratch(d.layout.size));
      d.record(state, rec);
      // a live store's get returned its own bytes, updated in place: set only stores a new customer
      if (stored === undefined || this.states.live !== true) this.states.set(id, state);
      if (mem !== undefined && slot! >= 0) learning.log.setStoreHandle(slot!, mem.handleOf(id));
      // adaptive models learn from the decision log (src/adaptive/outcomes.ts)
      if (!learning.hasModels) return {};
      return { learning: learning.record(rec, slot) };
    } catch (e) {
      throw inputError(e);
    }
  }

  /** The pure form of record: new state bytes with the contact added (the input is not changed). */
  recordState(state: Uint8Array | undefined, rec: Omit<ContactRecord, 'customerId'> & { customerId?: string }): Uint8Array {
    try {
      const d = this.requireDecisions();
      if (state !== undefined && !(state instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', 'customer state must be a Uint8Array');
      const out = state === undefined ? d.freshState() : (this.migrator.migrate(state) ?? state.slice());
      d.record(out, rec);
      return out;
    } catch (e) {
      throw inputError(e);
    }
  }

  /**
   * A new customer's first state, before the store keeps it: a reused buffer
   * when the store copies what it is given (MemoryStore, SlabStore; a
   * 208-byte typed array costs about a microsecond to allocate), else new bytes.
   */
  private freshScratch(size: number): Uint8Array | undefined {
    if (!(this.store instanceof MemoryStore || this.store instanceof SlabStore)) return undefined;
    if (this.scratchState === undefined || this.scratchState.length !== size) this.scratchState = new Uint8Array(size);
    return this.scratchState;
  }

  private requireDecisions(): Decisions {
    if (!this.decisions) throw new NextbestError('DECISIONS_MISSING', `bundle ${this.info.name} has no actions: add an actions section to its spec to decide`);
    return this.decisions;
  }

  private host(id: string): ModelHost {
    const h = typeof id === 'string' ? this.models.get(id) : undefined;
    if (h === undefined) {
      checkInputString(this.rt.limits, id, 'a model id');
      throw new NextbestError('MODEL_UNKNOWN', `no model ${describeId(id)} in bundle ${this.info.name}; it has: ${this.modelIds.join(', ') || 'none'}`);
    }
    return h;
  }

  /** State bytes of the current layout: migrated when written under an earlier bundle of this engine (a copy), else the bytes. */
  private migrated(state: Uint8Array): Uint8Array {
    return this.migrator.migrate(state) ?? state;
  }

  private checkCustomerId(id: unknown): void {
    if (typeof id !== 'string' || id.length === 0) {
      throw new NextbestError('ARGUMENT_INVALID', `customerId must be a non-empty string, got ${describeId(id)}`);
    }
    checkInputString(this.rt.limits, id, 'the customerId');
  }
}

/** A short, safe rendering of an id a caller passed (never calls the caller's toString). */
function describeId(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 64));
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function loadOptions(opts: EngineOptions, limits: Readonly<Limits>): ConstructorParameters<typeof LoadedBundle>[1] {
  return {
    limits,
    ...(opts.wasm !== undefined ? { wasm: opts.wasm } : {}),
    ...(opts.encode !== undefined ? { encode: opts.encode } : {}),
    ...(opts.trustedKeys !== undefined ? { trustedKeys: opts.trustedKeys } : {}),
    ...(opts.learning !== undefined ? { learning: opts.learning } : {}),
  };
}

function checkSwapOptions(opts: SwapOptions): void {
  if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'swap options must be an object { trustedKeys?, limits? }');
  for (const k of Object.keys(opts)) {
    if (!SWAP_OPTION_KEYS.has(k)) throw new NextbestError('OPTION_INVALID', `unknown swap option "${k.slice(0, 40)}"; known: ${[...SWAP_OPTION_KEYS].join(', ')} (the rest stays as the engine was loaded)`);
  }
  if (opts.limits !== undefined) resolveLimits(opts.limits);
}

function checkOptions(opts: EngineOptions): void {
  if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'Engine options must be an object');
  for (const k of Object.keys(opts)) {
    if (!ENGINE_OPTION_KEYS.has(k)) {
      throw new NextbestError('OPTION_INVALID', `unknown Engine option "${k}"; known: ${[...ENGINE_OPTION_KEYS].join(', ')}`);
    }
  }
  if (opts.wasm !== undefined && opts.wasm !== 'release' && opts.wasm !== 'debug') {
    throw new NextbestError('OPTION_INVALID', `option wasm must be "release" or "debug", got ${JSON.stringify(opts.wasm)}`);
  }
}

/** Reads a bundle file, refusing one over limits.bundleBytes before reading it. */
export async function readBundleFile(path: string, limits: Readonly<Limits>): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (st.isFile()) checkLimit(limits, 'bundleBytes', st.size, `the size in bytes of bundle ${path}`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof NextbestError) throw e;
    throw new NextbestError('ARGUMENT_INVALID', `cannot read bundle ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
