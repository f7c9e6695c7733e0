/**
 * Random journeys for differential tests: specs over a small event schema
 * (types a..e with a numeric `x` and a categorical `k`), written as YAML so
 * that the spec compiler is exercised too, and event streams with equal
 * timestamps, late events, long idle gaps (rebasing) and advance calls.
 */
import { randInt } from './random.js';

export const TYPES = ['a', 'b', 'c', 'd', 'e'] as const;
export const KINDS = ['p', 'q', 'r'] as const;
export const T0 = 1_732_350_000_000;
export const MIN = 60_000;

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

export const EVENTS_YAML = `
features:
  f: numeric
events:
${TYPES.map((t) => `  ${t}:\n    x: numeric\n    k: [${KINDS.join(', ')}]`).join('\n')}
`;

interface GenStep {
  name: string;
  type: string;
  optional: boolean;
  loops: boolean;
  captures: string[];
}

function condition(rand: () => number, earlier: GenStep[], aggs: { id: string; fns: string[] }[]): string | undefined {
  const parts: string[] = [];
  const n = randInt(rand, 0, 2);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.3) parts.push(`event.x ${pick(rand, ['>', '<', '>=', '<='])} ${randInt(rand, 0, 10)}`);
    else if (r < 0.5) parts.push(`event.k ${pick(rand, ['==', '!='])} "${pick(rand, KINDS)}"`);
    else if (r < 0.6) parts.push(`f > ${randInt(rand, 0, 5)}`);
    else if (r < 0.7 && aggs.length > 0) {
      const a = pick(rand, aggs);
      const fn = pick(rand, a.fns);
      parts.push(fn === 'count' ? `journey.${a.id}.count >= ${randInt(rand, 0, 4)}` : `coalesce(journey.${a.id}.${fn}, 0) > ${randInt(rand, 0, 15)}`);
    } else if (r < 0.85 && earlier.length > 0) {
      const s = pick(rand, earlier);
      const f = pick(rand, ['time', 'firstTime', 'lastTime', 'count', ...s.captures]);
      if (f === 'count') parts.push(`steps.${s.name}.count ${pick(rand, ['>=', '<'])} ${randInt(rand, 0, 3)}`);
      else if (f === 'x') parts.push(`event.x ${pick(rand, ['>', '<'])} coalesce(steps.${s.name}.x, 5)`);
      else if (f === 'k') parts.push(`steps.${s.name}.k ${pick(rand, ['==', '!='])} "${pick(rand, KINDS)}"`);
      else parts.push(`isMissing(steps.${s.name}.${f}) or event.time - steps.${s.name}.${f} < ${randInt(rand, 1, 40)}m`);
    } else parts.push(`event.x != ${randInt(rand, 0, 10)}`);
  }
  return parts.length ? parts.join(pick(rand, [' and ', ' or '])) : undefined;
}

