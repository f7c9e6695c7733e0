/**
 * The reference twin of the journey kernel (assembly/journey/): the semantics
 * of docs/journeys.md written plainly over the journey descriptions (not the
 * kernel's tables), on the customer state as plain data
 * (src/state/journeys.ts). Tests run it beside the kernel on long random
 * streams and compare matches and state bytes after every event; benchmarks
 * use it as the plain-JavaScript peer.
 *
 * Conditions run on the bytecode reference interpreter (src/reference/expr.ts)
 * over a frame laid out as the compiler assigned slots: 0 event.time,
 * 1.. the event's attributes, then aggregate values and step references.
 */
import type { JourneyDef, JourneySet, StepDef } from '../compile/journey/model.js';
import { interestingTypes, isInstant, isPrunable, tracksGaps } from '../compile/journey/model.js';
import { BASE_UNIT_MS, computeLayout, journeySlots, type SectionLayout } from '../compile/journey/layout.js';
import { journeyValueDefs, type JourneyValueDef } from '../compile/journey/bindings.js';
import { emptySection, emptyStep, type AggregateState, type RunState, type SectionState } from '../state/journeys.js';
import { evalReference } from './expr.js';

const MAX_V = 0xffffffff;
const MAX_COUNT = 255;
const MAX_U16 = 0xffff;
const MAX_U8 = 0xff;
/** The largest stored nextDeadline (encoded: base + value - 1). */
const MAX_DEADLINE = 0xfffffffe;

export interface RefEvent {
  type: number;
  time: number;
  /** Attribute values in the event type's attribute order (NaN: missing). */
  attributes: number[];
}

export interface RefMatch {
  journey: number;
  time: number;
  steps: { first: number; last: number; count: number; captures: number[] }[];
}

export interface RefResult {
  matches: RefMatch[];
  rejected?: 'late';
  /** Partial matches dropped by this call (a journey was full). */
  dropped: number;
  rebased: boolean;
}

type Outcome = 'kept' | 'killed' | 'completed';

export class ReferenceJourneys {
  readonly set: JourneySet;
  readonly layout: SectionLayout;
  readonly values: JourneyValueDef[];
  private readonly slots: number[];
  private readonly interest: Set<number>[];
  private readonly frame: Float64Array;
  private features: Float32Array = new Float32Array(0);
  // per call
  private out: RefMatch[] = [];
  private dropped = 0;
  private rebased = false;

  constructor(set: JourneySet) {
    this.set = set;
    this.layout = computeLayout(set);
    this.values = journeyValueDefs(set);
    this.slots = set.journeys.map(journeySlots);
    this.interest = set.journeys.map((j) => interestingTypes(j, set.events.length));
    this.frame = new Float64Array(Math.max(1, set.frameSlots));
  }

  fresh(): SectionState {
    return emptySection(this.set);
  }

  // ---- the rules

  observe(st: SectionState, ev: RefEvent, features: Float32Array): RefResult {
    this.begin(features);
    const late = this.set.settings.allowedLatenessMs;
    const t = ev.time;
    if (st.lastEvent === null) {
      Object.assign(st, this.fresh());
      st.base = Math.floor(Math.max(0, t - late) / BASE_UNIT_MS) * BASE_UNIT_MS;
    } else if (t < st.lastEvent - late || t < st.base) {
      st.late = Math.min(MAX_U8, st.late + 1);
      return { matches: [], rejected: 'late', dropped: 0, rebased: false };
    }
    // 1. absences whose deadline the event's time has reached
    this.fireDeadlines(st, t);
    // 2. keep times in 32 bits
    if (t - st.base + 1 > MAX_V) this.rebase(st, t);
    // 3. aggregates, then the values conditions read
    this.frame.fill(NaN);
    this.frame[0] = t;
    ev.attributes.forEach((x, i) => (this.frame[1 + i] = x));
    this.set.aggregates.forEach((a, ai) => {
      if (a.event === ev.type) this.addToAggregate(st, ai, t);
    });
    for (const v of this.set.aggValues) this.frame[v.slot] = this.aggregateValue(st, v.aggregate, t, v.fn);
    // 4. journeys that react to the event's type
    this.set.journeys.forEach((j, ji) => {
      if (!this.interest[ji]!.has(ev.type)) return;
      this.journeyEvent(st, ji, ev);
      if (j.absence !== null) this.lowerNextDeadline(st, this.earliestDeadline(ji, st));
    });
    // 5. counts and latest match times
    this.record(st);
    st.lastEvent = st.lastEvent === null ? t : Math.max(st.lastEvent, t);
    return this.end(st);
  }

