/**
 * The `journeys` section of a customer's state as plain data, and its byte
 * encoding (layout: src/compile/journey/layout.ts). The reference twin keeps
 * customers in this form and encodes after every event so that tests can
 * compare its bytes with the kernel's; tooling decodes states to show them.
 *
 * Times here are absolute epoch ms (null: none). A run keeps every step's
 * first and last time, count and captured values; the encoding stores only
 * what the layout keeps (a step that cannot rest stores nothing, a step taken
 * once stores one time), and decoding fills in the rest the same way the
 * kernel reads it.
 */
import { NextbestError } from '../errors.js';
import { BASE_UNIT_MS, GAP_BIT, JOURNEY_HEADER_BYTES, type CaptureKind, type SectionLayout } from '../compile/journey/layout.js';
import type { JourneySet } from '../compile/journey/model.js';

export interface StepState {
  first: number | null;
  last: number | null;
  count: number;
  /** float32 values of the step's captured attributes (NaN: missing or not reached). */
  captures: number[];
}

export interface RunState {
  /** 1..k: the step that took the run's latest event. */
  pos: number;
  /** An event was skipped since (breaks strict contiguity). */
  gap: boolean;
  steps: StepState[];
}

export interface JourneyState {
  lastMatch: number | null;
  count: number;
  /** Oldest first. */
  runs: RunState[];
}

export interface BucketState {
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface AggregateState {
  /** Newest bucket number (floor(t / width)), null when empty. */
  head: number | null;
  /** Buckets by number, only those in (head - buckets, head]. */
  buckets: Map<number, BucketState>;
}

export interface SectionState {
  /** Base time (ms, a multiple of 65536). */
  base: number;
  lastEvent: number | null;
  late: number;
  dropped: number;
  /**
   * No final-absence deadline of any run is earlier than this (ms): a lower
   * bound that lets events and advances before it skip the deadline scan;
   * null unknown (the next one scans), Infinity none.
   */
  nextDeadline: number | null;
  journeys: JourneyState[];
  aggregates: AggregateState[];
}

export function emptyStep(nCaptures: number): StepState {
  return { first: null, last: null, count: 0, captures: new Array<number>(nCaptures).fill(NaN) };
}

export function emptySection(set: Pick<JourneySet, 'journeys' | 'aggregates'>): SectionState {
  return {
    base: 0,
    lastEvent: null,
    late: 0,
    dropped: 0,
    nextDeadline: null,
    journeys: set.journeys.map(() => ({ lastMatch: null, count: 0, runs: [] })),
    aggregates: set.aggregates.map(() => ({ head: null, buckets: new Map() })),
  };
}

/** A captured value: float32, or a category code stored as code + 1 (0: missing). */
function writeCapture(v: DataView, at: number, kind: CaptureKind, x: number): void {
  if (kind === 'f32') v.setFloat32(at, x, true);
  else {
    const code = x === x ? x + 1 : 0;
    if (kind === 'u8') v.setUint8(at, code);
    else v.setUint16(at, code, true);
  }
}

function readCapture(v: DataView, at: number, kind: CaptureKind): number {
  if (kind === 'f32') return v.getFloat32(at, true);
  const x = kind === 'u8' ? v.getUint8(at) : v.getUint16(at, true);
  return x === 0 ? NaN : x - 1;
}

/** nextDeadline: no run waits for a final absence. */
export const NO_DEADLINE = 0xffffffff;

function enc(base: number, t: number | null): number {
  if (t === null) return 0;
  const v = t - base + 1;
  if (!(v >= 1 && v <= 0xffffffff) || !Number.isInteger(v)) {
    throw new NextbestError('STATE_INVALID', `time ${t} does not fit the section's clock (base ${base})`);
  }
  return v;
}

/** Writes the section at `offset` of `bytes` (every byte of the section is written). */
export function encodeSection(set: Pick<JourneySet, 'journeys' | 'aggregates'>, layout: SectionLayout, st: SectionState, bytes: Uint8Array, offset: number): void {
  bytes.fill(0, offset, offset + layout.size);
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, layout.size);
  if (st.lastEvent === null) return; // an empty section is all zero
  v.setUint32(0, st.base / BASE_UNIT_MS, true);
  v.setUint32(4, enc(st.base, st.lastEvent), true);
  v.setUint8(8, st.late);
  v.setUint8(9, st.dropped);
  v.setUint32(10, st.nextDeadline === null ? 0 : st.nextDeadline === Infinity ? NO_DEADLINE : enc(st.base, st.nextDeadline), true);
  set.journeys.forEach((j, ji) => {
    const jl = layout.journeys[ji]!;
    const js = st.journeys[ji]!;
    const b = jl.offset;
    v.setUint32(b, enc(st.base, js.lastMatch), true);
    v.setUint8(b + 4, js.count);
    if (js.runs.length > jl.slots) throw new NextbestError('STATE_INVALID', `journey ${j.id}: ${js.runs.length} runs, room for ${jl.slots}`);
    js.runs.forEach((r, i) => {
      const at = b + JOURNEY_HEADER_BYTES + i * jl.runBytes;
      if (jl.posOffset >= 0) v.setUint8(at + jl.posOffset, r.pos | (r.gap ? GAP_BIT : 0));
      r.steps.forEach((s, si) => {
        if (s.first === null) return;
        const sl = jl.steps[si]!;
        if (sl.first >= 0) v.setUint32(at + sl.first, enc(st.base, s.first), true);
        if (sl.last >= 0) v.setUint32(at + sl.last, enc(st.base, s.last), true);
        if (sl.count >= 0) v.setUint8(at + sl.count, s.count);
        sl.captures.forEach((o, c) => {
          if (o >= 0) writeCapture(v, at + o, sl.captureKinds[c]!, s.captures[c]!);
        });
      });
    });
  });
  set.aggregates.forEach((a, ai) => {
    const al = layout.aggregates[ai]!;
    const as = st.aggregates[ai]!;
    if (as.head === null) return;
    v.setUint32(al.offset, as.head - Math.floor(st.base / al.widthMs) + 1, true);
    for (const [n, bk] of as.buckets) {
      const at = al.offset + 4 + (((n % a.buckets) + a.buckets) % a.buckets) * al.bucketBytes;
      if (al.count >= 0) v.setUint16(at + al.count, bk.count, true);
      if (al.sum >= 0) v.setFloat32(at + al.sum, bk.sum, true);
      if (al.min >= 0) v.setFloat32(at + al.min, bk.min, true);
      if (al.max >= 0) v.setFloat32(at + al.max, bk.max, true);
    }
  });
}

