/**
 * docs/operations.md "Extreme inputs" is this test's data: every row of the
 * table names a case (first column) and its documented result (the first
 * `token` of the last column), and every case here has a row. Tokens:
 *   `CODE`     the call throws a NextbestError with that code
 *   `missing`  the same result as the call without the value
 *   `same`     the same result as the call with the value the row names (case.baseline)
 *   `ignored`  the same result as the call without the key
 *   `ok`       the call returns, and the case's own check holds
 * Decisions are always checked: finite priorities, ranks 1..n.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../src/index.js';
import { encodeBundle } from '../src/bundle/codec.js';
import { decideLines } from '../src/cli/decide-lines.js';
import { runRowPipeline } from '../src/cli/rows.js';
import { ScoreRowTask } from '../src/cli/score.js';
import { TextOutput } from '../src/io/output.js';
import type { Pool } from '../src/pool/pool.js';
import { decidedRow } from '../src/pool/protocol.js';

const SPEC = `
bundle: extreme
version: "1"
features:
  x: numeric
  y: numeric
  cat: [a, b, c]
context:
  channel: [app, email]
events:
  pay:
    amount: numeric
    kind: [p, q]
    constructor: numeric
models:
  m:
    linear:
      intercept: 0.5
      link: logit
      weights: { x: 0.1, y: -0.1, cat: { a: 1, b: -1 } }
journeys:
  aggregates:
    spend:
      event: pay
      value: event.amount
      functions: [count, sum, max]
      over: 1h
      buckets: 4
  patterns:
    big:
      steps:
        - event: pay
          where: event.amount > 10 and isMissing(event.constructor)
actions:
  a0: { kind: sale, propensity: score.m, value: 10, channels: [app, email] }
  a1: { kind: service, propensity: 'x / 100', value: 5, channels: [app] }
  a2: { kind: sale, propensity: 0.5, value: 'y', channels: [email] }
`;

const NOW = 1_732_350_000_000;
const HUGE = 'h'.repeat(1 << 20);

function deepObject(n: number): unknown {
  let o: unknown = 1;
  for (let i = 0; i < n; i++) o = { a: o };
  return o;
}
function deepArray(n: number): unknown {
  let o: unknown = 1;
  for (let i = 0; i < n; i++) o = [o];
  return o;
}
function throwingGetter<T extends object>(base: T, key: string): T {
  return Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get() {
      throw new Error('getter failed');
    },
  });
}

let engine: Engine;
let n = 0;
/** A fresh customer per call, so cases do not share history. */
const fresh = () => `cust-${n++}`;

const score = (f: unknown) => Array.from(engine.score('m', f as never));
const decide = (features: unknown, context: unknown = { now: NOW }) => {
  const d = engine.decide({ features: features as never, context: context as never });
  return d.actions.map((a) => [a.id, a.channel, a.priority]);
};
/** Journey values of a new customer after one event (the event's own effect). */
const observe = (event: Record<string, unknown>) => {
  const id = fresh();
  const r = engine.observe(id, { type: 'pay', time: NOW, ...event } as never);
  return { matches: r.matches.map((m) => m.journey), values: engine.journeyValues(id, NOW) };
};
const observeRaw = (event: unknown) => engine.observe(fresh(), event as never).matches.length;
const record = (rec: Record<string, unknown>) => engine.record({ customerId: fresh(), actionId: 'a0', channel: 'app', outcome: 'impression', at: NOW, ...rec } as never);

function enginePool(e: Engine): Pool {
  return {
    schema: e.schema,
    modelIds: e.modelIds,
    numOutputs: (m: string) => e.modelTable(m).nOutputs,
    score: async (rows: Float32Array, k: number, o: { model: string }) => e.scoreBatch(o.model, rows.subarray(0, k * e.schema.size), k),
  } as unknown as Pool;
}

/** `nextbest score` on CSV or NDJSON text, in process: the NDJSON output rows. */
async function cliScore(text: string, format: 'csv' | 'ndjson', maxLineBytes = 1 << 20): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const output = TextOutput.lines((l) => lines.push(l), 'out');
  await runRowPipeline(new ScoreRowTask(enginePool(engine), 'm', {}), {
    input: (async function* () {
      yield Buffer.from(text);
    })(),
    inputSize: null,
    inputFormat: format,
    output,
    outputFormat: 'ndjson',
    errors: null,
    errorsFormat: 'ndjson',
    idColumn: 'id',
    idRequired: false,
    carry: [],
    ignoreUnknown: false,
    delimiter: 44,
    multiline: false,
    maxLineBytes,
    batchSize: 16,
    inFlight: 1,
    progress: null,
    warn: () => {},
  });
  await output.end();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** `nextbest decide` on one NDJSON line (what its workers run): the output row. */
