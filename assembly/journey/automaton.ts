// Journey automata: one customer's event advances the partial matches
// ("runs") of every journey that reacts to its type, fires absence deadlines
// that time has passed, and reports matches. Semantics: docs/journeys.md;
// the plain-TypeScript twin is src/reference/journeys.ts; table and state
// layouts: ./tables.ts and src/compile/journey/layout.ts.
//
// One observe, in order:
//   0. refuse a late event (older than the latest accepted one minus the allowed lateness);
//   1. fire the absence deadlines at or before the event time (match time = the deadline), unless
//      the section's nextDeadline says none is due (then recompute it);
//   2. rebase the section's times if the event time does not fit in 32 bits;
//   3. add the event to the aggregates of its type, then compute the aggregate values conditions read;
//   4. advance the runs of each journey that reacts to the type, then maybe start a new run
//      (and lower nextDeadline to the deadlines of its runs that now wait for a final absence);
//   5. count the matches and record each journey's latest match time.
// advance(now) does 1 and 5 only (and keeps the old nextDeadline when nothing fired: its bytes stay as they were).
//
// Trust: tables were validated at load (indices, programs, offsets, counts).
// State bytes are input: run positions outside 1..k end a journey's run list, a
// nextDeadline of any value only changes when deadlines are scanned (it is trusted as a bound),
// counts and times of any value only change which branch is taken, every loop
// is bounded by table sizes, and every address is a table offset.
import { evalProgram } from "../decide/rules";
import {
  JT_AGGS, JT_AGG_VALUES, JT_DEADLINES, JT_HORIZON, JT_JOURNEYS, JT_LATENESS, JT_N_AGGS,
  JT_N_DEADLINES, JT_N_JOURNEYS, JT_N_TYPES, JT_OUT_BYTES, JT_SECTION, JT_SECTION_SIZE, JT_TYPE_AGGS,
  JT_TYPE_INDEX, JT_TYPE_JOURNEYS,
  JR_ABSENCE, JR_BLOCK, JR_FLAGS, JR_GUARDS, JR_GUARD_LISTS, JR_INDEX, JR_K, JR_MATCH_BYTES, JR_N_REFS,
  JR_POS, JR_REFS, JR_RUN_BYTES, JR_SLOTS, JR_STEPS, JR_WITHIN,
  JF_ABSENCE, JF_GAPS, JF_NO_SKIP, JF_PRUNE,
  SR_CAPS, SR_COUNT, SR_FIRST, SR_FLAGS, SR_LAST, SR_MAX, SR_MIN, SR_N_CAPS, SR_OUT, SR_OUT_CAPS, SR_PROG,
  SR_SIZE, SR_TYPE, SF_CONSECUTIVE, SF_OPTIONAL, SF_STRICT,
  REF_CAPTURE, REF_COUNT, REF_FIRST, CAP_F32, CAP_SIZE, CAP_U8,
  SEC_DROPPED, SEC_LAST_EVENT, SEC_LATE, SEC_NEXT_DEADLINE, DEADLINE_MAX, DEADLINE_NONE, JB_COUNT, JB_LAST_MATCH, JB_RUNS, GAP_BIT,
  BASE_UNIT, MAX_TIME, MAX_V, TYPE_INDEX_SIZE, OUT_COUNT, OUT_DROPPED, OUT_FLAGS, OUT_FLAG_REBASED, OUT_HEADER,
  baseOf, decodeTime, encodeTime,
} from "./tables";
import { aggregateAdd, aggregateRebase, aggregateValue } from "./windows";

export const REJECTED_LATE: i32 = -1;
export const IGNORED: i32 = -2;

const KEPT: i32 = 0;
const KILLED: i32 = 1;
const COMPLETED: i32 = 2;

// Output cursor of the current call.
let outStart: usize = 0;
let outAt: usize = 0;
let outEnd: usize = 0;
let outMatches: i32 = 0;
let outDropped: i32 = 0;
let outFlags: i32 = 0;
// Count of the step that took the latest event (a step may keep no count byte: see the layout).
let takenCount: i32 = 0;

// ---- small readers

// @ts-ignore: decorator
@inline function stepAt(j: usize, s: i32): usize {
  return <usize>load<i32>(j, JR_STEPS) + <usize>s * SR_SIZE;
}

// @ts-ignore: decorator
@inline function runAt(block: usize, runBytes: i32, i: i32): usize {
  return block + JB_RUNS + <usize>(i * runBytes);
}

// @ts-ignore: decorator
@inline function truthy(x: f64): bool {
  return x > 0 || x < 0;
}