  advance(st: SectionState, now: number): RefResult {
    this.begin(this.features);
    if (st.lastEvent === null) return this.end(st);
    const next = st.nextDeadline;
    this.fireDeadlines(st, now);
    if (this.out.length === 0) st.nextDeadline = next; // nothing happened: the state stays as it was
    this.record(st);
    return this.end(st);
  }

  private begin(features: Float32Array): void {
    this.out = [];
    this.dropped = 0;
    this.rebased = false;
    this.features = features;
  }

  private end(st: SectionState): RefResult {
    st.dropped = Math.min(MAX_U8, st.dropped + this.dropped);
    return { matches: this.out, dropped: this.dropped, rebased: this.rebased };
  }

  private holds(prog: number): boolean {
    if (prog < 0) return true;
    const x = evalReference(this.set.programs[prog]!, this.frame, this.features);
    return x > 0 || x < 0;
  }

  private start(r: RunState): number {
    return r.steps[0]!.first ?? NaN;
  }

  /** At the last step, with its minimum reached, waiting for the final absence to last. */
  private inAbsence(j: JourneyDef, r: RunState): boolean {
    const k = j.steps.length;
    return j.absence !== null && r.pos === k && r.steps[k - 1]!.count >= j.steps[k - 1]!.min;
  }

  private deadline(j: JourneyDef, r: RunState): number {
    return (r.steps[j.steps.length - 1]!.last ?? NaN) + j.absence!.windowMs;
  }

  /** The earliest final-absence deadline of journey ji's runs (Infinity: none waits). */
  private earliestDeadline(ji: number, st: SectionState): number {
    const j = this.set.journeys[ji]!;
    let best = Infinity;
    if (j.absence === null) return best;
    for (const r of st.journeys[ji]!.runs) {
      if (this.inAbsence(j, r)) {
        const d = this.deadline(j, r);
        if (d < best) best = d;
      }
    }
    return best;
  }

  /** Lowers nextDeadline to d (an unknown one stays unknown); what does not fit the section's clock is stored as its latest time. */
  private lowerNextDeadline(st: SectionState, d: number): void {
    if (st.nextDeadline === null || !(d < Infinity)) return;
    const x = Math.min(d, st.base + MAX_DEADLINE - 1);
    if (x < st.nextDeadline) st.nextDeadline = x;
  }

  /** Fires the final-absence deadlines at or before `now`, unless nextDeadline says none is due; then recomputes nextDeadline. */
  private fireDeadlines(st: SectionState, now: number): void {
    if (st.nextDeadline !== null && !(now >= st.nextDeadline)) return;
    this.fireDue(st, now);
    st.nextDeadline = Infinity;
    this.set.journeys.forEach((_, ji) => this.lowerNextDeadline(st, this.earliestDeadline(ji, st)));
  }

  private fireDue(st: SectionState, now: number): void {
    this.set.journeys.forEach((j, ji) => {
      if (j.absence === null) return;
      const runs = st.journeys[ji]!.runs;
      for (;;) {
        let best = -1;
        for (let i = 0; i < runs.length; i++) {
          if (!this.inAbsence(j, runs[i]!)) continue;
          const d = this.deadline(j, runs[i]!);
          if (d <= now && (best < 0 || d < this.deadline(j, runs[best]!))) best = i;
        }
        if (best < 0) return;
        this.emit(ji, runs[best]!, this.deadline(j, runs[best]!), false, null);
        runs.splice(best, 1);
        if (j.skip === 'skipPastLastEvent') {
          runs.length = 0;
          return;
        }
      }
    });
  }

