/**
 * `nextbest score`: scores a CSV or NDJSON stream with one model of a bundle
 * on a worker pool, in constant memory, writing one output row or one error
 * row per input row, in input order.
 *
 * Input values:
 * - CSV: a header row names the columns, in any order. Numeric cells: decimal
 *   or exponent notation, true/false (1/0), inf; empty, NA, NaN, null and N/A
 *   are missing. Categorical cells are category strings compared exactly
 *   (empty is missing); a categorical feature without a dictionary takes its
 *   integer code. Features absent from the header are missing in every row.
 *   A header column that is not a feature, the id or a --columns column is an
 *   error unless --ignore-unknown.
 * - NDJSON: one object per line, feature name -> number | string (category) |
 *   boolean | null (missing); absent features are missing; a key that is not a
 *   feature (nor the id, nor a --columns key) rejects the row unless
 *   --ignore-unknown.
 *
 * Output: `line` (the input line of the row), the id when the input has one,
 * the --columns values, then `score` (one output) or `score_0..score_k-1`
 * (NDJSON: "score": [..]); scores are float32 values in their shortest exact
 * decimal form. Error rows carry `error_code` and `error_message` (NDJSON:
 * "error": { code, message }) and go to the output unless --errors names a file.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { NextbestError } from '../errors.js';
import { Pool } from '../pool/pool.js';
import type { EncodeOptions, FeatureSchema } from '../runtime/features.js';
import { parseNumberCell, formatF32, jsonF32 } from '../io/values.js';
import { TextOutput } from '../io/output.js';
import { Progress, summaryLine, timingsLine } from './progress.js';
import { RowBatch, runRowPipeline, type RowFormat, type RowTask } from './rows.js';
import type { CliIO } from './main.js';

/** Exit code when some rows were rejected (their error rows were written); 0 means every row was scored. */
export const EXIT_ROWS_REJECTED = 3;

export const SCORE_USAGE = `  nextbest score --bundle B --input IN [options]
                                        score a CSV/NDJSON stream on a worker pool
      --bundle, -b B        the bundle (.nbb)
      --model, -m M         model id (default: the bundle's only model)
      --trusted-key PUB.pem only run the bundle if signed by this key (repeatable)
      --input, -i IN        rows.csv | rows.ndjson | - (stdin)
      --output, -o OUT      out.csv | out.ndjson | - (stdout, the default)
      --errors FILE         write error rows here instead of into the output
      --threads, -t N       worker threads (default: available cores)
      --id NAME             id column/key copied to the output (default: id, when present)
      --columns A,B         more input columns/keys copied to the output
      --ignore-unknown      drop columns/keys that are not features instead of rejecting
      --unknown-category error|missing
                            a category not in the dictionary rejects the row (default) or is missing
      --input-format csv|ndjson, --output-format csv|ndjson
                            when the file extension does not say (stdin, stdout)
      --delimiter C         CSV field delimiter (default , ; tab for .tsv)
      --multiline           allow quoted CSV fields that span lines
      --batch-size N        rows per batch (default 4096)
      --max-line-bytes N    longer lines are rejected (default 1048576)
      --progress / --quiet  force the progress bar on / no progress, warnings or summary
      --timings             after the summary, where the time went (parse, workers, format, write)
    exit: 0 every row scored, ${EXIT_ROWS_REJECTED} some rows rejected (see the error rows), 1 failure, 2 usage
`;

