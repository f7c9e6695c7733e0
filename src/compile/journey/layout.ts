/**
 * The `journeys` section of the per-customer state: byte layout derived from
 * the journey set at compile time (and recomputed at load, never trusted from
 * the bundle). Shared by the kernel's tables, the reference twin's codec and
 * `nextbest inspect`.
 *
 * Section (little-endian, byte-packed: wasm loads need no alignment):
 *   +0  u32 base        base time in units of 65536 ms (BASE_UNIT_MS)
 *   +4  u32 lastEvent   latest accepted event time (0: no event yet, the section is empty)
 *   +8  u8  late        events refused as late (saturating)
 *   +9  u8  dropped     partial matches dropped because a journey was full (saturating)
 *   +10 u32 nextDeadline no final-absence deadline of any run is earlier than this time (a lower bound:
 *                       events and advances before it skip the deadline scan); 0 unknown (scan),
 *                       0xffffffff none (no run waits for a final absence)
 *   +14 journey blocks, then aggregate blocks, in bundle order
 *
 * Times are u32: 0 means "none", v >= 1 means base + (v - 1) ms. When a time
 * would not fit, the section is rebased (docs/journeys.md "State").
 *
 * Journey block:
 *   +0  u32 lastMatch   (0: never, or forgotten beyond the horizon)
 *   +4  u8  count       matches so far (saturating at 255)
 *   +5  runs[slots]     partial matches, oldest first; unused slots are zero
 * Run (runBytes):
 *   +0  u8  position    1..k: the step that took the run's latest event; 0 unused; bit 7: an event was skipped since (gap).
 *                       Only for journeys that track gaps (strict contiguity, consecutive loops), and not
 *                       for a one-step one without a final absence. Without it the position is the last
 *                       step whose first time is set (0: the slot is unused).
 *   then, for each step that a run can rest at, in step order:
 *       u32 first time;
 *       u32 last time (a step that repeats);
 *       u8 count (a step a run can rest at with two or more events);
 *       per captured attribute: u8 / u16 code + 1 (a category whose dictionary has at most 255 / 65535
 *       values; 0 missing) or f32 (numbers, codes without a dictionary)
 * Aggregate block:
 *   +0  u32 head        newest bucket, relative to the base's bucket, plus 1 (0: empty)
 *   +4  buckets[B]      bucket n at (n mod B): u16 count, f32 sum, f32 min, f32 max (the fields its functions need)
 */
import { createHash } from 'node:crypto';
import { NextbestError } from '../../errors.js';
import {
  MIN_HORIZON_MS,
  JOURNEY_LIMITS,
  isInstant,
  isPrunable,
  tracksGaps,
  type AggFn,
  type AggregateDef,
  type AttributeDef,
  type EventTypeDef,
  type JourneyDef,
  type JourneySet,
} from './model.js';

export const SECTION_NAME = 'journeys';
/** Bumped whenever the encoding below changes. */
export const SECTION_VERSION = 3;
export const SECTION_HEADER_BYTES = 14;
export const JOURNEY_HEADER_BYTES = 5;
export const BASE_UNIT_MS = 65536;
export const TIME_NONE = 0;
export const MAX_TIME_VALUE = 0xffffffff;
export const GAP_BIT = 0x80;
/** Match record in the kernel's output: i32 journey, i32 pad, f64 time, then per step f64 first, last, count, then f64 per capture. */
export const MATCH_HEADER_BYTES = 16;
export const MATCH_STEP_BYTES = 24;
/** Output region header: i32 matches, i32 partial matches dropped by this call, i32 flags, i32 pad. */
export const OUT_HEADER_BYTES = 16;

export interface StepLayout {
  /** A run can stay at this step (its event did not complete the journey). */
  rests: boolean;
  /** Byte offsets within a run, -1 when not stored. */
  first: number;
  last: number;
  count: number;
  /** Per capture: byte offset within a run, -1 when not stored. */
  captures: number[];
  /** Per capture: how it is stored. */
  captureKinds: CaptureKind[];
  /** Offset of this step's first/last/count in a match record, and of its captures. */
  outOffset: number;
  outCaptures: number;
}

export type CaptureKind = 'u8' | 'u16' | 'f32';
export const CAPTURE_BYTES: Record<CaptureKind, number> = { u8: 1, u16: 2, f32: 4 };