/** The stored u32 time at a run offset (0 when the field is not stored). */
// @ts-ignore: decorator
@inline function timeField(run: usize, off: i32): u32 {
  return off >= 0 ? load<u32>(run + <usize>off) : 0;
}

/**
 * The run's position: the step (1..k) that took its latest event, 0 for an
 * unused slot. A journey without a position byte (one that tracks no gaps) is
 * at the last step whose first time is set: every step a run can rest at
 * stores its first time, and steps after the position are zero.
 */
function posOf(j: usize, run: usize): i32 {
  const o = load<i32>(j, JR_POS);
  if (o >= 0) return <i32>(load<u8>(run + <usize>o) & 0x7f);
  for (let s = load<i32>(j, JR_K) - 1; s >= 0; s--) {
    if (timeField(run, load<i32>(stepAt(j, s), SR_FIRST)) != 0) return s + 1;
  }
  return 0;
}

/** The run skipped an event since its latest one (only journeys with a position byte track this). */
function gapOf(j: usize, run: usize): bool {
  const o = load<i32>(j, JR_POS);
  return o >= 0 && (<u32>load<u8>(run + <usize>o) & GAP_BIT) != 0;
}

function setPos(j: usize, run: usize, pos: i32, gap: bool): void {
  const o = load<i32>(j, JR_POS);
  if (o >= 0) store<u8>(run + <usize>o, <u8>(pos | (gap ? GAP_BIT : 0)));
}

/** A captured value as a number: float32, or a code stored as code + 1 (0: missing). */
function captureAt(cap: usize, run: usize): f64 {
  const off = load<i32>(cap, 4);
  if (off < 0) return NaN;
  const kind = load<i32>(cap, 8);
  if (kind == CAP_F32) return <f64>load<f32>(run + <usize>off);
  const x = kind == CAP_U8 ? <u32>load<u8>(run + <usize>off) : <u32>load<u16>(run + <usize>off);
  return x == 0 ? NaN : <f64>(x - 1);
}

function storeCapture(cap: usize, run: usize, v: f64): void {
  const off = load<i32>(cap, 4);
  if (off < 0) return;
  const kind = load<i32>(cap, 8);
  if (kind == CAP_F32) {
    store<f32>(run + <usize>off, <f32>v);
    return;
  }
  // a category code in its dictionary, else missing
  const code: u32 = v >= 0 && v < <f64>load<i32>(cap, 12) && v == Math.floor(v) ? <u32>v + 1 : 0;
  if (kind == CAP_U8) store<u8>(run + <usize>off, <u8>code);
  else store<u16>(run + <usize>off, <u16>code);
}

/** Events step s has taken in this run (a step without a count field took one once reached). */
function countOf(step: usize, run: usize): i32 {
  const off = load<i32>(step, SR_COUNT);
  if (off >= 0) return <i32>load<u8>(run + <usize>off);
  return timeField(run, load<i32>(step, SR_FIRST)) != 0 ? 1 : 0;
}

function startOf(j: usize, run: usize, base: f64): f64 {
  return decodeTime(base, timeField(run, load<i32>(stepAt(j, 0), SR_FIRST)));
}

function lastTimeOf(step: usize, run: usize, base: f64): f64 {
  const last = timeField(run, load<i32>(step, SR_LAST));
  return decodeTime(base, last != 0 ? last : timeField(run, load<i32>(step, SR_FIRST)));
}

/** At the last step, past its minimum, waiting for the final absence to last. */
function inAbsence(j: usize, run: usize, pos: i32, k: i32): bool {
  if (pos != k || (load<i32>(j, JR_FLAGS) & JF_ABSENCE) == 0) return false;
  const step = stepAt(j, k - 1);
  return countOf(step, run) >= load<i32>(step, SR_MIN);
}

// ---- run lists

/** Number of runs: the leading slots with a position in 1..k. */
function countRuns(j: usize, block: usize, k: i32, slots: i32, runBytes: i32): i32 {
  let n = 0;
  while (n < slots) {
    const p = posOf(j, runAt(block, runBytes, n));
    if (p < 1 || p > k) break;
    n++;
  }
  return n;
}

/** countRuns, and the slots after the runs are cleared (whatever bytes a state brought). */
function liveRuns(j: usize, block: usize, k: i32, slots: i32, runBytes: i32): i32 {
  const n = countRuns(j, block, k, slots, runBytes);
  if (n < slots) memory.fill(runAt(block, runBytes, n), 0, <usize>((slots - n) * runBytes));
  return n;
}