function intArg(v: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < lo || n > hi) {
    throw new NextbestError('ARGUMENT_INVALID', `--${name} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function formatOf(path: string, flag: string | undefined, flagName: string, fallback: RowFormat | null): RowFormat {
  if (flag !== undefined) {
    if (flag !== 'csv' && flag !== 'ndjson') throw new NextbestError('ARGUMENT_INVALID', `--${flagName} must be csv or ndjson, got ${JSON.stringify(flag)}`);
    return flag;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (fallback !== null) return fallback;
  throw new NextbestError('ARGUMENT_INVALID', `cannot tell the format of ${path} from its extension (.csv, .tsv, .ndjson, .jsonl); pass --${flagName}`);
}

function delimiterOf(v: string | undefined, input: string): number {
  if (v === undefined) return extname(input).toLowerCase() === '.tsv' ? 9 : 44;
  const c = v === '\\t' || v === 'tab' ? '\t' : v;
  if (c.length !== 1 || c === '"' || c === '\n' || c === '\r') {
    throw new NextbestError('ARGUMENT_INVALID', `--delimiter must be one character other than a quote or a line break, got ${JSON.stringify(v)}`);
  }
  return c.charCodeAt(0);
}

class ScoreRows extends RowBatch {
  readonly rows: Float32Array;
  out: Float32Array | null = null;
  constructor(capacity: number, stride: number) {
    super();
    this.rows = new Float32Array(capacity * Math.max(1, stride));
  }
}

/** How rows become feature vectors, and scores become text. */
export class ScoreRowTask implements RowTask<ScoreRows> {
  readonly verb = 'scored';
  readonly resultColumns: readonly string[];
  private readonly pool: Pool;
  private readonly model: string;
  private readonly schema: FeatureSchema;
  private readonly stride: number;
  private readonly width: number;
  private readonly encode: EncodeOptions;
  /** CSV: (column, feature) pairs read from each record. */
  private csvCols: Int32Array = new Int32Array(0);
  private csvFeatures: Int32Array = new Int32Array(0);

  constructor(pool: Pool, model: string, encode: EncodeOptions) {
    this.pool = pool;
    this.model = model;
    this.schema = pool.schema;
    this.stride = pool.schema.size;
    this.width = pool.numOutputs(model);
    this.encode = encode;
    this.resultColumns = this.width === 1 ? ['score'] : Array.from({ length: this.width }, (_, i) => `score_${i}`);
  }

  newBatch(capacity: number): ScoreRows {
    return new ScoreRows(capacity, this.stride);
  }

  bindCsvHeader(names: readonly string[]): { used: boolean[]; notes: string[] } {
    const cols: number[] = [];
    const feats: number[] = [];
    const present = new Set<number>();
    const used = names.map((name, j) => {
      const f = this.schema.indexOf(name);
      if (f < 0) return false;
      cols.push(j);
      feats.push(f);
      present.add(f);
      return true;
    });
    this.csvCols = Int32Array.from(cols);
    this.csvFeatures = Int32Array.from(feats);
    const absent = this.schema.names.filter((_, f) => !present.has(f));
    const notes =
      absent.length === 0
        ? []
        : [`note: ${absent.length} of the bundle's ${this.stride} features are not in the input and are scored as missing: ${absent.slice(0, 8).join(', ')}${absent.length > 8 ? ', ...' : ''}`];
    return { used, notes };
  }

  encodeCsv(batch: ScoreRows, fields: readonly string[]): void {
    const rows = batch.rows;
    const base = batch.ok * this.stride;
    rows.fill(NaN, base, base + this.stride);
    for (let c = 0; c < this.csvCols.length; c++) {
      const f = this.csvFeatures[c]!;
      const cell = fields[this.csvCols[c]!]!;
      if (!this.schema.isCategorical(f)) {
        const v = parseNumberCell(cell);
        if (v === undefined) {
          throw new NextbestError('FEATURE_TYPE', `feature "${this.schema.names[f]}" is numeric: ${JSON.stringify(cell.slice(0, 40))} is not a number`, {
            feature: this.schema.names[f],
          });
        }
        rows[base + f] = v;
      } else if (cell.length > 0) {
        rows[base + f] = this.category(f, cell, true);
      }
    }
  }

  encodeJson(batch: ScoreRows, obj: Record<string, unknown>, reserved: ReadonlySet<string>): void {
    const rows = batch.rows;
    const base = batch.ok * this.stride;
    rows.fill(NaN, base, base + this.stride);
    for (const key in obj) {
      const f = this.schema.indexOf(key);
      if (f < 0) {
        if (reserved.has(key) || this.encode.ignoreUnknown) continue;
        throw new NextbestError(
          'FEATURE_UNKNOWN',
          `unknown feature "${key.slice(0, 64)}" (not in the bundle's schema); pass --ignore-unknown to skip such keys or --columns to copy them to the output`,
          { feature: key.slice(0, 64) },
        );
      }
      const v = obj[key];
      rows[base + f] = typeof v === 'string' && this.schema.isCategorical(f) ? this.category(f, v, false) : this.schema.encodeValue(f, v, this.encode);
    }
  }

  /** A category string as its code; CSV cells of a feature without a dictionary may hold the integer code. */
  private category(f: number, value: string, fromCsv: boolean): number {
    const code = this.schema.categoryCode(f, value);
    if (code >= 0) return code;
    const def = this.schema.defs[f]!;
    if (def.categories === undefined) {
      if (fromCsv && /^\d{1,7}$/.test(value)) return this.schema.encodeValue(f, Number(value));
      return this.schema.encodeValue(f, value, this.encode);
    }
    if (this.encode.unknownCategory === 'missing') return NaN;
    throw new NextbestError(
      'FEATURE_CATEGORY',
      `feature "${def.name}": ${JSON.stringify(value.slice(0, 64))} is not one of its ${def.categories.length} categories (pass --unknown-category missing to score it as missing)`,
      { feature: def.name },
    );
  }

  async run(batch: ScoreRows): Promise<void> {
    batch.out = await this.pool.score(batch.rows, batch.ok, { model: this.model });
  }

  csvResult(batch: ScoreRows, k: number, delimiter: string): string {
    const out = batch.out!;
    if (this.width === 1) return formatF32(out[k]!);
    let s = formatF32(out[k * this.width]!);
    for (let i = 1; i < this.width; i++) s += delimiter + formatF32(out[k * this.width + i]!);
    return s;
  }

  jsonResult(batch: ScoreRows, k: number): string {
    const out = batch.out!;
    if (this.width === 1) return '"score":' + jsonF32(out[k]!);
    let s = '"score":[' + jsonF32(out[k * this.width]!);
    for (let i = 1; i < this.width; i++) s += ',' + jsonF32(out[k * this.width + i]!);
    return s + ']';
  }
}

