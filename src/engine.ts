/**
 * Engine: one loaded bundle in one wasm instance.
 *
 *   const engine = await Engine.load('models/telco.nbb');
 *   engine.score('churn', { tenure_months: 12, plan: 'premium' });
 *
 * Load decodes the envelope, validates every section, then places the tables
 * in linear memory; after that, calls only read and write scratch buffers.
 */
import { readFile } from 'node:fs/promises';
import { NextbestError } from './errors.js';
import { decodeEnvelope, decodePayload, hex } from './bundle/codec.js';
import { parseTrustedKeys, verifyEnvelope } from './bundle/sign.js';
import type { BundleMeta, BundlePayload } from './bundle/format.js';
import { FeatureSchema, type EncodeOptions, type FeatureObject } from './runtime/features.js';
import { WasmInstance, type WasmVariant } from './runtime/wasm.js';
import { validateModels, type ModelTable } from './models/registry.js';
import { ModelHost } from './models/host.js';
import { explainScorecard, type ScorecardExplanation } from './models/scorecard-explain.js';
import { MemoryStore, type MemoryStoreOptions } from './state/memory.js';
import { SlabStore } from './state/slab.js';
import type { StateStore } from './state/store.js';
import { freshState, validateLayout, type StateLayout } from './state/layout.js';
import { validateJourneys } from './compile/journey/bundle.js';
import { journeyValueDefs } from './compile/journey/bindings.js';
import {
  JourneyRuntime,
  type AdvanceOptions,
  type AdvanceStateResult,
  type JourneyEvent,
  type JourneyMatch,
  type JourneyStats,
  type ObserveOptions,
  type ObserveStateOptions,
  type ObserveResult,
  type ObserveStateResult,
} from './runtime/journeys.js';
import { validateDecisions, type TriggerTable } from './decide/tables.js';
import { Decisions } from './decide/decider.js';
import { Triggers, type TriggerDecide, type TriggerPlan } from './decide/triggers.js';
import type { ActionInfo, ContactRecord, ContactRecordResult, DecideOptions, Decision, DecisionRequest } from './decide/types.js';
import { actionInfos } from './decide/explain.js';
import { Learning, type LearningOptions } from './adaptive/learning.js';
import type { AdaptiveTable } from './models/adaptive.js';

export interface EngineOptions {
  /** Which wasm build: 'release' (default) or 'debug' (assertions on). */
  wasm?: WasmVariant;
  /** How feature objects are encoded (unknown names, unknown categories). */
  encode?: EncodeOptions;
  /** Where per-customer state lives. Default: a SlabStore (states in the engine's wasm memory) with `memoryStore` options. */
  store?: StateStore;
  /** Options of the default store (size cap, TTL, clock). */
  memoryStore?: MemoryStoreOptions;
  /**
   * PEM Ed25519 public keys. When given, only bundles signed by one of them load
   * (the signature is checked before the payload is decoded).
   */
  trustedKeys?: string[];
  /** Adaptive learning: instance limit, exploration seed, decision log bounds. */
  learning?: LearningOptions;
}

/** What a host logs about the bundle it runs. */
export interface BundleInfo {
  name: string;
  version: string;
  created: string;
  generator: string;
  /** sha256 of the payload, hex: the bundle's identity. */
  sha256: string;
  /** Key id of the signature, when signed. */
  keyId?: string;
  /** True when the signature was verified against a trusted key. */
  verified: boolean;
}

/** Options of advanceAll and advanceAllIterator. */
export interface AdvanceAllOptions {
  /** As advance's, or a function giving it per customer id (e.g. to read each customer's features). */
  decide?: TriggerDecide | ((customerId: string) => TriggerDecide);
}

const ENGINE_OPTION_KEYS = new Set(['wasm', 'encode', 'store', 'memoryStore', 'trustedKeys', 'learning']);