function removeRun(block: usize, runBytes: i32, i: i32, n: i32): void {
  const at = runAt(block, runBytes, i);
  const rest = <usize>((n - 1 - i) * runBytes);
  if (rest > 0) memory.copy(at, at + <usize>runBytes, rest);
  memory.fill(runAt(block, runBytes, n - 1), 0, <usize>runBytes);
}

// ---- conditions

// @ts-ignore: decorator
@inline function holds(prog: i32, frame: usize, features: usize): bool {
  return prog == 0 || truthy(evalProgram(<usize>prog, frame, features));
}

/** Writes the values the journey's conditions read about steps (steps.<name>.<field>) from `run` (0: a run not started yet). */
function fillRefs(j: usize, run: usize, base: f64, frame: usize): void {
  const n = load<i32>(j, JR_N_REFS);
  let ref = <usize>load<i32>(j, JR_REFS);
  for (let i = 0; i < n; i++, ref += 16) {
    const slot = frame + <usize>load<i32>(ref);
    const field = load<i32>(ref, 8);
    if (run == 0) {
      store<f64>(slot, field == REF_COUNT ? 0 : NaN);
      continue;
    }
    const step = stepAt(j, load<i32>(ref, 4));
    const v = timeField(run, load<i32>(step, SR_FIRST));
    let x: f64;
    if (v == 0) x = field == REF_COUNT ? 0 : NaN;
    else if (field == REF_FIRST) x = decodeTime(base, v);
    else if (field == REF_COUNT) x = <f64>countOf(step, run);
    else if (field == REF_CAPTURE) {
      const cap = <usize>load<i32>(ref, 12);
      x = cap != 0 ? captureAt(cap, run) : NaN;
    } else x = lastTimeOf(step, run, base);
    store<f64>(slot, x);
  }
}

/** True when an absence listed at guard list `list` matches the event. */
function absenceSeen(j: usize, list: i32, type: i32, frame: usize, features: usize): bool {
  const entry = <usize>load<i32>(j, JR_GUARD_LISTS) + (<usize>list << 3);
  const start = load<i32>(entry);
  const count = load<i32>(entry, 4);
  let g = <usize>load<i32>(j, JR_GUARDS) + (<usize>start << 3);
  for (let i = 0; i < count; i++, g += 8) {
    if (load<i32>(g) == type && holds(load<i32>(g, 4), frame, features)) return true;
  }
  return false;
}

// ---- taking an event

/** Step `step` takes the event: its count becomes `count`, its last time t, its captures the event's. */
function take(step: usize, run: usize, base: f64, t: f64, count: i32, frame: usize): void {
  takenCount = count;
  const v = encodeTime(base, t);
  const first = load<i32>(step, SR_FIRST);
  if (count == 1 && first >= 0) store<u32>(run + <usize>first, v);
  const last = load<i32>(step, SR_LAST);
  if (last >= 0) store<u32>(run + <usize>last, v);
  const c = load<i32>(step, SR_COUNT);
  if (c >= 0) store<u8>(run + <usize>c, <u8>count);
  const n = load<i32>(step, SR_N_CAPS);
  let cap = <usize>load<i32>(step, SR_CAPS);
  for (let i = 0; i < n; i++, cap += CAP_SIZE) storeCapture(cap, run, load<f64>(frame + <usize>load<i32>(cap)));
}

/** Whether the run can still take an event after skipping one (gap: the skip broke strict contiguity). */
function survives(j: usize, run: usize, pos: i32, k: i32, count: i32, gap: bool): bool {
  if (inAbsence(j, run, pos, k)) return true;
  const step = stepAt(j, pos - 1);
  const max = load<i32>(step, SR_MAX);
  if ((max == 0 || count < max) && (!gap || (load<i32>(step, SR_FLAGS) & SF_CONSECUTIVE) == 0)) return true;
  if (count >= load<i32>(step, SR_MIN)) {
    for (let s = pos; s < k; s++) {
      const next = stepAt(j, s);
      const flags = load<i32>(next, SR_FLAGS);
      if (!gap || (flags & SF_STRICT) == 0) return true;
      if ((flags & SF_OPTIONAL) == 0) break;
    }
  }
  return false;
}