function cliDecide(line: string): Record<string, unknown> {
  const r = decideLines(engine, { kind: 'decideLines', texts: [line], lines: Float64Array.of(1), idKey: 'customerId', carry: [], ignoreUnknown: false, unknownCategory: 'error' });
  return JSON.parse(decidedRow(r, 0)) as Record<string, unknown>;
}
/** A CLI row's outcome: its error code thrown as a NextbestError (so `CODE` rows read the same), or the row. */
function rowOutcome(row: Record<string, unknown>): Record<string, unknown> {
  const err = row.error as { code: string; message: string } | undefined;
  if (err) throw new NextbestError(err.code as never, err.message);
  return row;
}

interface Case {
  run: () => unknown;
  /** The call the result must equal (`missing`, `same`, `ignored`). */
  baseline?: () => unknown;
  /** What an `ok` result must satisfy. */
  check?: (v: unknown) => void;
}

const CASES: Record<string, Case> = {
  // ---- features (score, decide, observe's features, the CLIs' rows)
  'feature-nan': { run: () => score({ x: NaN }), baseline: () => score({}) },
  'feature-null': { run: () => score({ x: null, cat: undefined }), baseline: () => score({}) },
  'feature-inf': { run: () => score({ x: Infinity }), check: (v) => expect(v).toEqual([1]) },
  'feature-neg-inf': { run: () => score({ x: -Infinity }), check: (v) => expect(v).toEqual([0]) },
  'feature-inf-minus-inf': { run: () => score({ x: Infinity, y: Infinity }), check: (v) => expect(v).toEqual([NaN]) },
  'feature-1e308': { run: () => score({ x: 1e308 }), baseline: () => score({ x: Infinity }) },
  'feature-neg-zero': { run: () => score({ x: -0 }), baseline: () => score({ x: 0 }) },
  'feature-huge-string': { run: () => score({ x: HUGE }) },
  'category-huge-string': { run: () => score({ cat: HUGE }) },
  'category-nonfinite': { run: () => score({ cat: Infinity }) },
  'category-neg-zero': { run: () => score({ cat: -0 }), baseline: () => score({ cat: 'a' }) },
  'feature-deep-object': { run: () => score({ x: deepObject(100_000) }) },
  'feature-bigint-symbol': { run: () => score({ x: 10n }) },
  'feature-proto-key': { run: () => score(JSON.parse('{"__proto__": 1, "x": 2}')) },
  'feature-constructor-key': { run: () => score({ constructor: 1, x: 2 }) },
  'feature-inherited': { run: () => score(Object.create({ x: 5 })), baseline: () => score({}) },
  'features-sparse-array': { run: () => score([, , 1]) },
  'feature-getter-throws': { run: () => score(throwingGetter({ y: 1 }, 'x')) },
  'features-proxy-throws': {
    run: () =>
      score(
        new Proxy(
          {},
          {
            ownKeys() {
              throw new Error('trap');
            },
          },
        ),
      ),
  },
  'vector-nonfinite': { run: () => score(new Float32Array([Infinity, NaN, NaN])), baseline: () => score({ x: Infinity }) },
  // ---- decide
  'decide-feature-inf': {
    run: () => decide({ x: Infinity, y: 1 }, { now: NOW, channel: ['app', 'email'] }),
    check: (v) => {
      const ids = (v as [string][]).map((a) => a[0]);
      expect(ids).not.toContain('a1'); // x / 100 is an infinite propensity: dropped at stage propensity
      expect(ids).toContain('a0');
    },
  },
  'decide-value-nan': {
    run: () => decide({ y: NaN }, { now: NOW, channel: 'email' }),
    check: (v) => expect((v as [string][]).map((a) => a[0])).toEqual(['a0']),
  },
  'decide-value-1e308': {
    run: () => decide({ y: 1e308 }, { now: NOW, channel: 'email' }),
    check: (v) => expect((v as [string][]).map((a) => a[0])).toEqual(['a0']),
  },
  'now-nan': { run: () => decide({}, { now: NaN }) },
  'now-inf': { run: () => decide({}, { now: Infinity }) },
  'now-1e308': { run: () => decide({}, { now: 1e308 }) },
  'now-negative': { run: () => decide({}, { now: -1 }) },
  'now-neg-zero': { run: () => decide({}, { now: -0 }), baseline: () => decide({}, { now: 0 }) },
  'context-proto-key': { run: () => decide({}, JSON.parse(`{"now": ${NOW}, "__proto__": {"channel": "app"}}`)) },
  'context-constructor-key': { run: () => decide({}, { now: NOW, constructor: 1 }) },
  'context-getter-throws': { run: () => decide({}, throwingGetter({}, 'now')) },
  'channel-nonstring': { run: () => decide({}, { now: NOW, channel: NaN }) },
  'customer-id-huge': { run: () => engine.decide({ customerId: HUGE, features: {}, context: { now: NOW } }) },
  'customer-id-proto': {
    run: () => {
      engine.record({ customerId: '__proto__', actionId: 'a0', channel: 'app', outcome: 'impression', at: NOW });
      return engine.decide({ customerId: '__proto__', features: {}, context: { now: NOW } }).actions.length;
    },
    check: (v) => expect(v).toBeGreaterThan(0),
  },
  'decide-limit-nan': { run: () => engine.decide({ features: {}, context: { now: NOW } }, { limit: NaN }) },
  // ---- observe
  'event-time-nan': { run: () => observe({ time: NaN }) },
  'event-time-1e308': { run: () => observe({ time: 1e308 }) },
  'event-time-neg-zero': { run: () => observeRaw({ type: 'pay', time: -0, amount: 50 }), baseline: () => observeRaw({ type: 'pay', time: 0, amount: 50 }) },
  'event-attr-nan': { run: () => observe({ amount: NaN }), baseline: () => observe({}) },
  'event-attr-inf': {
    run: () => observe({ amount: Infinity }),
    check: (v) => {
      const r = v as { matches: string[]; values: Record<string, unknown> };
      expect(r.matches).toEqual(['big']);
      expect(r.values['journey.spend.sum']).toBe(Infinity);
    },
  },
  'event-attr-inf-minus-inf': {
    run: () => {
      const id = fresh();
      engine.observe(id, { type: 'pay', time: NOW, amount: Infinity });
      engine.observe(id, { type: 'pay', time: NOW, amount: -Infinity });
      return engine.journeyValues(id, NOW);
    },
    check: (v) => {
      const values = v as Record<string, number>;
      expect(values['journey.spend.count']).toBe(2);
      expect(values['journey.spend.sum']).toBeNaN();
      expect(values['journey.spend.max']).toBe(Infinity);
    },
  },
  'event-attr-huge-string': { run: () => observe({ kind: HUGE }) },
  'event-attr-deep': { run: () => observe({ amount: deepArray(100_000) }) },
  'event-unknown-key': { run: () => observe({ amount: 50, note: deepObject(1000), __proto__x: 1 }), baseline: () => observe({ amount: 50 }) },
  'event-proto-key': { run: () => observeRaw(JSON.parse(`{"type":"pay","time":${NOW},"__proto__":{"amount":50}}`)), baseline: () => observeRaw({ type: 'pay', time: NOW }) },
  'event-attr-named-constructor': { run: () => observe({ amount: 50 }), check: (v) => expect((v as { matches: string[] }).matches).toEqual(['big']) },
  'event-type-proto': { run: () => observeRaw({ type: '__proto__', time: NOW }) },
  'event-getter-throws': { run: () => observeRaw(throwingGetter({ type: 'pay', time: NOW }, 'amount')) },
  // ---- record
  'record-at-nan': { run: () => record({ at: NaN }) },
  'record-at-1e308': { run: () => record({ at: 1e308 }) },
  'record-action-proto': { run: () => record({ actionId: '__proto__' }) },
  'record-outcome-proto': { run: () => record({ outcome: 'constructor' }) },
  'record-getter-throws': { run: () => engine.record(throwingGetter({ customerId: 'c', actionId: 'a0', channel: 'app', at: NOW }, 'outcome') as never) },
  // ---- the CLIs (nextbest score / decide rows)
  'csv-cell-inf': { run: async () => (await cliScore('x\ninf\n', 'csv')).map(rowOutcome).map((r) => r.score), baseline: async () => (await cliScore('x\n1e999\n', 'csv')).map((r) => r.score) },
  'csv-cell-missing': { run: async () => (await cliScore('x,cat\nNA,\n', 'csv')).map(rowOutcome).map((r) => Math.fround(r.score as number)), baseline: () => score({}) },
  'csv-cell-huge': { run: async () => (await cliScore(`x\n${'9'.repeat(5000)}\n`, 'csv', 1024)).map(rowOutcome) },
  'ndjson-1e999': { run: async () => (await cliScore('{"x": 1e999}\n', 'ndjson')).map(rowOutcome).map((r) => Math.fround(r.score as number)), baseline: () => score({ x: Infinity }) },
  'ndjson-deep': { run: async () => (await cliScore(`{"x": ${'['.repeat(200_000)}}\n`, 'ndjson')).map(rowOutcome) },
  'ndjson-proto-key': { run: async () => (await cliScore('{"__proto__": {"x": 1}}\n', 'ndjson')).map(rowOutcome) },
  'ndjson-decide-proto-features': { run: () => rowOutcome(cliDecide(`{"features": {"__proto__": {"x": 1}}, "context": {"now": ${NOW}}}`)) },
  'ndjson-decide-now-huge': { run: () => rowOutcome(cliDecide(`{"features": {}, "context": {"now": 1e999}}`)) },
};