/** How a captured attribute is stored: a small dictionary's code + 1 in one or two bytes, anything else as float32. */
export function captureKind(a: AttributeDef): CaptureKind {
  if (a.categories && a.categories.length <= 0xff) return 'u8';
  if (a.categories && a.categories.length <= 0xffff) return 'u16';
  return 'f32';
}

export interface JourneyLayout {
  /** Offset of the journey's block within the section. */
  offset: number;
  /** Offset of the position byte in a run, -1 when the journey has none (one step, no strict contiguity). */
  posOffset: number;
  slots: number;
  runBytes: number;
  steps: StepLayout[];
  bytes: number;
  /** Size of one match record of this journey in the kernel's output. */
  matchBytes: number;
}

export interface AggregateLayout {
  offset: number;
  widthMs: number;
  bucketBytes: number;
  /** Offsets within a bucket, -1 when not stored. */
  count: number;
  sum: number;
  min: number;
  max: number;
  bytes: number;
}

export interface SectionLayout {
  size: number;
  journeys: JourneyLayout[];
  aggregates: AggregateLayout[];
  /** History the state keeps: rebasing keeps times within this of the newest. */
  horizonMs: number;
  /** Bytes the kernel's output needs in the worst case of one call. */
  outBytes: number;
  /** Digest of the encoding, for state compatibility checks. */
  shape: string;
}

/** Distinct situations (position, count that matters, gap) a run of the journey can be in. */
export function situations(j: JourneyDef): number {
  const k = j.steps.length;
  let n = 0;
  j.steps.forEach((s, i) => {
    if (!restsAt(j, i)) return;
    const last = i === k - 1;
    if (last && j.absence === null) n += s.min - 1;
    else n += s.max === null ? s.min : s.max;
  });
  return tracksGaps(j) ? 2 * n : n;
}

/** Whether a run can stay at step i after taking an event there. */
export function restsAt(j: JourneyDef, i: number): boolean {
  const k = j.steps.length;
  return i < k - 1 || j.absence !== null || j.steps[k - 1]!.min > 1;
}

/** Run capacity of a journey: none for instant journeys, fewer than maxPartialMatches when its situations are fewer and it prunes. */
export function journeySlots(j: JourneyDef): number {
  if (isInstant(j)) return 0;
  return isPrunable(j) ? Math.min(j.maxPartialMatches, situations(j)) : j.maxPartialMatches;
}

function journeyLayout(j: JourneyDef, events: EventTypeDef[], offset: number): JourneyLayout {
  const k = j.steps.length;
  const selfRef = (i: number, field: string, capture = -1) =>
    j.refs.some((r) => r.step === i && r.field === field && (field !== 'capture' || r.capture === capture));
  // The position byte is kept only for the gap bit. Without it the position is the last step whose
  // first time is set (every step a run can rest at stores its first time; later steps are zero).
  // The gap bit matters when the journey tracks gaps, except with one step and no final absence:
  // there a gap kills the run at once.
  const posOffset = !tracksGaps(j) || (k === 1 && j.absence === null) ? -1 : 0;
  let at = posOffset + 1;
  let out = MATCH_HEADER_BYTES;
  const steps = j.steps.map((s, i): StepLayout => {
    const rests = restsAt(j, i);
    const repeats = s.max !== 1;
    const beforeEnd = i < k - 1 || j.absence !== null;
    // counts a run can rest at this step with: up to max before the end, below min at the end
    const restingCounts = beforeEnd ? (s.max ?? Infinity) : s.min - 1;
    const captureKinds = s.captures.map((a) => captureKind(events[s.event]!.attributes[a]!));
    const l: StepLayout = {
      rests,
      first: -1,
      last: -1,
      count: -1,
      captures: s.captures.map(() => -1),
      captureKinds,
      outOffset: out,
      outCaptures: out + MATCH_STEP_BYTES,
    };
    out += MATCH_STEP_BYTES + 8 * s.captures.length;
    if (!rests) return l;
    l.first = at;
    at += 4;
    if (repeats && (beforeEnd || selfRef(i, 'lastTime'))) {
      l.last = at;
      at += 4;
    }
    if (restingCounts >= 2) {
      l.count = at;
      at += 1;
    }
    s.captures.forEach((_, c) => {
      if (beforeEnd || selfRef(i, 'capture', c)) {
        l.captures[c] = at;
        at += CAPTURE_BYTES[captureKinds[c]!];
      }
    });
    return l;
  });
  const slots = journeySlots(j);
  const runBytes = slots === 0 ? 0 : at;
  return { offset, posOffset, slots, runBytes, steps, bytes: JOURNEY_HEADER_BYTES + slots * runBytes, matchBytes: out };
}