export class Engine {
  readonly info: BundleInfo;
  readonly schema: FeatureSchema;
  readonly context: FeatureSchema;
  readonly store: StateStore;
  /** Adaptive models' learning state: observe, record, snapshot, merge, reset (src/adaptive/learning.ts). */
  readonly learning: Learning;
  /** @internal */ readonly wasm: WasmInstance;
  /** @internal */ readonly payload: BundlePayload;
  /** The per-customer state layout, or undefined when the bundle keeps no customer state. */
  readonly stateLayout: StateLayout | undefined;
  /** @internal The placed journeys (decisions read journey values through its table). */
  readonly journeys: JourneyRuntime | undefined;
  private readonly models = new Map<string, ModelHost>();
  private readonly encodeOptions: EncodeOptions | undefined;
  /** Decisions (src/decide/), when the bundle has actions. */
  private readonly decisions: Decisions | undefined;
  /** The bundle's triggers at run time (src/decide/triggers.ts), when it has any. */
  private readonly triggerRuntime: Triggers | undefined;

  private constructor(bytes: Uint8Array, opts: EngineOptions) {
    const envelope = decodeEnvelope(bytes);
    const verifiedKey = opts.trustedKeys ? verifyEnvelope(envelope, parseTrustedKeys(opts.trustedKeys)) : undefined;
    const payload = decodePayload(envelope);
    const meta = payload.meta as Partial<BundleMeta>;
    this.info = {
      name: String(meta.name ?? ''),
      version: String(meta.version ?? ''),
      created: String(meta.created ?? ''),
      generator: String(meta.generator ?? ''),
      sha256: hex(envelope.sha256),
      ...(verifiedKey ? { keyId: verifiedKey } : envelope.keyId ? { keyId: envelope.keyId } : {}),
      verified: verifiedKey !== undefined,
    };
    this.payload = payload;
    this.schema = FeatureSchema.fromBundle(payload.features);
    this.context = payload.context === undefined ? new FeatureSchema([]) : FeatureSchema.fromBundle(payload.context);
    const tables = validateModels(payload.models, this.schema.size);
    this.stateLayout = payload.state === undefined ? undefined : validateLayout(payload.state);
    const journeys = payload.journeys === undefined ? undefined : validateJourneys(payload.journeys, this.schema.size, payload.state); // journeys
    // decisions: validated here, placed below
    const decisionTables =
      payload.decisions === undefined
        ? undefined
        : validateDecisions(payload.decisions, {
            features: this.schema.size,
            contextFields: this.context.size,
            models: tables,
            state: this.stateLayout,
            journeyValues: journeys ? journeyValueDefs(journeys.set).length : 0,
            journeyIds: journeys ? journeys.set.journeys.map((j) => j.id) : [],
            contextDefs: this.context.defs,
            ...(this.context.indexOf('channel') >= 0 ? { channelDictionary: this.context.defs[this.context.indexOf('channel')]!.categories ?? [] } : {}),
          });
    // Everything is validated before anything is placed.
    this.wasm = WasmInstance.create(opts.wasm);
    for (const t of tables) this.models.set(t.id, new ModelHost(this.wasm, t, this.schema.size));
    this.journeys = journeys && new JourneyRuntime(this.wasm, journeys, this.schema, opts.encode); // journeys
    this.encodeOptions = opts.encode;
    // The default store keeps states in this instance's memory (src/state/slab.ts); a bundle without customer state gets a MemoryStore.
    this.store = opts.store ?? (this.stateLayout ? new SlabStore(this.wasm, this.stateLayout, opts.memoryStore) : new MemoryStore(opts.memoryStore));
    const adaptive = tables.filter((t): t is AdaptiveTable => t.kind === 'adaptive');
    this.learning = new Learning(this.wasm, adaptive.map((t) => ({ table: t, ptr: this.models.get(t.id)!.ptr })), this.schema, {
      ...opts.learning,
      encode: opts.encode,
    });
    if (payload.learning !== undefined) this.learning.loadBundleSection(payload.learning);
    // decisions: placed in the same instance, reading the placed models and the learning instances
    this.decisions =
      decisionTables &&
      new Decisions(
        this.wasm,
        decisionTables,
        new Map([...this.models].map(([id, h]) => [id, { table: h.table, ptr: h.ptr }])),
        this.schema,
        this.context,
        this.stateLayout!,
        this.learning,
        opts.encode,
        this.journeys && { table: this.journeys.table, set: this.journeys.set },
      );
    this.triggerRuntime = this.decisions && this.decisions.tables.triggers.length > 0 ? new Triggers(this.decisions, this.schema, opts.encode) : undefined;
  }