/** Offers the event to one run: KILLED by an absence or a broken contiguity, COMPLETED, or KEPT. */
function stepRun(j: usize, run: usize, pos: i32, k: i32, base: f64, t: f64, type: i32, frame: usize, features: usize): i32 {
  const flags = load<i32>(j, JR_FLAGS);
  const step = stepAt(j, pos - 1);
  const count = countOf(step, run);
  const min = load<i32>(step, SR_MIN);
  const max = load<i32>(step, SR_MAX);
  const gap = gapOf(j, run);
  if (load<i32>(j, JR_N_REFS) > 0) fillRefs(j, run, base, frame);
  // Absences watch from the moment the current step has its minimum.
  if (count >= min && (pos < k || (flags & JF_ABSENCE) != 0) && absenceSeen(j, pos - 1, type, frame, features)) return KILLED;
  const inWindow = t - startOf(j, run, base) < load<f64>(j, JR_WITHIN);
  // The current step repeats while it can (greedy).
  if (
    (max == 0 || count < max) &&
    load<i32>(step, SR_TYPE) == type &&
    (!gap || (load<i32>(step, SR_FLAGS) & SF_CONSECUTIVE) == 0) &&
    inWindow &&
    holds(load<i32>(step, SR_PROG), frame, features)
  ) {
    const c = count < 255 ? count + 1 : 255;
    take(step, run, base, t, c, frame);
    setPos(j, run, pos, false);
    return pos == k && (flags & JF_ABSENCE) == 0 && c >= min ? COMPLETED : KEPT;
  }
  // Then the next step, or one after optional steps.
  if (count >= min) {
    for (let s = pos; s < k; s++) {
      const next = stepAt(j, s);
      const nflags = load<i32>(next, SR_FLAGS);
      if (
        load<i32>(next, SR_TYPE) == type &&
        (!gap || (nflags & SF_STRICT) == 0) &&
        inWindow &&
        holds(load<i32>(next, SR_PROG), frame, features)
      ) {
        take(next, run, base, t, 1, frame);
        setPos(j, run, s + 1, false);
        return s + 1 == k && (flags & JF_ABSENCE) == 0 && load<i32>(next, SR_MIN) <= 1 ? COMPLETED : KEPT;
      }
      if ((nflags & SF_OPTIONAL) == 0) break;
    }
  }
  // Skipped.
  let nowGap = gap;
  if ((flags & JF_GAPS) != 0) {
    nowGap = true;
    setPos(j, run, pos, true);
  }
  return survives(j, run, pos, k, count, nowGap) ? KEPT : KILLED;
}

// ---- matches

/** Appends a match of journey j. run 0: an instant match of the event; completing: the event at t completed the run. */
function emit(j: usize, run: usize, base: f64, time: f64, completing: bool, frame: usize): void {
  const bytes = <usize>load<i32>(j, JR_MATCH_BYTES);
  if (outAt + bytes > outEnd) return; // cannot happen: the region is sized for the worst case
  const rec = outAt;
  outAt += bytes;
  outMatches++;
  store<i32>(rec, load<i32>(j, JR_INDEX));
  store<f64>(rec, time, 8);
  const k = load<i32>(j, JR_K);
  for (let s = 0; s < k; s++) {
    const step = stepAt(j, s);
    const o = rec + <usize>load<i32>(step, SR_OUT);
    let oc = rec + <usize>load<i32>(step, SR_OUT_CAPS);
    const nCaps = load<i32>(step, SR_N_CAPS);
    let cap = <usize>load<i32>(step, SR_CAPS);
    if (run == 0 || (completing && s == k - 1)) {
      // The step that took the event at `time`.
      const first = run == 0 ? 0 : timeField(run, load<i32>(step, SR_FIRST));
      store<f64>(o, first != 0 ? decodeTime(base, first) : time);
      store<f64>(o, time, 8);
      store<f64>(o, run == 0 ? 1 : <f64>takenCount, 16);
      for (let c = 0; c < nCaps; c++, cap += CAP_SIZE, oc += 8) {
        const v = load<f64>(frame + <usize>load<i32>(cap));
        store<f64>(oc, load<i32>(cap, 8) == CAP_F32 ? <f64><f32>v : v);
      }
      continue;
    }
    const v = timeField(run, load<i32>(step, SR_FIRST));
    if (v == 0) {
      store<f64>(o, NaN);
      store<f64>(o, NaN, 8);
      store<f64>(o, 0, 16);
      for (let c = 0; c < nCaps; c++, oc += 8) store<f64>(oc, NaN);
      continue;
    }
    store<f64>(o, decodeTime(base, v));
    store<f64>(o, lastTimeOf(step, run, base), 8);
    store<f64>(o, <f64>countOf(step, run), 16);
    for (let c = 0; c < nCaps; c++, cap += CAP_SIZE, oc += 8) store<f64>(oc, captureAt(cap, run));
  }
}

// ---- journeys

