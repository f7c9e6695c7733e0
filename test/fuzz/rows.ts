/**
 * Fuzz targets for the CLI's input parsers, in process: `nextbest score`'s
 * row pipeline (runRowPipeline with the real ScoreRowTask: line splitting in
 * random chunks, CSV records and headers, NDJSON records, the feature
 * encoder, output rows) over an engine instead of a worker pool, and
 * `nextbest decide`'s per-line work (decideLines, what the workers run).
 * Besides "typed errors only", the output is checked: one output row per
 * counted row, each a JSON object naming its line (NDJSON output).
 */
import { ErrorCodes } from '../../src/errors.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { compileSpec } from '../../src/compile/spec.js';
import { SpecSource } from '../../src/compile/source.js';
import { Engine } from '../../src/engine.js';
import { ScoreRowTask } from '../../src/cli/score.js';
import { runRowPipeline } from '../../src/cli/rows.js';
import { decideLines } from '../../src/cli/decide-lines.js';
import { decidedRow } from '../../src/pool/protocol.js';
import { TextOutput } from '../../src/io/output.js';
import type { Pool } from '../../src/pool/pool.js';
import { EDGE_NUMBERS, int, mutateText, pick, type Rand } from './mutate.js';
import { FuzzFailure, type Target } from './targets.js';

const ROWS_SPEC = `
bundle: rows
version: "1"
features:
  x0: numeric
  x1: numeric
  cat: [a, b, c]
context:
  channel: [app, email]
models:
  m:
    linear:
      intercept: 0.5
      link: logit
      weights: { x0: 0.1, x1: -0.2, cat: { a: 1, b: -1 } }
actions:
  a0: { kind: sale, propensity: score.m, value: 10, channels: [app, email] }
  a1: { kind: service, propensity: 'x0 / 100', eligibility: 'cat != "c"', channels: [app] }
`;

let engine: Engine | undefined;

export async function rowsEngine(): Promise<Engine> {
  engine ??= await Engine.load(encodeBundle(compileSpec(new SpecSource(ROWS_SPEC, 'rows.yaml'))), { wasm: 'debug' });
  return engine;
}

const COLUMNS = ['id', 'x0', 'x1', 'cat', 'note'];
const CELLS = ['', '1', '-2.5', '1e3', '1e999', '-1e999', 'NaN', 'nan', 'inf', '-inf', 'Infinity', 'NA', 'N/A', 'null', 'true', 'false', '-0', '0x10', ' 3', '3 ', 'a', 'b', 'c', 'z', '"a"', '"1,5"', '"x""y"', '"', '1e308', '5e-324', '__proto__'];

function csvText(rand: Rand): string {
  const cols = COLUMNS.filter(() => rand() < 0.75);
  if (cols.length === 0) cols.push('x0');
  const lines = [cols.join(',')];
  for (let r = int(rand, 0, 6); r > 0; r--) lines.push(cols.map((c) => (c === 'id' ? `c${int(rand, 0, 9)}` : pick(rand, CELLS))).join(','));
  return lines.join(pick(rand, ['\n', '\r\n'])) + (rand() < 0.7 ? '\n' : '');
}

function jsonValue(rand: Rand, depth = 0): unknown {
  const r = rand();
  if (r < 0.3) return pick(rand, EDGE_NUMBERS.filter(Number.isFinite));
  if (r < 0.5) return pick(rand, ['a', 'b', 'c', 'z', '', '__proto__']);
  if (r < 0.6) return pick(rand, [null, true, false]);
  if (r < 0.7 && depth < 3) return [jsonValue(rand, depth + 1)];
  if (r < 0.75 && depth < 3) return { k: jsonValue(rand, depth + 1) };
  return int(rand, -10, 60);
}

function requestLine(rand: Rand): string {
  const features: Record<string, unknown> = {};
  for (const f of ['x0', 'x1', 'cat']) if (rand() < 0.8) features[f] = f === 'cat' && rand() < 0.7 ? pick(rand, ['a', 'b', 'c']) : jsonValue(rand);
  // a row of `nextbest score` (flat: id and features), or a request of `nextbest decide`
  if (rand() < 0.4) return JSON.stringify({ id: `c${int(rand, 0, 9)}`, ...features });
  const req: Record<string, unknown> = { features, context: { now: rand() < 0.9 ? 1_732_350_000_000 : jsonValue(rand), ...(rand() < 0.7 ? { channel: pick(rand, ['app', 'email', 'fax']) } : {}) } };
  if (rand() < 0.7) req.customerId = `c${int(rand, 0, 9)}`;
  if (rand() < 0.1) req.state = pick(rand, ['AAAA', 'not base64', '']);
  let text = JSON.stringify(req);
  // prototype keys as JSON.parse reads them: own properties named __proto__ / constructor
  if (rand() < 0.15) text = text.replace('"features":{', `"features":{"${pick(rand, ['__proto__', 'constructor'])}":${pick(rand, ['1', '{}', 'null', '"a"'])},`);
  if (rand() < 0.05) text = '['.repeat(int(rand, 1, 5000)) + text;
  return text;
}

function ndjsonText(rand: Rand): string {
  const n = int(rand, 1, 6);
  return Array.from({ length: n }, () => requestLine(rand)).join('\n') + '\n';
}

/** An engine-backed stand-in for the worker pool: what ScoreRowTask asks of a pool. */
function enginePool(e: Engine): Pool {
  return {
    schema: e.schema,
    modelIds: e.modelIds,
    numOutputs: (m: string) => e.modelTable(m).nOutputs,
    score: async (rows: Float32Array, n: number, o: { model: string }) => e.scoreBatch(o.model, rows.subarray(0, n * Math.max(1, e.schema.size)), n),
  } as unknown as Pool;
}