  /** Loads a bundle from a path or bytes. */
  static async load(bundle: string | Uint8Array, opts: EngineOptions = {}): Promise<Engine> {
    checkOptions(opts);
    const bytes = typeof bundle === 'string' ? await readBundleFile(bundle) : bundle;
    return new Engine(bytes, opts);
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
    const h = this.host(modelId);
    if (h.table.kind === 'adaptive') this.learning.checkScorable(modelId);
    return h.runOne(features, this.schema, out, true, this.encodeOptions);
  }

  /** Scores a batch of feature vectors (schema order, row-major) with one model. */
  scoreBatch(modelId: string, rows: Float32Array, n: number, out?: Float32Array): Float32Array {
    const h = this.host(modelId);
    if (h.table.kind === 'adaptive') this.learning.checkScorable(modelId);
    return h.run(rows, n, out, true);
  }

  /** Explains one customer's score by a scorecard model: bins, points and the top-k reason codes (default 4). */
  explain(modelId: string, features: FeatureObject | Float32Array, k?: number): ScorecardExplanation {
    return explainScorecard(this.host(modelId), this.schema, features, k, this.encodeOptions);
  }

  // ---- journeys (docs/journeys.md)

  /**
   * Observes a customer's event; the customer's state is read from and written
   * back to the store. Matches of journeys that triggers name request
   * decisions: listed on the match (`triggered`) and, unless `decide: false`,
   * made at the event's time on the updated state (also returned as `decisions`).
   */
  observe(customerId: string, event: JourneyEvent, opts?: ObserveOptions): ObserveResult {
    const plan = this.triggerPlan(opts?.decide);
    const r = this.journeyRuntime().observe(this.store, customerId, event, opts);
    if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
    const decisions = this.triggerRuntime!.apply(r.matches, event.time, plan, opts?.features, (req, o) => this.decide({ ...req, customerId }, o));
    return decisions.length > 0 ? { ...r, decisions } : r;
  }

  /** Observes an event on state bytes the caller keeps (undefined: a new customer); returns the new state. Triggers as in observe. */
  observeState(state: Uint8Array | undefined, event: JourneyEvent, opts?: ObserveStateOptions): ObserveStateResult {
    const plan = this.triggerPlan(opts?.decide);
    const r = this.journeyRuntime().observeState(state, event, opts);
    if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
    const decisions = this.triggerRuntime!.apply(r.matches, event.time, plan, opts?.features, (req, o) => this.decideState(r.state, req, o).decision);
    return decisions.length > 0 ? { ...r, decisions } : r;
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
    if (!this.journeys) return [];
    const plan = this.triggerPlan(opts?.decide);
    const matches = this.journeys.advance(this.store, customerId, now);
    if (plan !== undefined && matches.length > 0 && this.triggerRuntime!.fires(matches)) {
      this.triggerRuntime!.apply(matches, now, plan, undefined, (req, o) => this.decide({ ...req, customerId }, o));
    }
    return matches;
  }