/**
 * Fires the final-absence deadlines of journey j at or before `now`, earliest
 * first; returns the earliest deadline left (Infinity: no run waits; NaN
 * deadlines of a corrupt run are ignored). With now = -Infinity it only reads.
 */
function fireDeadlines(j: usize, sec: usize, base: f64, now: f64): f64 {
  const slots = load<i32>(j, JR_SLOTS);
  if (slots == 0) return Infinity;
  const k = load<i32>(j, JR_K);
  const rb = load<i32>(j, JR_RUN_BYTES);
  const block = sec + <usize>load<i32>(j, JR_BLOCK);
  const window = load<f64>(j, JR_ABSENCE);
  const last = stepAt(j, k - 1);
  let n = countRuns(j, block, k, slots, rb);
  for (;;) {
    let best = -1;
    let bestTime: f64 = Infinity;
    let earliest: f64 = Infinity;
    for (let i = 0; i < n; i++) {
      const run = runAt(block, rb, i);
      if (!inAbsence(j, run, posOf(j, run), k)) continue;
      const deadline = lastTimeOf(last, run, base) + window;
      if (deadline < earliest) earliest = deadline;
      if (deadline <= now && deadline < bestTime) {
        best = i;
        bestTime = deadline;
      }
    }
    if (best < 0) return earliest;
    emit(j, runAt(block, rb, best), base, bestTime, false, 0);
    removeRun(block, rb, best, n);
    n--;
    if ((load<i32>(j, JR_FLAGS) & JF_NO_SKIP) == 0) {
      memory.fill(block + JB_RUNS, 0, <usize>(slots * rb));
      return Infinity;
    }
  }
  return Infinity; // not reached: the loop returns
}

/** Lowers the section's nextDeadline to deadline d (ms; Infinity: none). An unknown one (0) stays unknown. */
function lowerNextDeadline(sec: usize, base: f64, d: f64): void {
  const cur = load<u32>(sec, SEC_NEXT_DEADLINE);
  if (cur == 0 || !(d < Infinity)) return;
  // d >= base: a run's times decode to base or later
  const x = d - base + 1;
  const v: u32 = x < <f64>DEADLINE_MAX ? <u32>x : DEADLINE_MAX;
  if (cur == DEADLINE_NONE || v < cur) store<u32>(sec, v, SEC_NEXT_DEADLINE);
}

/**
 * Step 1: fires the final-absence deadlines at or before `now`, then sets
 * nextDeadline to the earliest one left. Skipped when nextDeadline (a lower
 * bound of every run's deadline) is none or after `now`: nothing is due.
 */
function fireAllDeadlines(jt: usize, sec: usize, now: f64): void {
  const base = baseOf(sec);
  const next = load<u32>(sec, SEC_NEXT_DEADLINE);
  if (next == DEADLINE_NONE || (next != 0 && now < decodeTime(base, next))) return;
  const n = load<i32>(jt, JT_N_DEADLINES);
  const list = <usize>load<i32>(jt, JT_DEADLINES);
  store<u32>(sec, DEADLINE_NONE, SEC_NEXT_DEADLINE);
  for (let i = 0; i < n; i++) lowerNextDeadline(sec, base, fireDeadlines(<usize>load<i32>(list + (<usize>i << 2)), sec, base, now));
}

/** The situation of a run that decides its future: position, gap, and the current step's count as far as it matters. */
function situation(j: usize, run: usize): i32 {
  const pos = posOf(j, run);
  const step = stepAt(j, pos - 1);
  let c = countOf(step, run);
  const min = load<i32>(step, SR_MIN);
  if (load<i32>(step, SR_MAX) == 0 && c > min) c = min;
  return (pos << 9) | (gapOf(j, run) ? 256 : 0) | c;
}

