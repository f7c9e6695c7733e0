/**
 * Journeys at run time: the validated journey set placed in wasm memory
 * (layout at the top of assembly/journey/tables.ts), event encoding, the
 * kernel calls, and matches decoded into plain objects.
 *
 * One observe: the event is checked and encoded into the frame (slot 0 its
 * time, slots 1.. its attributes), the customer's state bytes are copied into
 * the state scratch, `journeyObserve` runs once, the state is copied back and
 * the output region (matches) is decoded. Nothing is allocated in wasm.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import { checkInputString } from '../limits.js';
import { placePrograms } from '../compile/expr/bytecode.js';
import { AGG_FN_CODES, VALUE_KIND_CODES, journeyValueDefs, type JourneyValueDef } from '../compile/journey/bindings.js';
import type { ValidatedJourneys } from '../compile/journey/bundle.js';
import { BASE_UNIT_MS, OUT_HEADER_BYTES, type CaptureKind, type SectionLayout } from '../compile/journey/layout.js';
import { JOURNEY_LIMITS, interestingTypes, isPrunable, tracksGaps, type JourneySet } from '../compile/journey/model.js';
import { freshState, hasHeader, type StateLayout } from '../state/layout.js';
import type { StateStore } from '../state/store.js';
import { SlabStore } from '../state/slab.js';
import { MigratingStore } from '../state/migrating-store.js';
import type { EncodeOptions, FeatureObject, FeatureSchema } from './features.js';
import { wasmError, type WasmInstance } from './wasm.js';
import { eventTypeEncoder, type EventTypeEncoder } from './journey-events.js';
import type { TriggerDecide, TriggeredDecision, TriggerRequest } from '../decide/triggers.js';

export type { TriggeredDecision } from '../decide/triggers.js';

/** An event: its type, its epoch-millisecond time and its attributes, flat. */
export interface JourneyEvent {
  type: string;
  time: number;
  [attribute: string]: unknown;
}

export interface ObserveOptions {
  /** The customer's features, for conditions that read them (missing when not given), and for the decisions triggers request. */
  features?: FeatureObject | Float32Array;
  /** The decisions triggers request (docs/decisions.md, "Triggers"): true (default) makes them, false only lists them, or how. */
  decide?: TriggerDecide;
}

/** Options of advance, advanceState. */
export interface AdvanceOptions {
  /** The decisions triggers request: true (default; features missing unless given), false only lists them, or how. */
  decide?: TriggerDecide;
}

export interface ObserveStateOptions extends ObserveOptions {
  /**
   * Write the new state into this array (of the bundle's state size; it may be
   * the input state itself, to update it in place) instead of a new one.
   */
  into?: Uint8Array;
}

/** What one step of a pattern matched. */
export interface JourneyMatchStep {
  step: string;
  /** Event type of the step. */
  type: string;
  /** Events the step took: 0 for a skipped optional step. */
  count: number;
  /** Time of the step's first and last event (absent when count is 0). */
  firstTime?: number;
  lastTime?: number;
  /** Captured attributes of the step's last event (numbers keep float32 precision; null when missing). */
  attributes?: Record<string, number | string | null>;
}

export interface JourneyMatch {
  journey: string;
  /** When the journey completed: the completing event's time, or the deadline of a final absence. */
  time: number;
  /** One entry per step of the pattern, in order. */
  events: JourneyMatchStep[];
  /** The decisions the bundle's triggers request for this match (with each decision when the call made it). */
  triggered?: TriggerRequest[];
}

export interface ObserveResult {
  matches: JourneyMatch[];
  /** Set when the event was refused (and counted) instead of observed. */
  rejected?: 'late';
  /** Decisions the bundle's triggers requested for these matches (only when some did). */
  decisions?: TriggeredDecision[];
}

export interface ObserveStateResult extends ObserveResult {
  /** The customer's new state (a fresh array: the input is not modified). */
  state: Uint8Array;
}

export interface AdvanceStateResult {
  state: Uint8Array;
  matches: JourneyMatch[];
  /** Decisions the bundle's triggers requested for these matches (only when some did). */
  decisions?: TriggeredDecision[];
}