/**
 * Reads the section at `offset` of `bytes` as the kernel reads it: runs are
 * the leading slots whose position is 1..k, a stored time 0 is none, a step
 * taken once has last = first and count 1.
 */
export function decodeSection(set: Pick<JourneySet, 'journeys' | 'aggregates'>, layout: SectionLayout, bytes: Uint8Array, offset: number): SectionState {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, layout.size);
  const st = emptySection(set);
  const lastV = v.getUint32(4, true);
  if (lastV === 0) return st;
  const base = v.getUint32(0, true) * BASE_UNIT_MS;
  const time = (x: number) => (x === 0 ? null : base + x - 1);
  st.base = base;
  st.lastEvent = time(lastV);
  st.late = v.getUint8(8);
  st.dropped = v.getUint8(9);
  const next = v.getUint32(10, true);
  st.nextDeadline = next === NO_DEADLINE ? Infinity : time(next);
  set.journeys.forEach((j, ji) => {
    const jl = layout.journeys[ji]!;
    const js = st.journeys[ji]!;
    const b = jl.offset;
    js.lastMatch = time(v.getUint32(b, true));
    js.count = v.getUint8(b + 4);
    const k = j.steps.length;
    for (let i = 0; i < jl.slots; i++) {
      const at = b + JOURNEY_HEADER_BYTES + i * jl.runBytes;
      const p = jl.posOffset >= 0 ? v.getUint8(at + jl.posOffset) & 0x7f : inferredPosition(jl, v, at);
      if (p < 1 || p > k) break;
      const steps = j.steps.map((s, si): StepState => {
        const sl = jl.steps[si]!;
        const first = sl.first >= 0 ? time(v.getUint32(at + sl.first, true)) : null;
        if (first === null) return emptyStep(s.captures.length);
        const last = sl.last >= 0 ? time(v.getUint32(at + sl.last, true)) : first;
        return {
          first,
          last,
          count: sl.count >= 0 ? v.getUint8(at + sl.count) : 1,
          captures: sl.captures.map((o, c) => (o >= 0 ? readCapture(v, at + o, sl.captureKinds[c]!) : NaN)),
        };
      });
      js.runs.push({ pos: p, gap: jl.posOffset >= 0 && (v.getUint8(at + jl.posOffset) & GAP_BIT) !== 0, steps });
    }
  });
  set.aggregates.forEach((a, ai) => {
    const al = layout.aggregates[ai]!;
    const as = st.aggregates[ai]!;
    const hv = v.getUint32(al.offset, true);
    if (hv === 0) return;
    const head = hv - 1 + Math.floor(base / al.widthMs);
    as.head = head;
    for (let n = head - a.buckets + 1; n <= head; n++) {
      const at = al.offset + 4 + (((n % a.buckets) + a.buckets) % a.buckets) * al.bucketBytes;
      const bk: BucketState = {
        count: al.count >= 0 ? v.getUint16(at + al.count, true) : 0,
        sum: al.sum >= 0 ? v.getFloat32(at + al.sum, true) : 0,
        min: al.min >= 0 ? v.getFloat32(at + al.min, true) : 0,
        max: al.max >= 0 ? v.getFloat32(at + al.max, true) : 0,
      };
      if (bk.count !== 0 || bk.sum !== 0 || bk.min !== 0 || bk.max !== 0) as.buckets.set(n, bk);
    }
  });
  return st;
}

/** The position of a run without a position byte: the last step whose first time is set (0: unused slot). */
function inferredPosition(jl: SectionLayout['journeys'][number], v: DataView, at: number): number {
  for (let s = jl.steps.length - 1; s >= 0; s--) {
    const f = jl.steps[s]!.first;
    if (f >= 0 && v.getUint32(at + f, true) !== 0) return s + 1;
  }
  return 0;
}
