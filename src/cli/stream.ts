/**
 * What `nextbest score` and `nextbest decide` share: their common options
 * and usage lines, argument checks, the bundle's worker pool, input and
 * output streams, the progress bar, the row pipeline (rows.ts), the summary
 * and the exit code. A command brings its own options and its RowTask.
 *
 * Exit codes: 0 every row done, 3 some rows rejected (their error rows were
 * written), 1 failure, 2 usage.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { NextbestError } from '../errors.js';
import { DEFAULT_LIMITS, LIMIT_CEILINGS } from '../limits.js';
import { Pool } from '../pool/pool.js';
import type { EncodeOptions } from '../runtime/features.js';
import { TextOutput } from '../io/output.js';
import { Progress, summaryLine, timingsLine } from './progress.js';
import { runRowPipeline, type RowBatch, type RowFormat, type RowTask } from './rows.js';
import type { CliIO } from './main.js';

/** Exit code when some rows were rejected (their error rows were written); 0 means every row was done. */
export const EXIT_ROWS_REJECTED = 3;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
/** Parsed option values (strings, booleans, repeated strings). */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Options every streaming command takes. */
const COMMON_OPTIONS: OptionsConfig = {
  bundle: { type: 'string', short: 'b' },
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
  'batch-size': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  progress: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  timings: { type: 'boolean' },
};

/** Usage lines of the common options, after a command's own (bundle, input, output come first). */
export const COMMON_USAGE = {
  bundle: `      --bundle, -b B        the bundle (.nbb)
      --trusted-key PUB.pem only run the bundle if signed by this key (repeatable)
`,
  outputs: `      --errors FILE         write error rows here instead of into the output
      --threads, -t N       worker threads (default: available cores)
`,
  rest: `      --ignore-unknown      drop keys that are not features instead of rejecting the row
      --unknown-category error|missing
                            a category not in the dictionary rejects the row (default) or is missing
      --batch-size N        rows per batch (default 4096)
      --max-line-bytes N    longer lines are rejected (default 1048576)
      --progress / --quiet  force the progress bar on / no progress, warnings or summary
      --timings             after the summary, where the time went (parse, workers, format, write)
    exit: 0 every row done, ${EXIT_ROWS_REJECTED} some rows rejected (see the error rows), 1 failure, 2 usage
`,
};

export function intArg(v: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
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

/** A streaming command: its name, own options, formats, and the task that gives rows their meaning. */
export interface StreamCommand<B extends RowBatch> {
  name: string;
  /** Options beyond the common ones. */
  options: OptionsConfig;
  /** What --input takes, for the message when it is missing. */
  inputHint: string;
  /** Formats the command reads and writes; a CSV-capable task reads --delimiter and --multiline. */
  formats: readonly RowFormat[];
  /** The id key copied to every output row when present (--id overrides). */
  defaultId: string;
  /** Checks the command's own options (before the pool starts). */
  check?(v: OptionValues): void;
  /** The task over the started pool (the pipeline's id key and carried keys, for tasks that write whole rows). */
  task(pool: Pool, v: OptionValues, encode: EncodeOptions, pipeline: { idKey: string; carry: readonly string[] }): RowTask<B>;
}

/** Runs a streaming command to its exit code. */
export async function runStreamCommand<B extends RowBatch>(cmd: StreamCommand<B>, args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, allowPositionals: false, options: { ...COMMON_OPTIONS, ...cmd.options } });
  const v = values as OptionValues;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const bundle = str('bundle');
  const inputPath = str('input');
  if (bundle === undefined) throw new NextbestError('ARGUMENT_INVALID', `${cmd.name} needs --bundle B`);
  if (inputPath === undefined) throw new NextbestError('ARGUMENT_INVALID', `${cmd.name} needs --input ${cmd.inputHint} (or - for stdin)`);
  const threads = intArg(str('threads'), 'threads', 1, 256, Math.max(1, availableParallelism()));
  const batchSize = intArg(str('batch-size'), 'batch-size', 1, 1 << 20, 4096);
  const maxLineBytes = intArg(str('max-line-bytes'), 'max-line-bytes', 16, LIMIT_CEILINGS.lineBytes, DEFAULT_LIMITS.lineBytes);
  const unknownCategory = str('unknown-category') ?? 'error';
  if (unknownCategory !== 'error' && unknownCategory !== 'missing') {
    throw new NextbestError('ARGUMENT_INVALID', `--unknown-category must be error or missing, got ${JSON.stringify(unknownCategory)}`);
  }
  const stdin = inputPath === '-';
  const only = cmd.formats.length === 1 ? cmd.formats[0]! : null;
  const inputFormat = formatOf(inputPath, str('input-format'), 'input-format', only);
  const toStdout = str('output') === undefined || str('output') === '-';
  const outputFormat = formatOf(toStdout ? '' : str('output')!, str('output-format'), 'output-format', toStdout ? inputFormat : only);
  const errorsFormat = str('errors') === undefined ? outputFormat : formatOf(str('errors')!, undefined, 'output-format', outputFormat);
  for (const [what, f] of [['input', inputFormat], ['output', outputFormat], ['errors', errorsFormat]] as const) {
    if (!cmd.formats.includes(f)) {
      throw new NextbestError('ARGUMENT_INVALID', `${cmd.name} reads and writes ${cmd.formats.join(' and ')} only; the ${what} is ${f}`);
    }
  }
  const delimiter = delimiterOf(str('delimiter'), inputPath);
  const carry = str('columns') === undefined ? [] : str('columns')!.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  if (new Set(carry).size !== carry.length) throw new NextbestError('ARGUMENT_INVALID', '--columns names a column twice');
  cmd.check?.(v);
  const quiet = v.quiet === true;
  const warn = quiet ? () => {} : (line: string) => io.err(line);

  let inputSize: number | null = null;
  if (!stdin) {
    try {
      inputSize = (await stat(inputPath)).size;
    } catch (e) {
      throw new NextbestError('IO_FAILED', `cannot read input ${inputPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const input = stdin ? (io.stdin ?? process.stdin) : createReadStream(inputPath, { highWaterMark: 1 << 18 });

  const trustedKeys = (v['trusted-key'] as string[] | undefined)?.map((k) => {
    try {
      return readFileSync(k, 'utf8');
    } catch (e) {
      throw new NextbestError('IO_FAILED', `cannot read key ${k}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  const pool = await Pool.create({ bundle, threads, ...(trustedKeys ? { trustedKeys } : {}) });
  let output: TextOutput | null = null;
  let errors: TextOutput | null = null;
  try {
    const idKey = str('id') ?? cmd.defaultId;
    const task = cmd.task(pool, v, { ignoreUnknown: v['ignore-unknown'] === true, unknownCategory }, { idKey, carry });
    output = toStdout ? (io.stdout ? new TextOutput(io.stdout, 'stdout', false) : TextOutput.lines(io.out, 'stdout')) : TextOutput.file(str('output')!);
    errors = str('errors') === undefined ? null : TextOutput.file(str('errors')!);
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
    const started = performance.now();
    const counts = await runRowPipeline(task, {
      input,
      inputSize,
      inputFormat,
      output,
      outputFormat,
      errors,
      errorsFormat,
      idColumn: idKey,
      idRequired: str('id') !== undefined,
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
        throw new NextbestError('IO_FAILED', `cannot read input ${inputPath}: ${code}`, undefined, { cause: e });
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
