/**
 * Customer state across bundle versions (engine.swap, docs/operations.md
 * "What carries over").
 *
 * A state layout is cut into *parts*, each the bytes of one thing a bundle
 * keeps per customer: the journeys section header (base time, latest event,
 * counters), one block per journey pattern, one per windowed aggregate, one
 * contact-history tracker per policy (and action, for `each: action`
 * policies). A part has a key (what it is: `journey/connection_trouble`) and
 * a digest of everything that gives its bytes their meaning: its encoding
 * and the definition it was written under (steps, conditions' source, event
 * types and their dictionaries; a policy's kind, count, outcomes, channel
 * and scope). A section this module does not know is one part, digested by
 * its name, version and shape.
 *
 * Migrating state from layout A to layout B starts from B's fresh state and
 * copies every part of B whose key and digest A has, byte for byte; every
 * other part of B stays fresh (reset). Nothing is translated: a part either
 * means exactly what it meant, or it starts over.
 */
import { createHash } from 'node:crypto';
import { freshState, STATE_HEADER_SIZE, STATE_MAGIC, type StateLayout } from './layout.js';
import { computeLayout, SECTION_HEADER_BYTES, SECTION_NAME as JOURNEYS_SECTION, SECTION_VERSION as JOURNEYS_VERSION } from '../compile/journey/layout.js';
import type { EventTypeDef, JourneySet } from '../compile/journey/model.js';
import type { ValidProgram } from '../compile/expr/bytecode.js';
import { CONTACTS_SECTION, OUTCOMES, trackerBytes, type DecisionTables } from '../decide/tables.js';

/** One thing a customer's state keeps: where, how many bytes, and what they mean. */
export interface StatePart {
  /** `journeys/header`, `journey/<id>`, `aggregate/<id>`, `policy/<id>` or `policy/<id>/<action>`, `section/<name>`. */
  key: string;
  /** Absolute byte offset in the state. */
  offset: number;
  bytes: number;
  digest: string;
}

export interface StateShape {
  layout: StateLayout;
  parts: StatePart[];
}