/** Counters since the engine was created. */
export interface JourneyStats {
  /** Events that reached the kernel (valid type, time and attributes). */
  events: number;
  /** Events refused because they were older than the customer's latest event minus the allowed lateness. */
  rejectedLate: number;
  /** Events refused with an error (unknown type, bad time, bad attribute). */
  invalid: number;
  /** Matches reported by observe (including absence deadlines passed by an event). */
  matches: number;
  /** Matches reported by advance / advanceAll. */
  advanceMatches: number;
  /** Partial matches dropped because a journey already held its maximum. */
  partialMatchesDropped: number;
  /** Times a customer's section was rebased (its 32-bit clock moved forward). */
  rebases: number;
}

const EMPTY: JourneyMatch[] = Object.freeze([]) as unknown as JourneyMatch[];
/** The result of an observe that matched nothing (most of them): shared, frozen, nothing allocated. */
const NO_MATCHES: ObserveResult = Object.freeze({ matches: EMPTY });

const JT_BYTES = 96;
const JR_BYTES = 80;
const SR_BYTES = 48;
const AR_BYTES = 48;
const JF = { noSkip: 1, absence: 2, gaps: 4, prune: 8 };
const SF = { optional: 1, strict: 2, consecutive: 4 };
const REF_CODES = { firstTime: 0, lastTime: 1, count: 2, capture: 3 } as const;
const CAPTURE_KIND_CODES: Record<CaptureKind, number> = { f32: 0, u8: 1, u16: 2 };

interface Placed {
  table: number;
  values: JourneyValueDef[];
}