  /** advance on state bytes the caller keeps. */
  advanceState(state: Uint8Array, now: number, opts?: AdvanceOptions): AdvanceStateResult {
    const plan = this.triggerPlan(opts?.decide);
    const r = this.journeyRuntime().advanceState(state, now);
    if (plan === undefined || r.matches.length === 0 || !this.triggerRuntime!.fires(r.matches)) return r;
    const decisions = this.triggerRuntime!.apply(r.matches, now, plan, undefined, (req, o) => this.decideState(r.state, req, o).decision);
    return decisions.length > 0 ? { ...r, decisions } : r;
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

  /** advanceAll as a stream, for big stores: yields each customer with matches as it is swept. */
  advanceAllIterator(now: number, opts?: AdvanceAllOptions): IterableIterator<{ customerId: string; matches: JourneyMatch[] }> {
    if (!this.journeys) return [][Symbol.iterator]();
    const decide = opts?.decide;
    const plan = typeof decide === 'function' ? undefined : this.triggerPlan(decide);
    const inner = this.journeys.advanceAllIterator(this.store, now);
    const triggers = this.triggerRuntime;
    if (triggers === undefined) return inner;
    const engine = this;
    return (function* () {
      for (const item of inner) {
        if (triggers.fires(item.matches)) {
          // The customer is already advanced: a refused per-customer option is reported on its requests, never thrown mid-sweep.
          let p: TriggerPlan | NextbestError;
          try {
            p = plan ?? triggers.plan((decide as (id: string) => TriggerDecide)(item.customerId));
          } catch (e) {
            if (!(e instanceof NextbestError)) throw e;
            p = e;
          }
          triggers.apply(item.matches, now, p, undefined, (req, o) => engine.decide({ ...req, customerId: item.customerId }, o));
        }
        yield item;
      }
    })();
  }

  /** Journey counters since the engine was created (a snapshot). */
  get journeyStats(): JourneyStats {
    return this.journeys
      ? { ...this.journeys.stats }
      : { events: 0, rejectedLate: 0, invalid: 0, matches: 0, advanceMatches: 0, partialMatchesDropped: 0, rebases: 0 };
  }

  /** Journey values as decisions see them at `now` (journey.<id>, .lastMatch, .count, aggregates) for a customer or state bytes. */
  journeyValues(customer: string | Uint8Array, now: number): Record<string, number | boolean> {
    const rt = this.journeyRuntime();
    return rt.valuesOf(typeof customer === 'string' ? (this.store.peek ? this.store.peek(customer) : this.store.get(customer)) : customer, now);
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
    const d = this.requireDecisions();
    const id = req?.customerId;
    if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
      throw new NextbestError('ARGUMENT_INVALID', `customerId must be a non-empty string, got ${JSON.stringify(id)?.slice(0, 64)}`);
    }
    return d.decide(id === undefined ? undefined : this.store.get(id), req, opts);
  }

  /**
   * The pure form of decide for callers who keep state themselves: the state
   * (undefined: a customer without history) in, the decision and the state
   * after it out (deciding does not change it: the same bytes, or fresh state).
   */
  decideState(state: Uint8Array | undefined, req: DecisionRequest, opts?: DecideOptions): { decision: Decision; state: Uint8Array } {
    const d = this.requireDecisions();
    const decision = d.decide(state, req, opts);
    return { decision, state: state ?? d.freshState() };
  }

  /**
   * Remembers a contact outcome (impression, accept, reject): in the
   * customer's contact history in the store, and, when the bundle has
   * adaptive models, in their learning (an accept or reject of an action the
   * customer's latest decision offered with an adaptive propensity).
   */
  record(rec: ContactRecord): ContactRecordResult {
    const d = this.requireDecisions();
    const id = rec?.customerId;
    if (typeof id !== 'string' || id.length === 0) {
      throw new NextbestError('ARGUMENT_INVALID', `record needs a customerId (a non-empty string), got ${JSON.stringify(id)?.slice(0, 64)}`);
    }
    const state = this.store.get(id) ?? freshState(d.layout);
    d.record(state, rec);
    this.store.set(id, state);
    // adaptive models learn from the decision log (src/adaptive/outcomes.ts)
    if (this.learning.modelIds.length === 0) return {};
    return { learning: this.learning.record(rec) };
  }

  /** The pure form of record: new state bytes with the contact added (the input is not changed). */
  recordState(state: Uint8Array | undefined, rec: Omit<ContactRecord, 'customerId'> & { customerId?: string }): Uint8Array {
    const d = this.requireDecisions();
    if (state !== undefined && !(state instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', 'customer state must be a Uint8Array');
    const out = state === undefined ? d.freshState() : state.slice();
    d.record(out, rec);
    return out;
  }

  private requireDecisions(): Decisions {
    if (!this.decisions) throw new NextbestError('DECISIONS_MISSING', `bundle ${this.info.name} has no actions: add an actions section to its spec to decide`);
    return this.decisions;
  }

  private host(id: string): ModelHost {
    const h = this.models.get(id);
    if (h === undefined) {
      throw new NextbestError('MODEL_UNKNOWN', `no model "${String(id).slice(0, 64)}" in bundle ${this.info.name}; it has: ${this.modelIds.join(', ') || 'none'}`);
    }
    return h;
  }
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

async function readBundleFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new NextbestError('ARGUMENT_INVALID', `cannot read bundle ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