/** What a migration from one layout to another keeps and resets, by part key. */
export interface MigrationPlan {
  from: number;
  to: number;
  /** (source offset, destination offset, length) triples. */
  copies: Int32Array;
  carried: string[];
  reset: string[];
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** A program by what it says (its source when the bundle kept it, else its code). */
function programKey(programs: readonly ValidProgram[], i: number): unknown {
  if (i < 0) return null;
  const p = programs[i]!;
  return p.source ? ['src', p.source, p.resultKind] : ['code', Array.from(p.code), Array.from(p.consts)];
}

function eventKey(e: EventTypeDef): unknown {
  return [e.name, e.attributes.map((a) => [a.name, a.type, a.categories ?? null, a.required === true])];
}

function journeyParts(set: JourneySet, base: number): StatePart[] {
  const l = computeLayout(set);
  const ev = (i: number) => eventKey(set.events[i]!);
  const prog = (i: number) => programKey(set.programs, i);
  const parts: StatePart[] = [{ key: 'journeys/header', offset: base, bytes: SECTION_HEADER_BYTES, digest: digest(['journeys', JOURNEYS_VERSION]) }];
  set.journeys.forEach((j, i) => {
    const jl = l.journeys[i]!;
    const meaning = {
      v: JOURNEYS_VERSION,
      steps: j.steps.map((s) => [ev(s.event), prog(s.where), s.min, s.max, s.optional, s.strict, s.consecutive, s.captures, s.name]),
      guards: j.guards.map((g) => g.map((x) => [ev(x.event), prog(x.where)])),
      absence: j.absence && [j.absence.windowMs, j.absence.guards.map((x) => [ev(x.event), prog(x.where)])],
      within: j.withinMs,
      skip: j.skip,
      refs: j.refs.map((r) => [r.step, r.field, r.capture]),
      layout: [jl.bytes, jl.slots, jl.runBytes, jl.posOffset, jl.steps.map((s) => [s.first, s.last, s.count, s.captures, s.captureKinds])],
    };
    parts.push({ key: `journey/${j.id}`, offset: base + jl.offset, bytes: jl.bytes, digest: digest(meaning) });
  });
  set.aggregates.forEach((a, i) => {
    const al = l.aggregates[i]!;
    const meaning = {
      v: JOURNEYS_VERSION,
      event: ev(a.event),
      where: prog(a.where),
      value: prog(a.value),
      window: [a.windowMs, a.buckets],
      functions: a.functions,
      layout: [al.bytes, al.bucketBytes, al.count, al.sum, al.min, al.max],
    };
    parts.push({ key: `aggregate/${a.id}`, offset: base + al.offset, bytes: al.bytes, digest: digest(meaning) });
  });
  return parts;
}

function contactParts(t: DecisionTables, base: number, version: number): StatePart[] {
  // the actions each tracker counts and blocks: from the actions' checks
  const counted = t.trackers.map(() => [] as string[]);
  for (const a of t.actions) for (const [, tr] of a.checks) counted[tr]!.push(a.id);
  return t.trackers.map((tr, i) => {
    const p = t.policies[tr.policy]!;
    const until = p.kind === 'suppress' && p.n >= 2; // "suppressed until" was computed from the window and duration
    const meaning = {
      v: version,
      kind: p.kind,
      n: p.n,
      outcomes: OUTCOMES.filter((_, o) => (p.outcomes >> o) & 1),
      channel: p.channel < 0 ? null : t.channels[p.channel],
      each: p.each,
      scope: p.scope,
      actions: [...counted[i]!].sort(),
      until: until ? [p.windowMs, p.forMs] : null,
    };
    const action = tr.action >= 0 ? `/${t.actions[tr.action]!.id}` : '';
    return { key: `policy/${p.id}${action}`, offset: base + tr.offset, bytes: trackerBytes(p), digest: digest(meaning) };
  });
}

/** The parts of a validated bundle's state layout. */
export function stateShape(layout: StateLayout, journeys: JourneySet | undefined, decisions: DecisionTables | undefined): StateShape {
  const parts: StatePart[] = [];
  for (const s of layout.sections) {
    if (s.name === JOURNEYS_SECTION && journeys) parts.push(...journeyParts(journeys, s.offset));
    else if (s.name === CONTACTS_SECTION && decisions) parts.push(...contactParts(decisions, s.offset, s.version));
    else parts.push({ key: `section/${s.name}`, offset: s.offset, bytes: s.size, digest: digest([s.name, s.version, s.shape, s.size]) });
  }
  return { layout, parts };
}

/** Which parts of `to` carry over from `from` (same key, digest and size), which start fresh. */
export function planMigration(from: StateShape, to: StateShape): MigrationPlan {
  const old = new Map(from.parts.map((p) => [p.key, p]));
  const copies: number[] = [];
  const carried: string[] = [];
  const reset: string[] = [];
  for (const p of to.parts) {
    const q = old.get(p.key);
    if (q !== undefined && q.digest === p.digest && q.bytes === p.bytes) {
      if (p.bytes > 0) copies.push(q.offset, p.offset, p.bytes);
      carried.push(p.key);
    } else {
      reset.push(p.key);
    }
  }
  return { from: from.layout.hash, to: to.layout.hash, copies: Int32Array.from(copies), carried, reset };
}

/** New state of `to`'s layout from state of the plan's source layout (checked by the caller). */
export function applyMigration(plan: MigrationPlan, to: StateLayout, state: Uint8Array, into?: Uint8Array): Uint8Array {
  const out = freshState(to, into);
  const c = plan.copies;
  for (let i = 0; i < c.length; i += 3) out.set(state.subarray(c[i]!, c[i]! + c[i + 2]!), c[i + 1]!);
  return out;
}

/** The most earlier layouts an engine remembers for migration. */
export const MAX_KNOWN_LAYOUTS = 64;

/**
 * The state layouts an engine has served, for migrating state written under
 * an earlier one (lazily, when a customer's state is next read): the current
 * shape, earlier shapes by layout hash (the newest MAX_KNOWN_LAYOUTS), and the
 * plans from each to the current one, made on first use.
 */
export class StateMigrator {
  private shape: StateShape | undefined;
  private readonly known = new Map<number, StateShape>();
  private readonly plans = new Map<number, MigrationPlan>();
  /** Current layout hash, little-endian bytes (a migration check is four compares). */
  private h0 = -1;
  private h1 = -1;
  private h2 = -1;
  private h3 = -1;
  /** States migrated since the engine was created. */
  migrated = 0;