async function* chunks(rand: Rand, text: string): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < bytes.length) {
    const n = int(rand, 1, Math.max(1, Math.min(64, bytes.length - at)));
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function scorePipeline(text: string, format: 'csv' | 'ndjson', rand: Rand, seen: (code: string) => void): Promise<void> {
  const e = await rowsEngine();
  const task = new ScoreRowTask(enginePool(e), 'm', { ignoreUnknown: rand() < 0.5, unknownCategory: rand() < 0.5 ? 'error' : 'missing' });
  const outputFormat = rand() < 0.5 ? 'csv' : 'ndjson';
  const lines: string[] = [];
  const output = TextOutput.lines((l) => lines.push(l), 'fuzz-out');
  const r = await runRowPipeline(task, {
    input: chunks(rand, text),
    inputSize: null,
    inputFormat: format,
    output,
    outputFormat,
    errors: null,
    errorsFormat: outputFormat,
    idColumn: 'id',
    idRequired: false,
    carry: format === 'csv' && rand() < 0.3 ? ['note'] : [],
    ignoreUnknown: rand() < 0.5,
    delimiter: 44,
    multiline: rand() < 0.5,
    maxLineBytes: pick(rand, [32, 4096, 1 << 20]),
    batchSize: int(rand, 1, 4),
    inFlight: int(rand, 1, 2),
    progress: null,
    warn: () => {},
  });
  await output.end();
  if (r.rejected > 0) seen('ROWS_REJECTED');
  const rows = outputFormat === 'csv' ? lines.length - (lines.length > 0 ? 1 : 0) : lines.length;
  if (rows !== r.ok + r.rejected) throw new FuzzFailure(`${rows} output rows for ${r.ok} ok and ${r.rejected} rejected rows`);
  if (outputFormat === 'ndjson') {
    for (const l of lines) {
      const o = JSON.parse(l) as { line?: unknown };
      if (typeof o.line !== 'number') throw new FuzzFailure(`an output row without its line: ${l.slice(0, 200)}`);
    }
  }
}

/** CSV input of `nextbest score`: header and rows with edge cells, mutated as text, read in random chunks. */
export const csvTarget: Target = {
  name: 'csv',
  kind: 'text',
  generate(rand) {
    const text = csvText(rand);
    return rand() < 0.2 ? text : mutateText(rand, text, 4, [',', '"', '""', '\n', '\r', 'NaN', 'inf', '-inf', '1e999', 'NA', '\uFEFF', 'id', 'x0']);
  },
  run: (input, rand, seen) => scorePipeline(input as string, 'csv', rand, seen),
};

/** NDJSON requests: through `nextbest score`'s pipeline and `nextbest decide`'s per-line work (decideLines). */
export const ndjsonTarget: Target = {
  name: 'ndjson',
  kind: 'text',
  generate(rand) {
    const text = ndjsonText(rand);
    return rand() < 0.2 ? text : mutateText(rand, text, 4, ['{', '}', '"__proto__":', '"constructor":', '[[[[', '1e999', '-0', 'null', '\n', '"features":', '"context":']);
  },
  async run(input, rand, seen) {
    const text = input as string;
    await scorePipeline(text, 'ndjson', rand, seen);
    const e = await rowsEngine();
    const texts = text.split('\n').filter((l) => l.trim().length > 0);
    const r = decideLines(e, {
      kind: 'decideLines',
      texts,
      lines: Float64Array.from(texts, (_, i) => i + 1),
      idKey: 'customerId',
      carry: [],
      ignoreUnknown: rand() < 0.5,
      unknownCategory: rand() < 0.5 ? 'error' : 'missing',
      explain: rand() < 0.3,
      ...(rand() < 0.5 ? { seed: int(rand, 0, 1000) } : {}),
    });
    if (r.ends.length !== texts.length || r.failed.length !== texts.length) throw new FuzzFailure(`decideLines wrote ${r.ends.length} rows for ${texts.length} lines`);
    if (texts.length > 0 && r.ends[texts.length - 1] !== r.out.length) throw new FuzzFailure(`decideLines rows end at ${r.ends[texts.length - 1]}, the text at ${r.out.length}`);
    for (let k = 0; k < texts.length; k++) {
      const row = decidedRow(r, k);
      if (!row.endsWith('\n')) throw new FuzzFailure(`decideLines row ${k} does not end its line`);
      const o = JSON.parse(row) as { line?: number; error?: { code: string }; actions?: { priority: number }[] };
      if (o.line !== k + 1) throw new FuzzFailure(`decideLines row ${k} names line ${o.line}`);
      if (o.error) {
        if (!(o.error.code in ERROR_CODES_OR_INPUT)) throw new FuzzFailure(`decideLines row ${k}: unexpected error code ${o.error.code}`);
        seen(o.error.code);
      } else if (!Array.isArray(o.actions) || o.actions.some((a) => !Number.isFinite(a.priority))) {
        throw new FuzzFailure(`decideLines row ${k}: ${row.slice(0, 200)}`);
      }
    }
  },
};

/** Codes an error row may carry: any typed code but a kernel failure. */
const ERROR_CODES_OR_INPUT: Record<string, true> = Object.fromEntries(
  Object.keys(ErrorCodes)
    .filter((c) => c !== 'WASM_ABORT' && c !== 'WASM_TRAP')
    .map((c) => [c, true]),
);
