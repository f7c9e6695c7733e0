/**
 * The names decisions use for journey results, and the value ids the kernel's
 * `journeyValue(journeys, state, now, valueId)` (assembly/journey/values.ts)
 * reads them by:
 *
 *   journey.<id>            bool    matched within the journey's activeFor before now
 *   journey.<id>.lastMatch  number  epoch ms of the latest match (missing if none)
 *   journey.<id>.count      number  matches so far (saturating at 255)
 *   journey.<agg>.<fn>      number  aggregate function fn over the window ending at now
 *
 * Value ids are positions in this list: per journey (bundle order) active,
 * lastMatch, count; then per aggregate its functions in declared order.
 */
import type { ExprEnv, ExprType } from '../expr/ast.js';
import { formatPath } from '../expr/printer.js';
import type { AggFn, JourneySet } from './model.js';

export type JourneyValueKind = 'active' | 'lastMatch' | 'count' | 'aggregate';

export interface JourneyValueDef {
  name: string;
  kind: JourneyValueKind;
  /** Journey index (active, lastMatch, count) or aggregate index. */
  index: number;
  fn?: AggFn;
  type: ExprType;
}

export const VALUE_KIND_CODES: Record<JourneyValueKind, number> = { active: 0, lastMatch: 1, count: 2, aggregate: 3 };
export const AGG_FN_CODES: Record<AggFn, number> = { count: 0, sum: 1, min: 2, max: 3, avg: 4 };

/** Every journey value of a set, in value id order. */
export function journeyValueDefs(set: Pick<JourneySet, 'journeys' | 'aggregates'>): JourneyValueDef[] {
  const num: ExprType = { kind: 'number' };
  const out: JourneyValueDef[] = [];
  set.journeys.forEach((j, index) => {
    out.push({ name: `journey.${j.id}`, kind: 'active', index, type: { kind: 'bool' } });
    out.push({ name: `journey.${j.id}.lastMatch`, kind: 'lastMatch', index, type: num });
    out.push({ name: `journey.${j.id}.count`, kind: 'count', index, type: num });
  });
  set.aggregates.forEach((a, index) => {
    for (const fn of a.functions) out.push({ name: `journey.${a.id}.${fn}`, kind: 'aggregate', index, fn, type: num });
  });
  return out;
}

/** The names decisions may use, each with its value id and type. */
export function journeyBindings(set: Pick<JourneySet, 'journeys' | 'aggregates'>): Map<string, { valueId: number; type: ExprType }> {
  const m = new Map<string, { valueId: number; type: ExprType }>();
  journeyValueDefs(set).forEach((v, valueId) => m.set(v.name, { valueId, type: v.type }));
  return m;
}

/**
 * An ExprEnv over the journey names, for callers that put journey values in
 * frame slots: `slotOf(valueId)` says where the caller will write each one
 * (it is called once per distinct name an expression uses).
 */
export function journeyEnv(set: Pick<JourneySet, 'journeys' | 'aggregates'>, slotOf: (valueId: number) => number): ExprEnv {
  const b = journeyBindings(set);
  return {
    resolve(path) {
      const v = b.get(formatPath(path));
      return v ? { type: v.type, source: 'frame', slot: slotOf(v.valueId) } : undefined;
    },
    names: () => b.keys(),
  };
}