  constructor(current: StateShape | undefined) {
    this.setCurrent(current);
  }

  get current(): StateShape | undefined {
    return this.shape;
  }

  /** A swap: the current shape becomes a known earlier one; plans are re-made against the new one. */
  setCurrent(next: StateShape | undefined): void {
    const prev = this.shape;
    if (prev !== undefined) {
      this.known.delete(prev.layout.hash);
      this.known.set(prev.layout.hash, prev);
      if (this.known.size > MAX_KNOWN_LAYOUTS) this.known.delete(this.known.keys().next().value!);
    }
    this.shape = next;
    this.plans.clear();
    if (next === undefined) {
      this.h0 = this.h1 = this.h2 = this.h3 = -1;
      return;
    }
    this.known.delete(next.layout.hash);
    const h = next.layout.hash >>> 0;
    this.h0 = h & 0xff;
    this.h1 = (h >>> 8) & 0xff;
    this.h2 = (h >>> 16) & 0xff;
    this.h3 = h >>> 24;
  }

  /**
   * Knows `shape` as an earlier layout without serving it (a pool worker's
   * engine learns the layout of the bundle the pool served before its own).
   */
  remember(shape: StateShape | undefined): void {
    if (shape === undefined || shape.layout.hash === this.shape?.layout.hash) return;
    this.known.delete(shape.layout.hash);
    this.known.set(shape.layout.hash, shape);
    this.plans.delete(shape.layout.hash);
    if (this.known.size > MAX_KNOWN_LAYOUTS) this.known.delete(this.known.keys().next().value!);
  }

  /** The plan from a known layout to the current one (undefined when the layout is not known). */
  planFrom(hash: number): MigrationPlan | undefined {
    const to = this.shape;
    if (to === undefined) return undefined;
    let plan = this.plans.get(hash);
    if (plan === undefined) {
      const from = this.known.get(hash);
      if (from === undefined) return undefined;
      plan = planMigration(from, to);
      this.plans.set(hash, plan);
    }
    return plan;
  }

  /**
   * State of the current layout for `state`, or undefined when it needs no
   * migration (it has the current layout, or one this engine never served:
   * the caller's check then says what is wrong with it).
   */
  migrate(state: Uint8Array, into?: Uint8Array): Uint8Array | undefined {
    if (
      this.shape === undefined ||
      !(state instanceof Uint8Array) ||
      state.length < STATE_HEADER_SIZE ||
      (state[4] === this.h0 && state[5] === this.h1 && state[6] === this.h2 && state[7] === this.h3)
    ) {
      return undefined;
    }
    const v = new DataView(state.buffer, state.byteOffset, state.byteLength);
    if (v.getUint32(0, true) !== STATE_MAGIC) return undefined;
    const hash = v.getUint32(4, true);
    const from = this.known.get(hash);
    if (from === undefined || from.layout.size !== state.length) return undefined;
    const out = applyMigration(this.planFrom(hash)!, this.shape.layout, state, into);
    this.migrated++;
    return out;
  }
}