/** The rows of the "Extreme inputs" table: case id and expected token. */
function tableRows(): { id: string; token: string; line: string }[] {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'operations.md'), 'utf8');
  const start = doc.indexOf('\n## Extreme inputs');
  expect(start, 'docs/operations.md has a section "## Extreme inputs"').toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 5);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const rows: { id: string; token: string; line: string }[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^`[a-z0-9-]+`$/.test(cells[1]!)) continue;
    const result = cells[cells.length - 2]!;
    const token = /`([A-Za-z_]+)`/.exec(result)?.[1];
    expect(token, `row ${cells[1]} states a result token`).toBeDefined();
    rows.push({ id: cells[1]!.slice(1, -1), token: token!, line });
  }
  return rows;
}

async function outcome(f: () => unknown): Promise<{ value?: unknown; code?: string; error?: unknown }> {
  try {
    return { value: await f() };
  } catch (e) {
    return e instanceof NextbestError ? { code: e.code, error: e } : { error: e };
  }
}

describe('extreme inputs (docs/operations.md is the table of this test)', () => {
  beforeAll(async () => {
    engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(SPEC, 'extreme.yaml'))), { wasm: 'debug' });
  });

  it('every row has a case and every case a row', () => {
    const ids = tableRows().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.keys(CASES).sort());
  });

  it('every row: the documented result, a typed error or a value, never a crash', async () => {
    const wrong: string[] = [];
    for (const row of tableRows()) {
      try {
        await checkRow(row, CASES[row.id]!);
      } catch (e) {
        wrong.push(String((e as Error).message).split('\n').slice(0, 6).join('\n'));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('decisions on every documented input keep finite priorities', () => {
    for (const x of [NaN, Infinity, -Infinity, 1e308, -1e308, -0, 5e-324]) {
      for (const y of [NaN, Infinity, -Infinity, 1e308, -0]) {
        const d = engine.decide({ features: { x, y }, context: { now: NOW, channel: ['app', 'email'] } }, { explain: true });
        for (const a of d.actions) expect(Number.isFinite(a.priority), `x=${x} y=${y} ${a.id}`).toBe(true);
      }
    }
  });
});

async function checkRow(row: { id: string; token: string; line: string }, c: Case): Promise<void> {
  const got = await outcome(c.run);
  const where = `${row.id}: ${row.line}`;
  if (got.error !== undefined && got.code === undefined) throw new Error(`${where}\n  threw an untyped ${String((got.error as Error)?.stack ?? got.error)}`);
  if (/^[A-Z_]+$/.test(row.token)) {
    expect(got.code, `${where}\n  returned ${JSON.stringify(got.value)}`).toBe(row.token);
    return;
  }
  expect(got.code, `${where}\n  threw ${(got.error as Error)?.message}`).toBeUndefined();
  if (row.token === 'ok') {
    expect(c.check, `${where}: an ok row needs a check`).toBeDefined();
    c.check!(got.value);
  } else {
    expect(['missing', 'same', 'ignored'], where).toContain(row.token);
    expect(c.baseline, `${where}: a ${row.token} row needs a baseline`).toBeDefined();
    expect(got.value, where).toEqual(await c.baseline!());
  }
  if (Array.isArray(got.value) && got.value.every((x) => typeof x === 'number')) finiteScoresOrMissing(got.value as number[]);
}

/** Scores are numbers in [0, 1] or NaN (a missing margin); never out of range. */
function finiteScoresOrMissing(v: number[]): void {
  for (const x of v) if (!Number.isNaN(x)) expect(x >= 0 && x <= 1).toBe(true);
}