/** Places the journey tables (programs included); returns the table pointer. */
export function placeJourneys(wasm: WasmInstance, v: ValidatedJourneys, numFeatures: number): Placed {
  const { set, layout } = v;
  const progs = placePrograms(wasm, { programs: set.programs, frameSlots: set.frameSlots, features: numFeatures });
  const prog = (i: number) => (i < 0 ? 0 : progs[i]!);
  const i32 = () => wasm.i32;
  const f64 = () => wasm.f64;
  const allocI32 = (values: number[]): number => {
    const p = wasm.alloc(Math.max(4, values.length * 4), 16);
    i32().set(values, p >> 2);
    return p;
  };

  const journeyPtrs = set.journeys.map((j, ji) => {
    const l = layout.journeys[ji]!;
    const k = j.steps.length;
    const steps = wasm.alloc(k * SR_BYTES, 16);
    const capturePtrs: number[][] = [];
    j.steps.forEach((s, si) => {
      const sl = l.steps[si]!;
      const attrs = set.events[s.event]!.attributes;
      const caps = allocI32(
        s.captures.flatMap((a, c) => [(1 + a) * 8, sl.captures[c]!, CAPTURE_KIND_CODES[sl.captureKinds[c]!], attrs[a]!.categories?.length ?? 0]),
      );
      capturePtrs.push(s.captures.map((_, c) => caps + c * 16));
      const flags = (s.optional ? SF.optional : 0) | (s.strict ? SF.strict : 0) | (s.consecutive ? SF.consecutive : 0);
      // SR fields, in order (assembly/journey/tables.ts)
      i32().set(
        [s.event, prog(s.where), s.min, s.max ?? 0, flags, sl.first, sl.last, sl.count, s.captures.length, caps, sl.outOffset, sl.outCaptures],
        (steps + si * SR_BYTES) >> 2,
      );
    });
    const lists = [...j.guards, j.absence ? j.absence.guards : []];
    const flat = lists.flat();
    const guardLists: number[] = [];
    let start = 0;
    for (const list of lists) {
      guardLists.push(start, list.length);
      start += list.length;
    }
    const listsPtr = allocI32(guardLists);
    const guardsPtr = allocI32(flat.flatMap((g) => [g.event, prog(g.where)]));
    const refsPtr = allocI32(j.refs.flatMap((r) => [r.slot * 8, r.step, REF_CODES[r.field], r.field === 'capture' ? capturePtrs[r.step]![r.capture]! : 0]));
    const p = wasm.alloc(JR_BYTES, 16);
    const flags = (j.skip === 'noSkip' ? JF.noSkip : 0) | (j.absence ? JF.absence : 0) | (tracksGaps(j) ? JF.gaps : 0) | (isPrunable(j) ? JF.prune : 0);
    // JR fields (assembly/journey/tables.ts): +0..+20 i32, +24..+40 f64, +48..+72 i32
    i32().set([k, l.slots, l.runBytes, l.offset, flags, ji], p >> 2);
    f64().set([j.withinMs ?? Infinity, j.absence?.windowMs ?? 0, j.activeForMs], (p + 24) >> 3);
    i32().set([steps, listsPtr, guardsPtr, j.refs.length, refsPtr, l.matchBytes, l.posOffset], (p + 48) >> 2);
    return p;
  });

  const aggPtrs = set.aggregates.map((a, ai) => {
    const l = layout.aggregates[ai]!;
    const p = wasm.alloc(AR_BYTES, 16);
    // AR fields (assembly/journey/tables.ts)
    i32().set([a.event, prog(a.where), prog(a.value), a.buckets, l.offset, l.bucketBytes, l.count, l.sum, l.min, l.max], p >> 2);
    f64()[(p + 40) >> 3] = l.widthMs;
    return p;
  });

  const nTypes = set.events.length;
  const typeIndex: number[] = [];
  const typeJourneys: number[] = [];
  const typeAggs: number[] = [];
  const typeValues: number[] = [];
  const interest = set.journeys.map((j) => interestingTypes(j, nTypes));
  // The frame slots each journey's conditions read (to fill only the aggregate values an event's journeys need).
  const reads = set.journeys.map((j) => {
    const progs = [...j.steps.map((s) => s.where), ...j.guards.flat().map((g) => g.where), ...(j.absence?.guards ?? []).map((g) => g.where)];
    return new Set(progs.filter((p) => p >= 0).flatMap((p) => set.programs[p]!.slotsRead));
  });
  for (let t = 0; t < nTypes; t++) {
    const js = set.journeys.map((_, i) => i).filter((i) => interest[i]!.has(t));
    const as = set.aggregates.map((_, i) => i).filter((i) => set.aggregates[i]!.event === t);
    const vs = set.aggValues.filter((v) => js.some((i) => reads[i]!.has(v.slot)));
    typeIndex.push(typeJourneys.length, js.length, typeAggs.length, as.length, typeValues.length / 3, vs.length);
    typeJourneys.push(...js.map((i) => journeyPtrs[i]!));
    typeAggs.push(...as.map((i) => aggPtrs[i]!));
    typeValues.push(...vs.flatMap((v) => [v.slot * 8, aggPtrs[v.aggregate]!, AGG_FN_CODES[v.fn]]));
  }
  const deadlines = set.journeys.map((j, i) => (j.absence ? journeyPtrs[i]! : -1)).filter((p) => p >= 0);
  const values = journeyValueDefs(set);
  const valueEntries = values.flatMap((vd) => [
    VALUE_KIND_CODES[vd.kind],
    vd.kind === 'aggregate' ? aggPtrs[vd.index]! : journeyPtrs[vd.index]!,
    vd.fn ? AGG_FN_CODES[vd.fn] : 0,
  ]);
  const fields = {
    typeIndex: allocI32(typeIndex),
    typeJourneys: allocI32(typeJourneys),
    typeAggs: allocI32(typeAggs),
    journeys: allocI32(journeyPtrs),
    aggs: allocI32(aggPtrs),
    deadlines: allocI32(deadlines),
    aggValues: allocI32(typeValues),
    values: allocI32(valueEntries),
  };
  const table = wasm.alloc(JT_BYTES, 16);
  // JT fields (assembly/journey/tables.ts): +0..+60 i32, +64 and +72 f64, +80 i32
  i32().set(
    [
      set.journeys.length,
      set.aggregates.length,
      nTypes,
      v.sectionOffset,
      layout.size,
      fields.typeIndex,
      fields.typeJourneys,
      fields.typeAggs,
      fields.journeys,
      fields.aggs,
      fields.deadlines,
      deadlines.length,
      fields.aggValues,
      typeValues.length / 3,
      fields.values,
      values.length,
    ],
    table >> 2,
  );
  f64().set([set.settings.allowedLatenessMs, layout.horizonMs], (table + 64) >> 3);
  i32()[(table + 80) >> 2] = layout.outBytes;
  return { table, values };
}

