/**
 * Journeys as data: the compiled description of event types, patterns and
 * windowed aggregates that the spec compiler produces, the bundle carries, the
 * loader validates, the kernel's tables are placed from, and the reference
 * twin interprets. Semantics: docs/journeys.md.
 *
 * Indices are 0-based: an event type is an index into `events`, a condition
 * is an index into `programs` (-1: none), a step is an index into a
 * journey's `steps`.
 */
import type { ValidProgram } from '../expr/bytecode.js';
import { LIMIT_CEILINGS } from '../../limits.js';

export type AttributeType = 'numeric' | 'categorical';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  /** Dictionary of a categorical attribute: value -> code is the index. */
  categories?: string[];
  /** When true, an event without this attribute is refused (EVENT_ATTRIBUTE); otherwise it is missing. */
  required?: boolean;
}

export interface EventTypeDef {
  name: string;
  attributes: AttributeDef[];
}

export interface StepDef {
  /** Name used in conditions (`steps.<name>.time`) and in matches. */
  name: string;
  event: number;
  /** Condition program (bool), or -1. */
  where: number;
  /** Quantifier {min,max}; max null is unbounded. min >= 1. */
  min: number;
  max: number | null;
  /** The step may be skipped entirely (0 events); otherwise it takes min..max events. */
  optional: boolean;
  /** Strict contiguity with the previous matched event (`next`); relaxed otherwise (`followedBy`). */
  strict: boolean;
  /** Strict contiguity between the step's own repetitions. */
  consecutive: boolean;
  /** Attribute indices (of the step's event type) kept from the step's last event. */
  captures: number[];
}

export interface GuardDef {
  event: number;
  where: number;
}

export type SkipPolicy = 'skipPastLastEvent' | 'noSkip';

export const REF_FIELDS = ['firstTime', 'lastTime', 'count', 'capture'] as const;
export type RefField = (typeof REF_FIELDS)[number];

/** A frame slot a journey's conditions read about an earlier (or the current) step. */
export interface RefDef {
  slot: number;
  step: number;
  field: RefField;
  /** Index into the step's captures (field 'capture'), else -1. */
  capture: number;
}

export interface JourneyDef {
  id: string;
  description?: string;
  steps: StepDef[];
  /** guards[i]: absences between step i and step i+1 (length steps.length - 1). */
  guards: GuardDef[][];
  /** Absence after the last step: the match completes when windowMs pass without a guard event. */
  absence: { guards: GuardDef[]; windowMs: number } | null;
  /** Every event of a match lies within this many ms of its first event; null only for single-event journeys. */
  withinMs: number | null;
  /** `journey.<id>` is true for this long after a match. */
  activeForMs: number;
  skip: SkipPolicy;
  maxPartialMatches: number;
  refs: RefDef[];
}

export const AGG_FUNCTIONS = ['count', 'sum', 'min', 'max', 'avg'] as const;
export type AggFn = (typeof AGG_FUNCTIONS)[number];

export interface AggregateDef {
  id: string;
  description?: string;
  event: number;
  /** Filter condition (bool) or -1. */
  where: number;
  /** Value program (number) or -1 (then only count is allowed). */
  value: number;
  windowMs: number;
  buckets: number;
  functions: AggFn[];
}

/** A frame slot filled with an aggregate's value at the event time before the journeys' conditions run. */
export interface AggValueDef {
  slot: number;
  aggregate: number;
  fn: AggFn;
}

export interface JourneySettings {
  maxPartialMatches: number;
  allowedLatenessMs: number;
}

/** Everything about journeys in one bundle, programs validated (at load) or freshly compiled. */
export interface JourneySet {
  settings: JourneySettings;
  events: EventTypeDef[];
  journeys: JourneyDef[];
  aggregates: AggregateDef[];
  aggValues: AggValueDef[];
  /** Frame size in f64 slots: 0 event.time, 1.. attributes, then aggregate values and step references. */
  frameSlots: number;
  programs: ValidProgram[];
}

/** Limits the compiler and the loader enforce (the kernel's encodings depend on several). */
export const JOURNEY_LIMITS = {
  eventTypes: LIMIT_CEILINGS.eventTypes,
  attributes: LIMIT_CEILINGS.eventAttributes,
  journeys: LIMIT_CEILINGS.journeyPatterns,
  aggregates: LIMIT_CEILINGS.aggregates,
  steps: LIMIT_CEILINGS.patternStates,
  guardsPerGap: 8,
  captures: 8,
  maxPartialMatches: LIMIT_CEILINGS.partialMatches,
  /** Counts are u8 in the state. */
  count: 255,
  buckets: 64,
  /** Every time a customer's state keeps lies within this of the latest one (32-bit ms offsets, see layout.ts). */
  horizonMs: 40 * 86_400_000,
  /** Event times are integers in [0, maxTimeMs]. */
  maxTimeMs: 2 ** 48 - 1,
} as const;

/** The state keeps at least this much history (ms) before it forgets old matches (2^31 ms, about 24.8 days). */
export const MIN_HORIZON_MS = 2 ** 31;

/** A journey that completes on its first event keeps no partial matches. */
export function isInstant(j: JourneyDef): boolean {
  return j.steps.length === 1 && j.steps[0]!.min === 1 && j.absence === null;
}

/** True when some step needs strict contiguity: the journey then watches every event type. */
export function tracksGaps(j: JourneyDef): boolean {
  return j.steps.some((s, i) => (i > 0 && s.strict) || (s.consecutive && s.max !== 1));
}

/** Partial matches in the same situation collapse to the newest (docs/journeys.md "Partial matches"). */
export function isPrunable(j: JourneyDef): boolean {
  return j.skip === 'skipPastLastEvent' && j.refs.length === 0;
}

/** Event type indices a journey reacts to (all of them when it tracks gaps). */
export function interestingTypes(j: JourneyDef, nTypes: number): Set<number> {
  if (tracksGaps(j)) return new Set(Array.from({ length: nTypes }, (_, i) => i));
  const s = new Set<number>();
  for (const st of j.steps) s.add(st.event);
  for (const g of j.guards.flat()) s.add(g.event);
  if (j.absence) for (const g of j.absence.guards) s.add(g.event);
  return s;
}

/** Names decisions (and conditions) use for an aggregate's values. */
export function aggregateValueName(a: AggregateDef, fn: AggFn): string {
  return `journey.${a.id}.${fn}`;
}