/** A random journeys spec (YAML) with 1..maxPatterns patterns and up to two aggregates. */
export function randomJourneySpec(rand: () => number, opts: { maxPatterns?: number } = {}): string {
  const lines: string[] = ['bundle: random', 'version: "1"', EVENTS_YAML.trim(), 'journeys:', '  settings:'];
  lines.push(`    maxPartialMatches: ${randInt(rand, 1, 4)}`);
  lines.push(`    allowedLateness: ${pick(rand, ['0s', '0s', '2m', '10m'])}`);
  lines.push(`    activeFor: ${randInt(rand, 1, 120)}m`);
  const aggs: { id: string; fns: string[] }[] = [];
  const nAgg = randInt(rand, 0, 2);
  if (nAgg > 0) {
    lines.push('  aggregates:');
    for (let i = 0; i < nAgg; i++) {
      const id = `agg${i}`;
      const hasValue = rand() < 0.8;
      const fns = hasValue ? ['count', 'sum', 'min', 'max', 'avg'].filter(() => rand() < 0.5) : ['count'];
      if (fns.length === 0) fns.push('sum');
      aggs.push({ id, fns });
      const buckets = randInt(rand, 1, 8);
      lines.push(`    ${id}:`);
      lines.push(`      event: ${pick(rand, TYPES)}`);
      if (hasValue) lines.push(`      value: ${pick(rand, ['event.x', 'event.x * 2 - 3', 'coalesce(event.x, 1)'])}`);
      if (rand() < 0.4) lines.push(`      where: event.k != "${pick(rand, KINDS)}"`);
      lines.push(`      functions: [${fns.join(', ')}]`);
      lines.push(`      over: ${buckets * randInt(rand, 1, 20)}m`);
      lines.push(`      buckets: ${buckets}`);
    }
  }
  lines.push('  patterns:');
  const nPat = randInt(rand, 1, opts.maxPatterns ?? 4);
  for (let p = 0; p < nPat; p++) {
    lines.push(`    j${p}:`);
    lines.push('      steps:');
    const k = randInt(rand, 1, 4);
    const steps: GenStep[] = [];
    let lastWasAbsence = false;
    for (let i = 0; i < k; i++) {
      const first = i === 0;
      const last = i === k - 1;
      const type = pick(rand, TYPES);
      const optional = !first && !last && !lastWasAbsence && rand() < 0.25;
      const r = rand();
      const times = r < 0.55 ? undefined : r < 0.7 ? String(randInt(rand, 2, 3)) : r < 0.85 ? `"${randInt(rand, 1, 3)}+"` : `"{${randInt(rand, 1, 2)},${randInt(rand, 2, 4)}}"`;
      const loops = times !== undefined && times !== '1';
      const name = `s${i}`;
      const captures = rand() < 0.4 ? ['x', 'k'].filter(() => rand() < 0.6) : [];
      const kw = first ? 'event' : rand() < 0.25 ? 'next' : 'followedBy';
      lines.push(`        - ${kw}: ${type}`);
      lines.push(`          as: ${name}`);
      const cond = condition(rand, steps.concat(rand() < 0.3 ? [{ name, type, optional, loops, captures }] : []), aggs);
      if (cond) lines.push(`          where: '${cond}'`);
      if (times) lines.push(`          times: ${times}`);
      if (optional) lines.push('          optional: true');
      if (loops && rand() < 0.2) lines.push('          consecutive: true');
      if (captures.length) lines.push(`          capture: [${captures.join(', ')}]`);
      steps.push({ name, type, optional, loops, captures });
      lastWasAbsence = false;
      if (!last && !optional && rand() < 0.2) {
        // an absence between this step and the next (the next must not be optional: decided above by lastWasAbsence)
        lines.push(`        - notFollowedBy: ${pick(rand, TYPES)}`);
        const c = condition(rand, steps, aggs);
        if (c) lines.push(`          where: '${c}'`);
        lastWasAbsence = true;
      }
    }
    if (rand() < 0.3) {
      const n = randInt(rand, 1, 2);
      const w = randInt(rand, 1, 40);
      for (let i = 0; i < n; i++) {
        lines.push(`        - notFollowedBy: ${pick(rand, TYPES)}`);
        const c = condition(rand, steps, aggs);
        if (c) lines.push(`          where: '${c}'`);
        lines.push(`          within: ${w}m`);
      }
    }
    lines.push(`      within: ${randInt(rand, 5, 90)}m`);
    if (rand() < 0.3) lines.push('      afterMatch: noSkip');
    if (rand() < 0.2) lines.push(`      maxPartialMatches: ${randInt(rand, 1, 5)}`);
  }
  return lines.join('\n') + '\n';
}

export type StreamItem =
  | { kind: 'event'; event: { type: string; time: number; x?: number | null; k?: string | null }; features?: Float32Array }
  | { kind: 'advance'; now: number };

/** A random stream: mostly increasing times with equal stamps, late events, idle gaps of days or months, advance calls. */
export function randomStream(rand: () => number, n: number, opts: { longGaps?: boolean } = {}): StreamItem[] {
  const out: StreamItem[] = [];
  let t = T0 + randInt(rand, 0, 1000) * MIN;
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (opts.longGaps && r < 0.01) t += randInt(rand, 20, 80) * 86_400_000 + randInt(rand, 0, 999);
    else if (r < 0.15) t += 0;
    else if (r < 0.2) t -= randInt(rand, 1, 15) * MIN; // late (maybe within the allowed lateness)
    else t += randInt(rand, 1, 12) * MIN + (rand() < 0.2 ? randInt(rand, 1, 999) : 0);
    if (rand() < 0.05) {
      out.push({ kind: 'advance', now: t + randInt(rand, 0, 60) * MIN });
      continue;
    }
    const event: { type: string; time: number; x?: number | null; k?: string | null } = { type: pick(rand, TYPES), time: Math.max(0, t) };
    if (rand() < 0.9) event.x = rand() < 0.1 ? null : randInt(rand, 0, 12) + (rand() < 0.3 ? 0.1 : 0);
    if (rand() < 0.9) event.k = pick(rand, KINDS);
    const item: StreamItem = { kind: 'event', event };
    if (rand() < 0.5) item.features = new Float32Array([randInt(rand, 0, 6)]);
    out.push(item);
  }
  return out;
}

/** The twin's view of an event of the test schema: attributes [x, k] as numbers. */
export function refAttributes(e: { x?: number | null; k?: string | null }): number[] {
  return [e.x === undefined || e.x === null ? NaN : e.x, e.k === undefined || e.k === null ? NaN : KINDS.indexOf(e.k as (typeof KINDS)[number])];
}
