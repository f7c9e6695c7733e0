/**
 * Journeys in explanations (docs/decisions.md, "Journeys in decisions"): what
 * the journeys a decision's rules read said at the decision's `now`, and, for
 * each candidate, the journey facts that made its rules true (or the one that
 * was false).
 *
 * The values are the kernel's own: after the decision, one `journeyValues`
 * call over the same state bytes at the same `now` (explain mode only). The
 * state keeps a pattern's latest match time and count, not its events; a
 * match's events are named when the decision is given the match itself (a
 * trigger's decision gets the match that triggered it; `decide` takes
 * `matches`), and only when its time is the state's latest match, so an
 * explanation never describes a match other than the one the rule saw.
 *
 *   connection_trouble matched at 10:31: 3 connect_fail 10:02-10:31 (network=mobile) after device_change 09:55
 */
import type { JourneySet } from '../compile/journey/model.js';
import { journeyValueDefs, type JourneyValueDef } from '../compile/journey/bindings.js';
import type { JourneyMatch } from '../runtime/journeys.js';
import { formatDuration } from './explain.js';
import { STAGE, type DecisionTables } from './tables.js';
import type { CandidateExplanation } from './types.js';
import type { CandidateRecord } from './explain.js';

/** What one journey (a pattern or an aggregate) that decision rules read said at the decision's `now`. */
export interface JourneyFact {
  /** The pattern or aggregate id (`journey.<id>` in expressions). */
  journey: string;
  kind: 'pattern' | 'aggregate';
  /** Patterns: `journey.<id>`, true while the latest match is younger than the pattern's activeFor. */
  matched?: boolean;
  /** Patterns: epoch ms of the latest match (`journey.<id>.lastMatch`), null when none is kept. */
  lastMatch?: number | null;
  /** Patterns: matches so far (`journey.<id>.count`, saturating at 255). */
  count?: number;
  /** Patterns: the latest match with its events, when the decision was given it (a trigger's match, or decide's `matches`). */
  match?: JourneyMatch;
  /** Aggregates: each declared function over the window ending at `now` (null: missing). */
  values?: Record<string, number | null>;
  /** One line, times of day in UTC: "connection_trouble matched at 10:31: 3 connect_fail 10:02-10:31 after device_change 09:55". */
  text: string;
}