/** Keeps one run per situation: the one that started last (ties: the newer). */
function prune(j: usize, block: usize, rb: i32, n: i32, base: f64): i32 {
  let doomed: u32 = 0;
  for (let i = 0; i < n; i++) {
    const ri = runAt(block, rb, i);
    const si = situation(j, ri);
    const ti = startOf(j, ri, base);
    for (let m = 0; m < n; m++) {
      if (m == i) continue;
      const rm = runAt(block, rb, m);
      if (situation(j, rm) != si) continue;
      const tm = startOf(j, rm, base);
      if (tm > ti || (tm == ti && m > i)) {
        doomed |= <u32>1 << <u32>i;
        break;
      }
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    if ((doomed >> <u32>i) & 1) {
      removeRun(block, rb, i, n);
      n--;
    }
  }
  return n;
}

/** The event reaches journey j: advance its runs, then maybe start one. */
function journeyEvent(j: usize, sec: usize, base: f64, t: f64, type: i32, frame: usize, features: usize): void {
  const k = load<i32>(j, JR_K);
  const slots = load<i32>(j, JR_SLOTS);
  const rb = load<i32>(j, JR_RUN_BYTES);
  const flags = load<i32>(j, JR_FLAGS);
  const block = sec + <usize>load<i32>(j, JR_BLOCK);
  const within = load<f64>(j, JR_WITHIN);
  let n = slots > 0 ? liveRuns(j, block, k, slots, rb) : 0;
  let i = 0;
  while (i < n) {
    const run = runAt(block, rb, i);
    const pos = posOf(j, run);
    if (!inAbsence(j, run, pos, k) && !(t - startOf(j, run, base) < within)) {
      removeRun(block, rb, i, n);
      n--;
      continue;
    }
    const r = stepRun(j, run, pos, k, base, t, type, frame, features);
    if (r == KEPT) {
      i++;
      continue;
    }
    if (r == COMPLETED) emit(j, run, base, t, true, frame);
    removeRun(block, rb, i, n);
    n--;
    if (r == COMPLETED && (flags & JF_NO_SKIP) == 0) {
      // After a match, the journey starts over after its last event.
      memory.fill(block + JB_RUNS, 0, <usize>(slots * rb));
      return;
    }
  }
  if ((flags & JF_PRUNE) != 0 && n > 1) n = prune(j, block, rb, n, base);
  // A new run from this event?
  const first = stepAt(j, 0);
  if (load<i32>(first, SR_TYPE) != type) return;
  if (load<i32>(j, JR_N_REFS) > 0) fillRefs(j, 0, base, frame);
  if (!holds(load<i32>(first, SR_PROG), frame, features)) return;
  if (slots == 0) {
    emit(j, 0, base, t, true, frame);
    return;
  }
  if ((flags & JF_PRUNE) != 0) {
    // The new run's situation: position 1, no gap, one event.
    for (let m = 0; m < n; m++) {
      const rm = runAt(block, rb, m);
      if (situation(j, rm) != ((1 << 9) | 1)) continue;
      if (startOf(j, rm, base) > t) return; // the existing one started later: it stays
      removeRun(block, rb, m, n);
      n--;
      break;
    }
  }
  if (n == slots) {
    // Full: drop the least advanced run (earliest position, fewest events
    // there, oldest among equals); the new one is at position 1 with one event.
    outDropped++;
    let victim = n;
    let vp = 1;
    let vc = 1;
    for (let m = 0; m < n; m++) {
      const rm = runAt(block, rb, m);
      const p = posOf(j, rm);
      const c = countOf(stepAt(j, p - 1), rm);
      if (p < vp || (p == vp && (c < vc || (c == vc && m < victim)))) {
        victim = m;
        vp = p;
        vc = c;
      }
    }
    if (victim == n) return; // the new run is the least advanced: not started
    removeRun(block, rb, victim, n);
    n--;
  }
  const run = runAt(block, rb, n);
  memory.fill(run, 0, <usize>rb);
  setPos(j, run, 1, false);
  take(first, run, base, t, 1, frame);
}

// ---- the section as a whole

/**
 * Moves the base so that `ref` fits, keeping `horizon` ms of history before it.
 * Runs that have expired by `ref` go; older match times are forgotten; rings
 * entirely older than the new base are cleared.
 */
function rebase(jt: usize, sec: usize, ref: f64): void {
  const oldBase = baseOf(sec);
  let units = Math.floor((ref - load<f64>(jt, JT_HORIZON)) / BASE_UNIT);
  if (!(units > 0)) units = 0;
  if (units > 4294967295) units = 4294967295;
  const newBase = units * BASE_UNIT;
  if (!(newBase > oldBase)) return;
  const delta = newBase - oldBase;
  store<u32>(sec, <u32>units);
  outFlags |= OUT_FLAG_REBASED;
  const nd = load<u32>(sec, SEC_NEXT_DEADLINE);
  if (nd != 0 && nd != DEADLINE_NONE) store<u32>(sec, <f64>nd - delta >= 1 ? <u32>(<f64>nd - delta) : 0, SEC_NEXT_DEADLINE);
  const lastV = load<u32>(sec, SEC_LAST_EVENT);
  if (lastV != 0) {
    const floor = newBase + load<f64>(jt, JT_LATENESS);
    const last = Math.max(oldBase + <f64>(lastV - 1), floor);
    store<u32>(sec, encodeTime(newBase, last), SEC_LAST_EVENT);
  }
  const nj = load<i32>(jt, JT_N_JOURNEYS);
  const journeys = <usize>load<i32>(jt, JT_JOURNEYS);
  for (let q = 0; q < nj; q++) {
    const j = <usize>load<i32>(journeys + (<usize>q << 2));
    const block = sec + <usize>load<i32>(j, JR_BLOCK);
    const lm = <f64>load<u32>(block, JB_LAST_MATCH);
    store<u32>(block, lm != 0 && lm - delta >= 1 ? <u32>(lm - delta) : 0, JB_LAST_MATCH);
    const slots = load<i32>(j, JR_SLOTS);
    if (slots == 0) continue;
    const k = load<i32>(j, JR_K);
    const rb = load<i32>(j, JR_RUN_BYTES);
    const within = load<f64>(j, JR_WITHIN);
    const window = load<f64>(j, JR_ABSENCE);
    let n = liveRuns(j, block, k, slots, rb);
    let i = 0;
    while (i < n) {
      const run = runAt(block, rb, i);
      const pos = posOf(j, run);
      let keep = inAbsence(j, run, pos, k)
        ? lastTimeOf(stepAt(j, k - 1), run, oldBase) + window > ref
        : ref - startOf(j, run, oldBase) < within;
      // Every stored time of a live run is within the horizon; a state where one is not is corrupt: drop the run.
      for (let s = 0; keep && s < k; s++) {
        const step = stepAt(j, s);
        const f = timeField(run, load<i32>(step, SR_FIRST));
        const l = timeField(run, load<i32>(step, SR_LAST));
        if ((f != 0 && <f64>f - delta < 1) || (l != 0 && <f64>l - delta < 1)) keep = false;
      }
      if (!keep) {
        removeRun(block, rb, i, n);
        n--;
        continue;
      }
      for (let s = 0; s < k; s++) {
        const step = stepAt(j, s);
        const fo = load<i32>(step, SR_FIRST);
        const lo = load<i32>(step, SR_LAST);
        const f = timeField(run, fo);
        const l = timeField(run, lo);
        if (f != 0) store<u32>(run + <usize>fo, <u32>(<f64>f - delta));
        if (l != 0) store<u32>(run + <usize>lo, <u32>(<f64>l - delta));
      }
      i++;
    }
  }
  const na = load<i32>(jt, JT_N_AGGS);
  const aggs = <usize>load<i32>(jt, JT_AGGS);
  for (let q = 0; q < na; q++) aggregateRebase(<usize>load<i32>(aggs + (<usize>q << 2)), sec, oldBase, newBase);
}

/** Step 5: count each match and keep the journey's latest match time. */
function recordMatches(jt: usize, sec: usize, out: usize): void {
  const journeys = <usize>load<i32>(jt, JT_JOURNEYS);
  const nj = load<i32>(jt, JT_N_JOURNEYS);
  let rec = out + OUT_HEADER;
  for (let m = 0; m < outMatches; m++) {
    const idx = load<i32>(rec);
    if (<u32>idx >= <u32>nj) return;
    const j = <usize>load<i32>(journeys + (<usize>idx << 2));
    rec += <usize>load<i32>(j, JR_MATCH_BYTES);
    const block = sec + <usize>load<i32>(j, JR_BLOCK);
    const c = load<u8>(block, JB_COUNT);
    if (c < 255) store<u8>(block, c + 1, JB_COUNT);
    const time = load<f64>(rec - <usize>load<i32>(j, JR_MATCH_BYTES), 8);
    if (time - baseOf(sec) + 1 > MAX_V) rebase(jt, sec, time);
    const base = baseOf(sec);
    if (!(time >= base)) continue; // beyond the horizon
    const v = encodeTime(base, time);
    if (v > load<u32>(block, JB_LAST_MATCH)) store<u32>(block, v, JB_LAST_MATCH);
  }
}

function beginOut(jt: usize, out: usize): void {
  outStart = out;
  outAt = out + OUT_HEADER;
  outEnd = out + <usize>load<i32>(jt, JT_OUT_BYTES);
  outMatches = 0;
  outDropped = 0;
  outFlags = 0;
}

function endOut(sec: usize): i32 {
  store<i32>(outStart, outMatches, OUT_COUNT);
  store<i32>(outStart, outDropped, OUT_DROPPED);
  store<i32>(outStart, outFlags, OUT_FLAGS);
  if (outDropped > 0) {
    const d = <i32>load<u8>(sec, SEC_DROPPED) + outDropped;
    store<u8>(sec, <u8>(d < 0xff ? d : 0xff), SEC_DROPPED);
  }
  return outMatches;
}

/**
 * Observes one event of one customer. The event's time is frame slot 0 and its
 * attributes slots 1..; `features` is the customer's feature vector (NaN where
 * unknown). Returns the number of matches written at `out`, REJECTED_LATE, or
 * IGNORED (an event type or time the caller should have refused).
 */
export function journeyObserve(jt: usize, state: usize, type: i32, frame: usize, features: usize, out: usize): i32 {
  beginOut(jt, out);
  const sec = state + <usize>load<i32>(jt, JT_SECTION);
  store<i32>(out, 0, OUT_COUNT);
  if (<u32>type >= <u32>load<i32>(jt, JT_N_TYPES)) return IGNORED;
  const t = load<f64>(frame);
  if (!(t >= 0 && t <= MAX_TIME) || t != Math.floor(t)) return IGNORED;
  const lateness = load<f64>(jt, JT_LATENESS);
  const lastV = load<u32>(sec, SEC_LAST_EVENT);
  if (lastV == 0) {
    // The first event: an empty section whose base leaves room for late events.
    memory.fill(sec, 0, <usize>load<i32>(jt, JT_SECTION_SIZE));
    store<u32>(sec, <u32>Math.floor(Math.max(0, t - lateness) / BASE_UNIT));
  } else {
    const base = baseOf(sec);
    if (t < decodeTime(base, lastV) - lateness || t < base) {
      const late = load<u8>(sec, SEC_LATE);
      if (late < 0xff) store<u8>(sec, late + 1, SEC_LATE);
      return REJECTED_LATE;
    }
  }
  fireAllDeadlines(jt, sec, t);
  if (t - baseOf(sec) + 1 > MAX_V) rebase(jt, sec, t);
  const base = baseOf(sec);
  // Aggregates first, so that conditions see windows that include this event.
  const idx = <usize>load<i32>(jt, JT_TYPE_INDEX) + <usize>type * TYPE_INDEX_SIZE;
  const aggStart = load<i32>(idx, 8);
  const aggCount = load<i32>(idx, 12);
  let ap = <usize>load<i32>(jt, JT_TYPE_AGGS) + (<usize>aggStart << 2);
  for (let i = 0; i < aggCount; i++, ap += 4) aggregateAdd(<usize>load<i32>(ap), sec, base, t, frame, features);
  const nv = load<i32>(idx, 20);
  let vp = <usize>load<i32>(jt, JT_AGG_VALUES) + <usize>load<i32>(idx, 16) * 12;
  for (let i = 0; i < nv; i++, vp += 12) {
    store<f64>(frame + <usize>load<i32>(vp), aggregateValue(<usize>load<i32>(vp, 4), sec, base, t, load<i32>(vp, 8), false));
  }
  const jStart = load<i32>(idx);
  const jCount = load<i32>(idx, 4);
  let jp = <usize>load<i32>(jt, JT_TYPE_JOURNEYS) + (<usize>jStart << 2);
  for (let i = 0; i < jCount; i++, jp += 4) {
    const j = <usize>load<i32>(jp);
    journeyEvent(j, sec, base, t, type, frame, features);
    if ((load<i32>(j, JR_FLAGS) & JF_ABSENCE) != 0) lowerNextDeadline(sec, base, fireDeadlines(j, sec, base, -Infinity));
  }
  recordMatches(jt, sec, out);
  const b = baseOf(sec);
  const v = encodeTime(b, t);
  if (v > load<u32>(sec, SEC_LAST_EVENT)) store<u32>(sec, v, SEC_LAST_EVENT);
  return endOut(sec);
}

/** Fires the absence deadlines at or before `now` (time alone completes them). Returns the number of matches at `out`. */
export function journeyAdvance(jt: usize, state: usize, now: f64, out: usize): i32 {
  beginOut(jt, out);
  const sec = state + <usize>load<i32>(jt, JT_SECTION);
  store<i32>(out, 0, OUT_COUNT);
  if (!(now >= 0 && now <= MAX_TIME)) return IGNORED;
  if (load<u32>(sec, SEC_LAST_EVENT) == 0) return endOut(sec);
  const next = load<u32>(sec, SEC_NEXT_DEADLINE);
  fireAllDeadlines(jt, sec, now);
  // An advance that completes nothing leaves the state as it was (stores write back only what changed).
  if (outMatches == 0) store<u32>(sec, next, SEC_NEXT_DEADLINE);
  recordMatches(jt, sec, out);
  return endOut(sec);
}