/** How to decode one journey's match records into JourneyMatch objects. */
interface DecodePlan {
  id: string;
  bytes: number;
  steps: { name: string; type: string; out: number; outCaptures: number; captures: { name: string; categories: readonly string[] | undefined }[] }[];
}

type RawFn<A extends unknown[]> = (...args: A) => number;

function raw<A extends unknown[]>(f: unknown): RawFn<A> {
  const o = (f as { original?: unknown }).original;
  return (typeof o === 'function' ? o : f) as RawFn<A>;
}

/**
 * A placed journey set with its scratch buffers. One per engine; calls are
 * synchronous and reuse the scratch.
 */
export class JourneyRuntime {
  readonly set: JourneySet;
  readonly layout: SectionLayout;
  readonly state: StateLayout;
  readonly sectionOffset: number;
  readonly values: JourneyValueDef[];
  readonly stats: JourneyStats = { events: 0, rejectedLate: 0, invalid: 0, matches: 0, advanceMatches: 0, partialMatchesDropped: 0, rebases: 0 };
  /** @internal */ readonly table: number;
  private readonly wasm: WasmInstance;
  private readonly schema: FeatureSchema;
  private readonly encode: EncodeOptions | undefined;
  private readonly types = new Map<string, EventTypeEncoder>();
  private readonly statePtr: number;
  private readonly framePtr: number;
  private readonly featuresPtr: number;
  private readonly outPtr: number;
  private readonly valuesPtr: number;
  private readonly fresh: Uint8Array;
  private stateView: Uint8Array;
  private readonly header: number[];
  private featuresSet = true;
  private readonly observeFn: RawFn<[number, number, number, number, number, number]>;
  private readonly advanceFn: RawFn<[number, number, number, number]>;
  private readonly valuesFn: RawFn<[number, number, number, number]>;

  constructor(wasm: WasmInstance, v: ValidatedJourneys, schema: FeatureSchema, encode?: EncodeOptions) {
    this.wasm = wasm;
    this.set = v.set;
    this.layout = v.layout;
    this.state = v.state;
    this.sectionOffset = v.sectionOffset;
    this.schema = schema;
    this.encode = encode;
    const placed = placeJourneys(wasm, v, schema.size);
    this.table = placed.table;
    this.values = placed.values;
    this.statePtr = wasm.alloc(v.state.size, 16);
    this.framePtr = wasm.alloc(Math.max(1, v.set.frameSlots) * 8, 16);
    this.featuresPtr = wasm.alloc(Math.max(1, schema.size) * 4, 16);
    this.outPtr = wasm.alloc(v.layout.outBytes, 16);
    this.valuesPtr = wasm.alloc(Math.max(1, this.values.length) * 8, 16);
    this.fresh = freshState(v.state);
    this.header = [...this.fresh.subarray(0, 8)];
    this.stateView = new Uint8Array(wasm.memory.buffer, this.statePtr, v.state.size);
    const countInvalid = () => void this.stats.invalid++;
    v.set.events.forEach((def, index) => this.types.set(def.name, eventTypeEncoder(index, def, encode, countInvalid, (str, what) => checkInputString(schema.limits, str, what))));
    const ex = wasm.exports as unknown as Record<string, unknown>;
    this.observeFn = raw(ex.journeyObserve);
    this.advanceFn = raw(ex.journeyAdvance);
    this.valuesFn = raw(ex.journeyValues);
  }

  /** Byte size of a customer's whole state (all sections). */
  get stateSize(): number {
    return this.state.size;
  }

  /** A fresh customer state (a new array). */
  freshState(): Uint8Array {
    return this.fresh.slice();
  }

  // ---- inputs

  // Sizes of byte arrays on the hot paths are read as `length`: on Node 20 the `byteLength` getter is a
  // call of about 30 ns, `length` an inlined load (the same number for a Uint8Array; 0 once detached).

  /** The state scratch in linear memory (re-made if memory grew: the old view is detached). */
  private scratch(): Uint8Array {
    if (this.stateView.length === 0) this.stateView = new Uint8Array(this.wasm.memory.buffer, this.statePtr, this.state.size);
    return this.stateView;
  }