interface FactSource {
  kind: 'pattern' | 'aggregate';
  index: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A time for an explanation, in UTC: "10:31" on the day of `now`, else "2024-11-22 10:31"; seconds when not whole minutes. */
export function explainTime(t: number, now: number): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const s = d.getUTCSeconds() + d.getUTCMilliseconds() / 1000;
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${s === 0 ? '' : `:${pad2(Math.floor(s))}${d.getUTCMilliseconds() ? `.${String(d.getUTCMilliseconds()).padStart(3, '0')}` : ''}`}`;
  const day = d.toISOString().slice(0, 10);
  return day === new Date(now).toISOString().slice(0, 10) ? hm : `${day} ${hm}`;
}

const num = (x: number) => (x !== x ? 'missing' : String(x));

/**
 * Per bundle: which journeys each rule reads, and the facts of a decision.
 * Built once per engine when the decision programs read journeys.
 */
export class JourneyExplainer {
  private readonly sources: FactSource[] = [];
  /** Fact indices each rule (by rule index) reads. */
  private readonly ruleFacts: number[][];
  private readonly defs: JourneyValueDef[];

  constructor(
    private readonly tables: DecisionTables,
    private readonly set: JourneySet,
  ) {
    this.defs = journeyValueDefs(set);
    const factOf = new Map<string, number>();
    const slotFact = new Map<number, number>();
    for (const { valueId, slot } of tables.frame.journeys) {
      const d = this.defs[valueId]!;
      const kind = d.kind === 'aggregate' ? 'aggregate' : 'pattern';
      const key = `${kind}:${d.index}`;
      let f = factOf.get(key);
      if (f === undefined) {
        f = this.sources.push({ kind, index: d.index }) - 1;
        factOf.set(key, f);
      }
      slotFact.set(slot, f);
    }
    this.ruleFacts = tables.rules.map(() => []);
    for (const a of tables.actions) {
      for (const [r, p] of a.rules) {
        if (this.ruleFacts[r]!.length > 0) continue;
        const facts = new Set<number>();
        for (const s of tables.programs.programs[p]!.slotsRead) {
          const f = slotFact.get(s);
          if (f !== undefined) facts.add(f);
        }
        this.ruleFacts[r] = [...facts].sort((x, y) => x - y);
      }
    }
  }

  /** Number of journey values the state holds (the size of the values buffer journeyValues fills). */
  get valueCount(): number {
    return this.defs.length;
  }

  /** The facts of a decision from every journey value at `now` (value id order), describing the given matches where they are the latest. */
  facts(values: Float64Array, now: number, matches: readonly JourneyMatch[] | undefined): JourneyFact[] {
    const set = this.set;
    return this.sources.map(({ kind, index }) => {
      if (kind === 'aggregate') {
        const a = set.aggregates[index]!;
        const out: Record<string, number | null> = {};
        const parts: string[] = [];
        this.defs.forEach((d, id) => {
          if (d.kind !== 'aggregate' || d.index !== index) return;
          const x = values[id]!;
          out[d.fn!] = x !== x ? null : x;
          parts.push(`${d.fn} ${num(x)}`);
        });
        return { journey: a.id, kind, values: out, text: `${a.id} over the last ${formatDuration(a.windowMs)}: ${parts.join(', ')}` };
      }
      const j = set.journeys[index]!;
      const id = this.defs.findIndex((d) => d.kind === 'active' && d.index === index);
      const matched = values[id] === 1;
      const lastRaw = values[id + 1]!;
      const lastMatch = lastRaw !== lastRaw ? null : lastRaw;
      const count = values[id + 2]!;
      const fact: JourneyFact = { journey: j.id, kind, matched, lastMatch, count, text: '' };
      const match = lastMatch === null ? undefined : matches?.find((m) => m && m.journey === j.id && m.time === lastMatch);
      if (match) fact.match = match;
      if (lastMatch === null) {
        fact.text = count > 0 ? `${j.id} has not matched within the time the state keeps` : `${j.id} has not matched`;
      } else if (matched) {
        fact.text = `${j.id} matched at ${explainTime(lastMatch, now)}${match ? `: ${this.matchEvents(index, match, now)}` : ''}`;
      } else {
        fact.text = `${j.id} last matched at ${explainTime(lastMatch, now)}, more than ${formatDuration(j.activeForMs)} before now`;
      }
      return fact;
    });
  }

  /** "3 connect_fail 10:02-10:31 after device_change 09:55", latest first; a final absence leads ("no contract_renewal for 24h after ..."). */
  private matchEvents(index: number, m: JourneyMatch, now: number): string {
    const j = this.set.journeys[index]!;
    const parts: string[] = [];
    for (const e of m.events) {
      if (!e || !(e.count > 0) || e.firstTime === undefined || e.lastTime === undefined) continue;
      const attrs = e.attributes ? ` (${Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
      parts.push(
        e.count === 1
          ? `${e.type} ${explainTime(e.lastTime, now)}${attrs}`
          : `${e.count} ${e.type} ${explainTime(e.firstTime, now)}-${explainTime(e.lastTime, now)}${attrs}`,
      );
    }
    if (j.absence) {
      const types = [...new Set(j.absence.guards.map((g) => this.set.events[g.event]!.name))];
      parts.push(`no ${types.join(' or ')} for ${formatDuration(j.absence.windowMs)}`);
    }
    return parts.reverse().join(' after ');
  }

  /**
   * Adds to a candidate's explanation the journeys behind it: for a rule that
   * dropped it, every journey the rule reads; for a candidate that passed its
   * rules, the matched patterns and the aggregates its rules read; for a
   * suppressed one, those of the action that suppressed it. Selected, rule
   * and suppression reasons end with the facts' texts.
   */
  annotate(c: CandidateExplanation, r: CandidateRecord, facts: readonly JourneyFact[]): void {
    let ids: number[];
    let say = false;
    if (r.stage === STAGE.eligibility || r.stage === STAGE.applicability || r.stage === STAGE.suitability) {
      ids = this.ruleFacts[r.reason] ?? [];
      say = true;
    } else if (r.stage === STAGE.suppression) {
      ids = this.passed(r.reason, facts);
      say = true;
    } else if (r.stage === STAGE.channel) {
      ids = [];
    } else {
      ids = this.passed(r.action, facts);
      say = r.stage === STAGE.selected;
    }
    if (ids.length === 0) return;
    c.journeys = ids.map((f) => facts[f]!.journey);
    if (say) c.reason += `; ${ids.map((f) => facts[f]!.text).join('; ')}`;
  }

  /** Facts an action's rules read that hold: matched patterns, and aggregates. */
  private passed(action: number, facts: readonly JourneyFact[]): number[] {
    const a = this.tables.actions[action];
    if (!a) return [];
    const out = new Set<number>();
    for (const [r] of a.rules) for (const f of this.ruleFacts[r] ?? []) if (facts[f]!.kind === 'aggregate' || facts[f]!.matched) out.add(f);
    return [...out].sort((x, y) => x - y);
  }
}