  /** Writes the journey's step references for run r (null: a run about to start) into the frame. */
  private fillRefs(j: JourneyDef, r: RunState | null): void {
    for (const ref of j.refs) {
      const s = r?.steps[ref.step];
      let x: number;
      if (!s || s.first === null) x = ref.field === 'count' ? 0 : NaN;
      else if (ref.field === 'firstTime') x = s.first;
      else if (ref.field === 'lastTime') x = s.last!;
      else if (ref.field === 'count') x = s.count;
      else x = s.captures[ref.capture]!;
      this.frame[ref.slot] = x;
    }
  }

  private matches(step: StepDef | { event: number; where: number }, type: number): boolean {
    return step.event === type && this.holds(step.where);
  }

  /** Step s takes the event: count, last time, captured attributes (first time when it is its first). */
  private take(j: JourneyDef, r: RunState, s: number, ev: RefEvent, count: number): void {
    const st = r.steps[s]!;
    if (count === 1) st.first = ev.time;
    st.last = ev.time;
    st.count = count;
    st.captures = j.steps[s]!.captures.map((a) => Math.fround(ev.attributes[a]!));
  }

  private survives(j: JourneyDef, r: RunState): boolean {
    if (this.inAbsence(j, r)) return true;
    const step = j.steps[r.pos - 1]!;
    const count = r.steps[r.pos - 1]!.count;
    if ((step.max === null || count < step.max) && !(r.gap && step.consecutive)) return true;
    if (count >= step.min) {
      for (let s = r.pos; s < j.steps.length; s++) {
        if (!(r.gap && j.steps[s]!.strict)) return true;
        if (!j.steps[s]!.optional) break;
      }
    }
    return false;
  }

  /** Offers the event to one partial match. */
  private offer(j: JourneyDef, r: RunState, ev: RefEvent): Outcome {
    const k = j.steps.length;
    const step = j.steps[r.pos - 1]!;
    const count = r.steps[r.pos - 1]!.count;
    this.fillRefs(j, r);
    if (count >= step.min) {
      const absences = r.pos < k ? j.guards[r.pos - 1]! : (j.absence?.guards ?? []);
      if (absences.some((g) => this.matches(g, ev.type))) return 'killed';
    }
    const inWindow = ev.time - this.start(r) < j.withinMs!;
    if ((step.max === null || count < step.max) && !(r.gap && step.consecutive) && inWindow && this.matches(step, ev.type)) {
      const c = Math.min(MAX_COUNT, count + 1);
      this.take(j, r, r.pos - 1, ev, c);
      r.gap = false;
      return r.pos === k && j.absence === null && c >= step.min ? 'completed' : 'kept';
    }
    if (count >= step.min) {
      for (let s = r.pos; s < k; s++) {
        const next = j.steps[s]!;
        if (!(r.gap && next.strict) && inWindow && this.matches(next, ev.type)) {
          this.take(j, r, s, ev, 1);
          r.pos = s + 1;
          r.gap = false;
          return r.pos === k && j.absence === null && next.min <= 1 ? 'completed' : 'kept';
        }
        if (!next.optional) break;
      }
    }
    if (tracksGaps(j)) r.gap = true;
    return this.survives(j, r) ? 'kept' : 'killed';
  }

  /** What a partial match's future depends on: position, gap, and the current step's count as far as it matters. */
  private situation(j: JourneyDef, r: RunState): string {
    const step = j.steps[r.pos - 1]!;
    const count = r.steps[r.pos - 1]!.count;
    return `${r.pos}:${r.gap}:${step.max === null ? Math.min(count, step.min) : count}`;
  }