export async function scoreCommand(args: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      bundle: { type: 'string', short: 'b' },
      model: { type: 'string', short: 'm' },
      'trusted-key': { type: 'string', multiple: true },
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      errors: { type: 'string' },
      threads: { type: 'string', short: 't' },
      id: { type: 'string' },
      columns: { type: 'string' },
      'ignore-unknown': { type: 'boolean' },
      'unknown-category': { type: 'string' },
      'input-format': { type: 'string' },
      'output-format': { type: 'string' },
      delimiter: { type: 'string' },
      multiline: { type: 'boolean' },
      'batch-size': { type: 'string' },
      'max-line-bytes': { type: 'string' },
      progress: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      timings: { type: 'boolean' },
    },
  });
  void positionals;
  if (v.bundle === undefined) throw new NextbestError('ARGUMENT_INVALID', 'score needs --bundle B');
  if (v.input === undefined) throw new NextbestError('ARGUMENT_INVALID', 'score needs --input rows.csv|rows.ndjson (or - for stdin)');
  const threads = intArg(v.threads, 'threads', 1, 256, Math.max(1, availableParallelism()));
  const batchSize = intArg(v['batch-size'], 'batch-size', 1, 1 << 20, 4096);
  const maxLineBytes = intArg(v['max-line-bytes'], 'max-line-bytes', 16, 1 << 30, 1 << 20);
  const unknownCategory = v['unknown-category'] ?? 'error';
  if (unknownCategory !== 'error' && unknownCategory !== 'missing') {
    throw new NextbestError('ARGUMENT_INVALID', `--unknown-category must be error or missing, got ${JSON.stringify(unknownCategory)}`);
  }
  const stdin = v.input === '-';
  const inputFormat = formatOf(v.input, v['input-format'], 'input-format', null);
  const toStdout = v.output === undefined || v.output === '-';
  const outputFormat = formatOf(toStdout ? '' : v.output!, v['output-format'], 'output-format', toStdout ? inputFormat : null);
  const errorsFormat = v.errors === undefined ? outputFormat : formatOf(v.errors, undefined, 'output-format', outputFormat);
  const delimiter = delimiterOf(v.delimiter, v.input);
  const carry = v.columns === undefined ? [] : v.columns.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  if (new Set(carry).size !== carry.length) throw new NextbestError('ARGUMENT_INVALID', '--columns names a column twice');
  const quiet = v.quiet === true;
  const warn = quiet ? () => {} : (line: string) => io.err(line);

  let inputSize: number | null = null;
  if (!stdin) {
    try {
      inputSize = (await stat(v.input)).size;
    } catch (e) {
      throw new NextbestError('IO_FAILED', `cannot read input ${v.input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const input = stdin ? (io.stdin ?? process.stdin) : createReadStream(v.input, { highWaterMark: 1 << 18 });

  const trustedKeys = v['trusted-key']?.map((k) => {
    try {
      return readFileSync(k, 'utf8');
    } catch (e) {
      throw new NextbestError('IO_FAILED', `cannot read key ${k}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  const pool = await Pool.create({ bundle: v.bundle, threads, ...(trustedKeys ? { trustedKeys } : {}) });
  let output: TextOutput | null = null;
  let errors: TextOutput | null = null;
  try {
    const model = v.model ?? (pool.modelIds.length === 1 ? pool.modelIds[0]! : undefined);
    if (model === undefined || !pool.modelIds.includes(model)) {
      throw new NextbestError(
        'MODEL_UNKNOWN',
        model === undefined
          ? `the bundle holds ${pool.modelIds.length} models (${pool.modelIds.join(', ')}); pass --model`
          : `no model "${model}" in the bundle; it has: ${pool.modelIds.join(', ')}`,
      );
    }
    output = toStdout ? (io.stdout ? new TextOutput(io.stdout, 'stdout', false) : TextOutput.lines(io.out, 'stdout')) : TextOutput.file(v.output!);
    errors = v.errors === undefined ? null : TextOutput.file(v.errors);
    const showProgress = !quiet && (v.progress === true || io.stderr?.isTTY === true);
    const stderr = io.stderr;
    const progress = showProgress
      ? new Progress(
          {
            redraw: stderr?.isTTY ? (line) => stderr.write(`\r\x1b[2K${line}`) : null,
            line: (line) => io.err(line),
          },
          inputSize,
        )
      : null;
    const task = new ScoreRowTask(pool, model, { ignoreUnknown: v['ignore-unknown'] === true, unknownCategory });
    const started = performance.now();
    const counts = await runRowPipeline(task, {
      input,
      inputSize,
      inputFormat,
      output,
      outputFormat,
      errors,
      errorsFormat,
      idColumn: v.id ?? 'id',
      idRequired: v.id !== undefined,
      carry,
      ignoreUnknown: v['ignore-unknown'] === true,
      delimiter,
      multiline: v.multiline === true,
      maxLineBytes,
      batchSize,
      inFlight: Math.max(2, threads * 2),
      progress,
      warn,
    }).catch((e: unknown) => {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (!(e instanceof NextbestError) && typeof code === 'string' && code.startsWith('E')) {
        throw new NextbestError('IO_FAILED', `cannot read input ${v.input}: ${code}`, undefined, { cause: e });
      }
      throw e;
    });
    await output.end();
    await errors?.end();
    progress?.finish();
    const elapsed = (performance.now() - started) / 1000;
    if (!quiet) io.err(summaryLine(task.verb, counts, elapsed));
    if (v.timings === true) io.err(timingsLine(counts.timings, elapsed, pool.stats().workerComputeMs, threads));
    await pool.close();
    return counts.rejected > 0 ? EXIT_ROWS_REJECTED : 0;
  } finally {
    output?.abort();
    errors?.abort();
    await pool.destroy();
    if (!stdin) (input as { destroy?: () => void }).destroy?.();
  }
}