  private checkState(s: unknown): Uint8Array {
    if (s instanceof Uint8Array && s.length === this.fresh.length && hasHeader(s, 0, this.header)) return s;
    if (!(s instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', `customer state must be a Uint8Array, got ${describe(s)}`);
    const f = this.fresh;
    if (s.byteLength !== f.byteLength) {
      throw new NextbestError('STATE_INVALID', `customer state is ${s.byteLength} bytes; this bundle's state is ${f.byteLength} bytes`);
    }
    for (let i = 0; i < 8; i++) {
      if (s[i] !== f[i]) {
        throw new NextbestError(
          'STATE_INVALID',
          i < 4 ? 'customer state has a wrong magic: not nextbest state' : 'customer state was written by a bundle with a different state layout',
        );
      }
    }
    return s;
  }

  private invalid(code: 'EVENT_TYPE' | 'EVENT_TIME' | 'EVENT_ATTRIBUTE' | 'ARGUMENT_INVALID', msg: string, details?: Record<string, unknown>): never {
    this.stats.invalid++;
    throw new NextbestError(code, msg, details);
  }

  /** Checks the event and writes time and attributes into the frame; returns the type index. */
  private encodeEvent(event: JourneyEvent): number {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      this.invalid('ARGUMENT_INVALID', `an event is an object { type, time, ...attributes }, got ${describe(event)}`);
    }
    const typeName = event.type;
    const enc = typeof typeName === 'string' ? this.types.get(typeName) : undefined;
    if (enc === undefined) {
      try {
        checkInputString(this.schema.limits, typeName, 'an event type');
      } catch (e) {
        this.stats.invalid++;
        throw e;
      }
      const known = [...this.types.keys()];
      this.invalid(
        'EVENT_TYPE',
        typeof typeName === 'string'
          ? `unknown event type "${typeName.slice(0, 100)}"; this bundle declares ${known.length ? known.slice(0, 20).join(', ') + (known.length > 20 ? ', ...' : '') : 'no event types'}`
          : `an event needs a string type, got ${describe(typeName)}`,
        { type: typeof typeName === 'string' ? typeName.slice(0, 100) : undefined },
      );
    }
    const time = event.time;
    if (typeof time !== 'number' || !Number.isInteger(time) || time < 0 || time > JOURNEY_LIMITS.maxTimeMs) {
      this.invalid(
        'EVENT_TIME',
        `event "${typeName}": time must be an integer number of epoch milliseconds in [0, 2^48), got ${describe(time)}`,
        { type: typeName },
      );
    }
    const f64 = this.wasm.f64;
    const base = this.framePtr >> 3;
    f64[base] = time;
    enc!.encode(event, f64, base);
    return enc!.index;
  }

  private loadFeatures(f: FeatureObject | Float32Array | undefined): void {
    const n = this.schema.size;
    const at = this.featuresPtr >> 2;
    if (f === undefined) {
      if (this.featuresSet) {
        this.wasm.f32.fill(NaN, at, at + n);
        this.featuresSet = false;
      }
      return;
    }
    this.featuresSet = true;
    if (f instanceof Float32Array) {
      if (f.length !== n) throw new NextbestError('ARGUMENT_INVALID', `features: expected ${n} values in schema order, got ${f.length}`);
      this.wasm.f32.set(f, at);
      return;
    }
    this.schema.encodeInto(f, this.wasm.f32, at, this.encode);
  }

  // ---- kernel calls

  private run(event: JourneyEvent, opts: ObserveOptions | undefined, state: Uint8Array): number {
    const type = this.encodeEvent(event);
    this.loadFeatures(opts?.features);
    this.scratch().set(state);
    let r: number;
    try {
      r = this.observeFn(this.table, this.statePtr, type, this.framePtr, this.featuresPtr, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    if (r === -1) this.stats.rejectedLate++;
    else this.stats.events++;
    return r;
  }

  private afterCall(advance: boolean): JourneyMatch[] {
    const i32 = this.wasm.i32;
    const o = this.outPtr >> 2;
    const n = i32[o]!;
    this.stats.partialMatchesDropped += i32[o + 1]!;
    if (i32[o + 2]! & 1) this.stats.rebases++;
    if (n === 0) return EMPTY;
    if (advance) this.stats.advanceMatches += n;
    else this.stats.matches += n;
    return this.decodeMatches(n);
  }

  /** Observes an event on state bytes the caller keeps; the input array is left as it was. */
  observeState(state: Uint8Array | undefined, event: JourneyEvent, opts?: ObserveStateOptions): ObserveStateResult {
    const s = state === undefined ? this.fresh : this.checkState(state);
    const into = opts?.into;
    if (into !== undefined && (!(into instanceof Uint8Array) || into.length !== s.length)) {
      throw new NextbestError('ARGUMENT_INVALID', `observeState: into must be a Uint8Array of ${s.byteLength} bytes (the state size), got ${describe(into)}`);
    }
    const r = this.run(event, opts, s);
    let out: Uint8Array;
    if (into === undefined) out = this.scratch().slice();
    else {
      into.set(this.scratch());
      out = into;
    }
    if (r === -1) return { state: out, matches: EMPTY, rejected: 'late' };
    return { state: out, matches: this.afterCall(false) };
  }

  /** Observes an event for a customer whose state lives in `store`. */
  observe(store: StateStore, customerId: string, event: JourneyEvent, opts?: ObserveOptions): ObserveResult {
    checkCustomerId(customerId);
    const slab = this.slabOf(store);
    if (slab !== undefined) {
      const r = this.observeSlot(slab, customerId, event, opts);
      if (r !== undefined) return r;
    }
    let s = store.get(customerId);
    if (s !== undefined) this.checkState(s);
    const r = this.run(event, opts, s ?? this.fresh);
    if (s === undefined) store.set(customerId, this.scratch().slice());
    else {
      s.set(this.scratch());
      if (store.live !== true) store.set(customerId, s);
    }
    if (r === -1) return { matches: EMPTY, rejected: 'late' };
    const matches = this.afterCall(false);
    return matches.length === 0 ? NO_MATCHES : { matches };
  }

  /** The slab store behind `store` (the engine wraps it for migrations) when its slots are in this instance's memory. */
  private slabOf(store: StateStore): SlabStore | undefined {
    const inner = store instanceof MigratingStore ? store.inner : store;
    return inner instanceof SlabStore && inner.wasm === this.wasm ? inner : undefined;
  }

  /** The slot's header is this bundle's (else the caller takes the generic path, which migrates or refuses it). */
  private slotIsOurs(p: number): boolean {
    return hasHeader(this.wasm.u8, p, this.header);
  }

  /**
   * observe on a slab store of this instance: the kernel runs on the
   * customer's slot in place (no copies). Undefined when the slot holds bytes
   * of another layout (put there by set): the generic path handles them.
   */
  private observeSlot(store: SlabStore, customerId: string, event: JourneyEvent, opts: ObserveOptions | undefined): ObserveResult | undefined {
    const type = this.encodeEvent(event); // before the slot: a refused event creates no customer
    this.loadFeatures(opts?.features);
    const p = store.slot(customerId, true);
    if (!this.slotIsOurs(p)) return undefined;
    let r: number;
    try {
      r = this.observeFn(this.table, p, type, this.framePtr, this.featuresPtr, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    if (r === -1) {
      this.stats.rejectedLate++;
      return { matches: EMPTY, rejected: 'late' };
    }
    this.stats.events++;
    const matches = this.afterCall(false);
    return matches.length === 0 ? NO_MATCHES : { matches };
  }

  /** STATE_INVALID unless the slot at p holds state of this bundle (its bytes may have come from store.set). */
  private checkSlot(p: number): number {
    const u8 = this.wasm.u8;
    if (!hasHeader(u8, p, this.header)) {
      this.checkState(u8.slice(p, p + this.state.size)); // throws with the reason
    }
    return p;
  }

  private advanceSlot(p: number, now: number): JourneyMatch[] {
    checkNow(now);
    try {
      this.advanceFn(this.table, this.checkSlot(p), now, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    return this.afterCall(true);
  }

  private advanceInto(state: Uint8Array, now: number): number {
    checkNow(now);
    this.scratch().set(state);
    try {
      return this.advanceFn(this.table, this.statePtr, now, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
  }

  /** Fires the absence deadlines at or before `now` on state bytes the caller keeps. */
  advanceState(state: Uint8Array, now: number): AdvanceStateResult {
    const s = this.checkState(state);
    this.advanceInto(s, now);
    const matches = this.afterCall(true);
    return { state: this.scratch().slice(), matches };
  }

  /** Fires a stored customer's deadlines; the state is written back only when something happened. */
  advance(store: StateStore, customerId: string, now: number): JourneyMatch[] {
    checkCustomerId(customerId);
    const slab = this.slabOf(store);
    if (slab !== undefined) {
      const p = slab.slot(customerId, false);
      if (p === 0) return EMPTY;
      if (this.slotIsOurs(p)) return this.advanceSlot(p, now);
    }
    const s = store.get(customerId);
    if (s === undefined) return EMPTY;
    return this.advanceStored(store, customerId, this.checkState(s), now);
  }

  private advanceStored(store: StateStore, customerId: string, s: Uint8Array, now: number): JourneyMatch[] {
    this.advanceInto(s, now);
    const matches = this.afterCall(true);
    const o = this.outPtr >> 2;
    if (matches.length > 0 || this.wasm.i32[o + 2]! & 1) {
      s.set(this.scratch());
      store.set(customerId, s); // also for a live store: a sweep reads with peek, which does not refresh recency
    }
    return matches;
  }

  /**
   * One customer of a sweep: read without refreshing recency when the store
   * can, skipped (no matches) when gone or not of this bundle's layout.
   */
  sweepOne(store: StateStore, customerId: string, now: number): JourneyMatch[] {
    const slab = this.slabOf(store);
    if (slab !== undefined) {
      const p = slab.peekSlot(customerId);
      if (p === 0) return EMPTY;
      if (this.slotIsOurs(p)) {
        const matches = this.advanceSlot(p, now);
        if (matches.length > 0 || this.wasm.i32[(this.outPtr >> 2) + 2]! & 1) slab.slot(customerId, false); // as a write by set would
        return matches;
      }
    }
    const s = typeof store.peek === 'function' ? store.peek(customerId) : store.get(customerId);
    if (s === undefined) return EMPTY;
    try {
      this.checkState(s);
    } catch {
      return EMPTY;
    }
    return this.advanceStored(store, customerId, s, now);
  }

  /** Every journey value (journey.<id>, .lastMatch, .count, aggregates) of a state at `now`, by name. */
  valuesOf(state: Uint8Array | undefined, now: number): Record<string, number | boolean> {
    const s = state === undefined ? this.fresh : this.checkState(state);
    if (typeof now !== 'number' || now !== now) throw new NextbestError('ARGUMENT_INVALID', `now must be a number of epoch milliseconds, got ${describe(now)}`);
    this.scratch().set(s);
    try {
      this.valuesFn(this.table, this.statePtr, now, this.valuesPtr);
    } catch (e) {
      throw wasmError(e);
    }
    const f64 = this.wasm.f64;
    const out: Record<string, number | boolean> = {};
    this.values.forEach((v, i) => {
      const x = f64[(this.valuesPtr >> 3) + i]!;
      out[v.name] = v.type.kind === 'bool' ? x === 1 : x;
    });
    return out;
  }

  /** The counters kept in a customer's state: events refused as late, partial matches dropped. */
  customerCounters(state: Uint8Array): { late: number; dropped: number; lastEventTime: number | null } {
    const s = this.checkState(state);
    const v = new DataView(s.buffer, s.byteOffset + this.sectionOffset, this.layout.size);
    const last = v.getUint32(4, true);
    return {
      late: v.getUint8(8),
      dropped: v.getUint8(9),
      lastEventTime: last === 0 ? null : v.getUint32(0, true) * BASE_UNIT_MS + last - 1,
    };
  }

  // ---- outputs

  /** The raw match records of the last call (journey index, time, per step first/last/count, captures), for tests. */
  rawMatches(): { journey: number; time: number; steps: { first: number; last: number; count: number; captures: number[] }[] }[] {
    const n = this.wasm.i32[this.outPtr >> 2]!;
    const f64 = this.wasm.f64;
    const out = [];
    let at = this.outPtr + OUT_HEADER_BYTES;
    for (let m = 0; m < n; m++) {
      const ji = this.wasm.i32[at >> 2]!;
      const j = this.set.journeys[ji]!;
      const l = this.layout.journeys[ji]!;
      out.push({
        journey: ji,
        time: f64[(at + 8) >> 3]!,
        steps: j.steps.map((s, si) => {
          const o = at + l.steps[si]!.outOffset;
          const oc = at + l.steps[si]!.outCaptures;
          return {
            first: f64[o >> 3]!,
            last: f64[(o + 8) >> 3]!,
            count: f64[(o + 16) >> 3]!,
            captures: s.captures.map((_, c) => f64[(oc >> 3) + c]!),
          };
        }),
      });
      at += l.matchBytes;
    }
    return out;
  }

  /** Per journey, what decoding one of its match records needs (made once, on the first match). */
  private decodePlans: (DecodePlan | undefined)[] = [];

  private decodePlan(ji: number): DecodePlan {
    const j = this.set.journeys[ji]!;
    const l = this.layout.journeys[ji]!;
    const plan: DecodePlan = {
      id: j.id,
      bytes: l.matchBytes,
      steps: j.steps.map((s, si) => {
        const ev = this.set.events[s.event]!;
        return {
          name: s.name,
          type: ev.name,
          out: l.steps[si]!.outOffset,
          outCaptures: l.steps[si]!.outCaptures,
          captures: s.captures.map((a) => ({ name: ev.attributes[a]!.name, categories: ev.attributes[a]!.categories })),
        };
      }),
    };
    this.decodePlans[ji] = plan;
    return plan;
  }

  private decodeMatches(n: number): JourneyMatch[] {
    const f64 = this.wasm.f64;
    const i32 = this.wasm.i32;
    const out: JourneyMatch[] = [];
    let at = this.outPtr + OUT_HEADER_BYTES;
    for (let m = 0; m < n; m++) {
      const ji = i32[at >> 2]!;
      const plan = this.decodePlans[ji] ?? this.decodePlan(ji);
      const events: JourneyMatchStep[] = [];
      for (const s of plan.steps) {
        const o = (at + s.out) >> 3;
        const count = f64[o + 2]!;
        const step: JourneyMatchStep = { step: s.name, type: s.type, count };
        if (count > 0) {
          step.firstTime = f64[o]!;
          step.lastTime = f64[o + 1]!;
          if (s.captures.length > 0) {
            const oc = (at + s.outCaptures) >> 3;
            const attrs: Record<string, number | string | null> = {};
            for (let c = 0; c < s.captures.length; c++) {
              const def = s.captures[c]!;
              const x = f64[oc + c]!;
              attrs[def.name] = x !== x ? null : def.categories ? (def.categories[x] ?? null) : x;
            }
            step.attributes = attrs;
          }
        }
        events.push(step);
      }
      out.push({ journey: plan.id, time: f64[(at + 8) >> 3]!, events });
      at += plan.bytes;
    }
    return out;
  }
}

function checkNow(now: unknown): void {
  if (typeof now !== 'number' || !(now >= 0 && now <= JOURNEY_LIMITS.maxTimeMs)) {
    throw new NextbestError('ARGUMENT_INVALID', `advance: now must be epoch milliseconds in [0, 2^48), got ${describe(now)}`);
  }
}

function checkCustomerId(id: unknown): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024) {
    throw new NextbestError('ARGUMENT_INVALID', `customerId must be a non-empty string of at most 1024 characters, got ${describe(id)}`);
  }
}

/** A one-line account of a match, for logs and explanations: "connection_trouble at 2024-11-23T10:31:00.000Z: change at 09:55, fails x3 10:02-10:31". */
export function describeMatch(m: JourneyMatch): string {
  const iso = (t: number) => new Date(t).toISOString();
  const hm = (t: number) => iso(t).slice(11, 16);
  const parts = m.events.map((e) => {
    if (e.count === 0) return `${e.step} skipped`;
    const attrs = e.attributes ? ` (${Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
    return e.count === 1 ? `${e.step} at ${hm(e.firstTime!)}${attrs}` : `${e.step} x${e.count} ${hm(e.firstTime!)}-${hm(e.lastTime!)}${attrs}`;
  });
  return `${m.journey} at ${iso(m.time)}: ${parts.join(', ')}`;
}