  private journeyEvent(st: SectionState, ji: number, ev: RefEvent): void {
    const j = this.set.journeys[ji]!;
    const runs = st.journeys[ji]!.runs;
    for (let i = 0; i < runs.length; ) {
      const r = runs[i]!;
      if (!this.inAbsence(j, r) && !(ev.time - this.start(r) < j.withinMs!)) {
        runs.splice(i, 1); // expired
        continue;
      }
      const outcome = this.offer(j, r, ev);
      if (outcome === 'kept') {
        i++;
        continue;
      }
      if (outcome === 'completed') this.emit(ji, r, ev.time, true, ev);
      runs.splice(i, 1);
      if (outcome === 'completed' && j.skip === 'skipPastLastEvent') {
        runs.length = 0;
        return;
      }
    }
    if (isPrunable(j)) {
      // One partial match per situation: the one that started last (ties: the newer).
      const keep = runs.filter((r, i) =>
        runs.every((o, m) => m === i || this.situation(j, o) !== this.situation(j, r) || !(this.start(o) > this.start(r) || (this.start(o) === this.start(r) && m > i))),
      );
      runs.splice(0, runs.length, ...keep);
    }
    const first = j.steps[0]!;
    if (first.event !== ev.type) return;
    this.fillRefs(j, null);
    if (!this.holds(first.where)) return;
    const run: RunState = { pos: 1, gap: false, steps: j.steps.map((s) => emptyStep(s.captures.length)) };
    this.take(j, run, 0, ev, 1);
    if (isInstant(j)) {
      this.emit(ji, run, ev.time, true, ev);
      return;
    }
    if (isPrunable(j)) {
      const same = runs.findIndex((o) => this.situation(j, o) === this.situation(j, run));
      if (same >= 0) {
        if (this.start(runs[same]!) > ev.time) return;
        runs.splice(same, 1);
      }
    }
    if (runs.length === this.slots[ji]) {
      // Full: the least advanced partial match goes (earliest step, fewest events there, oldest among equals).
      this.dropped++;
      const advance = (r: RunState) => [r.pos, r.steps[r.pos - 1]!.count] as const;
      const all = [...runs, run];
      let victim = all.length - 1;
      all.forEach((r, i) => {
        const [p, c] = advance(r);
        const [vp, vc] = advance(all[victim]!);
        if (p < vp || (p === vp && (c < vc || (c === vc && i < victim)))) victim = i;
      });
      if (victim === runs.length) return;
      runs.splice(victim, 1);
    }
    runs.push(run);
  }

  private emit(ji: number, r: RunState, time: number, completing: boolean, ev: RefEvent | null): void {
    const j = this.set.journeys[ji]!;
    const k = j.steps.length;
    this.out.push({
      journey: ji,
      time,
      steps: r.steps.map((s, si) => {
        if (completing && si === k - 1) {
          return { first: s.first!, last: time, count: s.count, captures: j.steps[si]!.captures.map((a) => Math.fround(ev!.attributes[a]!)) };
        }
        if (s.first === null) return { first: NaN, last: NaN, count: 0, captures: s.captures.map(() => NaN) };
        return { first: s.first, last: s.last!, count: s.count, captures: [...s.captures] };
      }),
    });
  }

  private record(st: SectionState): void {
    for (const m of this.out) {
      const js = st.journeys[m.journey]!;
      js.count = Math.min(MAX_COUNT, js.count + 1);
      if (m.time - st.base + 1 > MAX_V) this.rebase(st, m.time);
      if (m.time >= st.base && (js.lastMatch === null || m.time > js.lastMatch)) js.lastMatch = m.time;
    }
  }