export function aggregateFields(fns: readonly AggFn[]): { count: boolean; sum: boolean; min: boolean; max: boolean } {
  const has = (f: AggFn) => fns.includes(f);
  return {
    count: has('count') || has('avg') || has('min') || has('max'),
    sum: has('sum') || has('avg'),
    min: has('min'),
    max: has('max'),
  };
}

function aggregateLayout(a: AggregateDef, offset: number): AggregateLayout {
  const f = aggregateFields(a.functions);
  let at = 0;
  const take = (yes: boolean, n: number) => {
    if (!yes) return -1;
    const o = at;
    at += n;
    return o;
  };
  const count = take(f.count, 2);
  const sum = take(f.sum, 4);
  const min = take(f.min, 4);
  const max = take(f.max, 4);
  return { offset, widthMs: a.windowMs / a.buckets, bucketBytes: at, count, sum, min, max, bytes: 4 + a.buckets * at };
}

/** The horizon a journey set needs (ms); throws SPEC-agnostic ARGUMENT_INVALID when over the limit (callers rethrow with context). */
export function requiredHorizon(set: Pick<JourneySet, 'journeys' | 'aggregates' | 'settings'>): number {
  const late = set.settings.allowedLatenessMs;
  let h = MIN_HORIZON_MS;
  for (const j of set.journeys) {
    h = Math.max(h, (j.withinMs ?? 0) + (j.absence?.windowMs ?? 0) + late, j.activeForMs);
  }
  for (const a of set.aggregates) h = Math.max(h, a.windowMs + a.windowMs / a.buckets + late);
  return h;
}

export function computeLayout(set: Pick<JourneySet, 'journeys' | 'aggregates' | 'settings' | 'events'>): SectionLayout {
  let offset = SECTION_HEADER_BYTES;
  let outBytes = OUT_HEADER_BYTES;
  const journeys = set.journeys.map((j) => {
    const l = journeyLayout(j, set.events, offset);
    offset += l.bytes;
    outBytes += (l.slots + 1) * l.matchBytes;
    return l;
  });
  const aggregates = set.aggregates.map((a) => {
    const l = aggregateLayout(a, offset);
    offset += l.bytes;
    return l;
  });
  const horizonMs = requiredHorizon(set);
  if (horizonMs > JOURNEY_LIMITS.horizonMs) {
    throw new NextbestError(
      'ARGUMENT_INVALID',
      `journeys need ${horizonMs} ms of history (windows plus allowed lateness), more than the ${JOURNEY_LIMITS.horizonMs} ms (40 days) a customer's state keeps`,
    );
  }
  const shape = createHash('sha256')
    .update(
      JSON.stringify({
        v: SECTION_VERSION,
        j: journeys.map((l) => [l.slots, l.runBytes, l.posOffset, l.steps.map((s) => [s.first, s.last, s.count, s.captures, s.captureKinds])]),
        a: aggregates.map((l) => [l.widthMs, l.bucketBytes, l.count, l.sum, l.min, l.max, l.bytes]),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return { size: offset, journeys, aggregates, horizonMs, outBytes, shape };
}

/** Bytes per journey / aggregate for reports (`nextbest inspect`). */
export function layoutReport(set: Pick<JourneySet, 'journeys' | 'aggregates'>, l: SectionLayout): { id: string; kind: 'pattern' | 'aggregate'; bytes: number; slots?: number }[] {
  return [
    ...set.journeys.map((j, i) => ({ id: j.id, kind: 'pattern' as const, bytes: l.journeys[i]!.bytes, slots: l.journeys[i]!.slots })),
    ...set.aggregates.map((a, i) => ({ id: a.id, kind: 'aggregate' as const, bytes: l.aggregates[i]!.bytes })),
  ];
}