  /** Moves the base forward so that `ref` fits; what ages out of the horizon is dropped or forgotten. */
  private rebase(st: SectionState, ref: number): void {
    const units = Math.min(MAX_V, Math.max(0, Math.floor((ref - this.layout.horizonMs) / BASE_UNIT_MS)));
    const base = units * BASE_UNIT_MS;
    if (!(base > st.base)) return;
    this.rebased = true;
    if (st.nextDeadline !== null && st.nextDeadline < base) st.nextDeadline = null;
    if (st.lastEvent !== null) st.lastEvent = Math.max(st.lastEvent, base + this.set.settings.allowedLatenessMs);
    this.set.journeys.forEach((j, ji) => {
      const js = st.journeys[ji]!;
      if (js.lastMatch !== null && js.lastMatch < base) js.lastMatch = null;
      js.runs = js.runs.filter((r) => (this.inAbsence(j, r) ? this.deadline(j, r) > ref : ref - this.start(r) < j.withinMs!));
    });
    this.set.aggregates.forEach((a, ai) => {
      const as = st.aggregates[ai]!;
      if (as.head !== null && as.head < Math.floor(base / (a.windowMs / a.buckets))) {
        as.head = null;
        as.buckets = new Map();
      }
    });
    st.base = base;
  }

  // ---- aggregates

  private addToAggregate(st: SectionState, ai: number, t: number): void {
    const a = this.set.aggregates[ai]!;
    if (!this.holds(a.where)) return;
    const v = a.value < 0 ? 0 : evalReference(this.set.programs[a.value]!, this.frame, this.features);
    if (v !== v) return;
    const as: AggregateState = st.aggregates[ai]!;
    const n = Math.floor(t / (a.windowMs / a.buckets));
    if (as.head === null) {
      as.head = n;
      as.buckets = new Map();
    } else if (n > as.head) {
      as.head = n;
      for (const key of [...as.buckets.keys()]) if (key <= n - a.buckets) as.buckets.delete(key);
    } else if (n <= as.head - a.buckets) {
      return;
    }
    const b = as.buckets.get(n) ?? { count: 0, sum: 0, min: 0, max: 0 };
    const wasEmpty = b.count === 0;
    const fv = Math.fround(v);
    b.count = Math.min(MAX_U16, b.count + 1);
    b.sum = Math.fround(b.sum + v);
    if (wasEmpty || fv < b.min) b.min = fv;
    if (wasEmpty || fv > b.max) b.max = fv;
    as.buckets.set(n, b);
  }

  aggregateValue(st: SectionState, ai: number, now: number, fn: string): number {
    const a = this.set.aggregates[ai]!;
    const as = st.aggregates[ai]!;
    let count = 0;
    let sum = 0;
    let min = NaN;
    let max = NaN;
    if (st.lastEvent !== null && as.head !== null) {
      const nNow = Math.floor(now / (a.windowMs / a.buckets));
      const lo = Math.max(as.head - a.buckets + 1, nNow - a.buckets + 1);
      const hi = Math.min(as.head, nNow);
      for (let n = lo; n <= hi; n++) {
        const b = as.buckets.get(n);
        if (!b) continue;
        count += b.count;
        sum += b.sum;
        if (b.count > 0) {
          if (!(b.min >= min)) min = b.min;
          if (!(b.max <= max)) max = b.max;
        }
      }
    }
    switch (fn) {
      case 'count':
        return count;
      case 'sum':
        return sum;
      case 'avg':
        return count > 0 ? sum / count : NaN;
      case 'min':
        return count > 0 ? min : NaN;
      case 'max':
        return count > 0 ? max : NaN;
    }
    return NaN;
  }

  /** journeyValue: the value decisions read by id at `now`. */
  value(st: SectionState, now: number, valueId: number): number {
    const v = this.values[valueId];
    if (!v) return NaN;
    if (v.kind === 'aggregate') return this.aggregateValue(st, v.index, now, v.fn!);
    const js = st.journeys[v.index]!;
    if (v.kind === 'count') return st.lastEvent === null ? 0 : js.count;
    const last = st.lastEvent === null || js.lastMatch === null ? NaN : js.lastMatch;
    if (v.kind === 'lastMatch') return last;
    return last > now - this.set.journeys[v.index]!.activeForMs ? 1 : 0;
  }
}
