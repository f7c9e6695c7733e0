/**
 * The streaming row pipeline of `nextbest score` (and, with its own RowTask,
 * `nextbest decide`).
 *
 *   bytes -> lines (LineSplitter) -> records (CSV / NDJSON) -> RowTask.encode
 *         -> batches of `batchSize` rows -> RowTask.run (the pool), at most
 *            `inFlight` batches at once -> written in input order
 *
 * Memory is constant in the input size: the input stream is pulled one chunk
 * at a time and pauses while `inFlight` batches are pending; a batch closes
 * at `batchSize` rows or BATCH_CHARS characters of input, whichever comes
 * first (wide rows make smaller batches); outputs are written with
 * back-pressure. Every record is accounted for exactly once: it
 * is either encoded and run (an output row) or rejected with its line number
 * and reason (an error row, in the output or the --errors file), and a batch
 * the pool could not run turns all its rows into error rows.
 *
 * A task owns the meaning of the values (features for scoring, a customer for
 * deciding); this file owns ids, carried columns, accounting, order and I/O.
 */
import { NextbestError, type ErrorCode } from '../errors.js';
import { LineSplitter, type LineSink } from '../io/lines.js';
import { CsvRecords, csvField, type RecordSink } from '../io/csv.js';
import type { TextOutput } from '../io/output.js';
import type { Progress, ProgressCounts, StageTimings } from './progress.js';
import { JsonRowFormat, LineError, parseJsonRecord } from './json-rows.js';

export type RowFormat = 'csv' | 'ndjson';

export interface RowError {
  code: string;
  message: string;
}

/** Rows of one batch, in input order: ok rows fill the task's slots 0..ok-1 in that order. */
export class RowBatch {
  readonly lines: number[] = [];
  readonly ids: unknown[] = [];
  readonly carries: (unknown[] | null)[] = [];
  readonly errors: (RowError | null)[] = [];
  /** Per row: its task slot, or -1 for a row rejected before the task saw it. */
  readonly slots: number[] = [];
  /** Per task slot: its row. */
  private readonly slotRows: number[] = [];
  /** Raw NDJSON tasks: each slot's input line, and what run() made of it (the whole output row; 1 = an error row). */
  readonly raw: string[] = [];
  rawOut: string[] | null = null;
  rawFailed: Uint8Array | null = null;
  /** Rows encoded for the task (the task's next free slot). */
  ok = 0;
  /** Characters of input held (ids, carried values, texts): a batch is also full when it holds too many. */
  chars = 0;

  get size(): number {
    return this.lines.length;
  }

  addOk(line: number, id: unknown, carry: unknown[] | null): void {
    this.slotRows.push(this.lines.length);
    this.slots.push(this.ok);
    this.lines.push(line);
    this.ids.push(id);
    this.carries.push(carry);
    this.errors.push(null);
    this.ok++;
  }

  addError(line: number, id: unknown, carry: unknown[] | null, error: RowError): void {
    this.slots.push(-1);
    this.lines.push(line);
    this.ids.push(id);
    this.carries.push(carry);
    this.errors.push(error);
  }

  /** The input line of task slot `k`. */
  lineOf(k: number): number {
    return this.lines[this.slotRows[k]!]!;
  }

  /** The task ran slot `k` and it failed alone (the engine refused that row): it becomes an error row. */
  failSlot(k: number, error: RowError): void {
    this.errors[this.slotRows[k]!] = error;
  }

  /** The task could not run this batch: every row it held becomes an error row. */
  failAll(error: RowError): void {
    for (let i = 0; i < this.errors.length; i++) if (this.errors[i] === null) this.errors[i] = error;
    this.ok = 0;
  }
}

/** What a command plugs into the pipeline. */
export interface RowTask<B extends RowBatch> {
  /** Past participle for the summary: "scored", "decided". */
  readonly verb: string;
  /** Names of the result columns in CSV output (JSON members are the task's own). */
  readonly resultColumns: readonly string[];
  newBatch(capacity: number): B;
  /**
   * Told the CSV header once; returns, per column, whether the task reads it,
   * and notes for the user (printed once the header is accepted). The CSV
   * members are absent for a task that reads and writes NDJSON only.
   */
  bindCsvHeader?(names: readonly string[]): { used: boolean[]; notes: string[] };
  /** Encodes one CSV record into slot `batch.ok`; throws a NextbestError for a bad row (the slot is then reused). */
  encodeCsv?(batch: B, fields: readonly string[]): void;
  /** Encodes one JSON object into slot `batch.ok`; `reserved` keys (id, carried) are not the task's. */
  encodeJson?(batch: B, obj: Record<string, unknown>, reserved: ReadonlySet<string>): void;
  /**
   * Raw NDJSON: the pipeline does not parse lines. Each line's text goes to
   * the task (`batch.raw`, by slot) and run() sets `batch.rawOut` (each
   * slot's whole output row, newline included, written as it is) and
   * `batch.rawFailed` (1: it is an error row). For tasks whose workers parse
   * and format (decide: the main thread then only moves text).
   */
  readonly rawJson?: boolean;
  /**
   * Runs the batch's ok rows; a rejection turns the whole batch into error
   * rows, `batch.failSlot` one row the task could not do.
   */
  run(batch: B): Promise<void>;
  /** Result cells of ok slot `k`, joined with the delimiter. */
  csvResult?(batch: B, k: number, delimiter: string): string;
  /** Result members of ok slot `k` as JSON object members ("score":0.5). */
  jsonResult?(batch: B, k: number): string;
}

export interface PipelineOptions {
  input: AsyncIterable<Buffer | string>;
  /** Bytes of input when known (a file), for percent and ETA. */
  inputSize: number | null;
  inputFormat: RowFormat;
  output: TextOutput;
  outputFormat: RowFormat;
  /** Where error rows go; null: into the output. */
  errors: TextOutput | null;
  errorsFormat: RowFormat;
  /** Id column / key; `idRequired`: the CSV header must have it (it was asked for explicitly). */
  idColumn: string;
  idRequired: boolean;
  /** Columns / keys copied to the output as they are. */
  carry: readonly string[];
  /** CSV columns that are neither features, id nor carried: dropped (true) or refused (false). */
  ignoreUnknown: boolean;
  delimiter: number;
  multiline: boolean;
  maxLineBytes: number;
  batchSize: number;
  inFlight: number;
  progress: Progress | null;
  /** Notes for the user (stderr), e.g. features the input does not have. */
  warn: (line: string) => void;
}

/** A batch closes once its rows held this many characters of input, so memory does not grow with row width. */
const BATCH_CHARS = 1 << 21;

const RESERVED_OUTPUT = new Set(['line', 'error', 'error_code', 'error_message']);

function rowError(e: unknown): RowError {
  if (e instanceof NextbestError) return { code: e.code, message: e.message };
  throw e;
}

export interface PipelineResult extends ProgressCounts {
  timings: StageTimings;
}

/** Runs the whole stream; resolves with the counts once every row is written. */
export async function runRowPipeline<B extends RowBatch>(task: RowTask<B>, o: PipelineOptions): Promise<PipelineResult> {
  const usesCsv = o.inputFormat === 'csv' || o.outputFormat === 'csv' || (o.errors !== null && o.errorsFormat === 'csv');
  if (usesCsv && (!task.bindCsvHeader || !task.encodeCsv || !task.csvResult)) {
    throw new NextbestError('ARGUMENT_INVALID', `this command reads and writes NDJSON only (one JSON object per line)`);
  }
  const raw = task.rawJson === true;
  if (!raw && (!task.encodeJson || !task.jsonResult)) throw new NextbestError('ARGUMENT_INVALID', 'internal: a row task reads JSON records or raw lines');
  for (const c of o.carry) {
    if (RESERVED_OUTPUT.has(c) || task.resultColumns.includes(c) || c === o.idColumn) {
      throw new NextbestError('ARGUMENT_INVALID', `carried column "${c}" collides with an output column (line, ${o.idColumn}, ${task.resultColumns.join(', ')}, error); rename it in the input`);
    }
  }
  const counts: ProgressCounts = { rowsIn: 0, ok: 0, rejected: 0, bytesRead: 0 };
  const timings: StageTimings = { parseMs: 0, waitMs: 0, formatMs: 0, writeMs: 0 };
  const delim = String.fromCharCode(o.delimiter);
  const outDelim = ',';
  const reserved = new Set<string>([o.idColumn, ...o.carry]);
  const json = new JsonRowFormat(o.idColumn, o.carry);
  const inlineErrors = o.errors === null;

  // CSV input: roles of the header's columns, set from the first record.
  let header: string[] | null = null;
  let idCol = -1;
  let carryCols: number[] = [];
  // Whether output rows have an id: CSV input only when the header has the column.
  let hasId = o.inputFormat === 'ndjson';

  let batch = task.newBatch(o.batchSize);
  const full: B[] = [];
  const take = (): void => {
    if (batch.size >= o.batchSize || batch.chars >= BATCH_CHARS) {
      full.push(batch);
      batch = task.newBatch(o.batchSize);
    }
  };
  const reject = (line: number, code: ErrorCode | string, message: string, id: unknown = null, carry: unknown[] | null = null): void => {
    batch.addError(line, id, carry, { code, message });
    take();
  };

  const bindHeader = (fields: string[], line: number): void => {
    const names = fields.map((f) => f.trim());
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new NextbestError('INPUT_COLUMNS', `the CSV header (line ${line}) names column "${n.slice(0, 64)}" twice`, { line });
      seen.add(n);
    }
    idCol = names.indexOf(o.idColumn);
    if (idCol < 0 && o.idRequired) throw new NextbestError('INPUT_COLUMNS', `the CSV header (line ${line}) has no id column "${o.idColumn}"`, { line });
    hasId = idCol >= 0;
    carryCols = o.carry.map((c) => {
      const j = names.indexOf(c);
      if (j < 0) throw new NextbestError('INPUT_COLUMNS', `the CSV header (line ${line}) has no column "${c}" to carry (--columns)`, { line });
      return j;
    });
    const { used, notes } = task.bindCsvHeader!(names);
    const unknown = names.filter((n, j) => !used[j] && j !== idCol && !carryCols.includes(j));
    if (unknown.length > 0 && !o.ignoreUnknown) {
      throw new NextbestError(
        'INPUT_COLUMNS',
        `the CSV header (line ${line}) has columns that are not features of the bundle: ${unknown.slice(0, 10).map((n) => JSON.stringify(n)).join(', ')}${unknown.length > 10 ? ', ...' : ''}; pass --columns to copy them to the output or --ignore-unknown to drop them`,
        { line, columns: unknown.slice(0, 100) },
      );
    }
    header = names;
    for (const n of notes) o.warn(n);
  };

  const csvSink: RecordSink = {
    record(fields, line, chars) {
      if (header === null) {
        bindHeader(fields, line);
        return;
      }
      const id = idCol >= 0 && idCol < fields.length ? fields[idCol] : null;
      if (fields.length !== header.length) {
        reject(line, 'INPUT_COLUMNS', `${fields.length} fields, the header has ${header.length}`, id);
        return;
      }
      const carry = carryCols.length > 0 ? carryCols.map((j) => fields[j]) : null;
      batch.chars += chars;
      try {
        task.encodeCsv!(batch, fields);
        batch.addOk(line, id, carry);
      } catch (e) {
        batch.addError(line, id, carry, rowError(e));
      }
      take();
    },
    bad(line, code, message) {
      if (header === null) throw new NextbestError(code, `the CSV header (line ${line}): ${message}`, { line });
      reject(line, code, message);
    },
  };

  const jsonSink: LineSink = {
    line(text, line) {
      if (raw) {
        batch.chars += text.length;
        batch.raw.push(text);
        batch.addOk(line, null, null);
        take();
        return;
      }
      const rec = parseJsonRecord(text);
      if (rec instanceof LineError) {
        reject(line, rec.code, rec.message);
        return;
      }
      batch.chars += text.length;
      const id = rec[o.idColumn] ?? null;
      const carry = o.carry.length > 0 ? o.carry.map((k) => rec[k] ?? null) : null;
      try {
        task.encodeJson!(batch, rec, reserved);
        batch.addOk(line, id, carry);
      } catch (e) {
        batch.addError(line, id, carry, rowError(e));
      }
      take();
    },
    longLine(line, max) {
      reject(line, 'LIMIT_EXCEEDED', `line is longer than ${max} bytes (raise --max-line-bytes if it is meant to be)`);
    },
  };

  const csv = o.inputFormat === 'csv' ? new CsvRecords(csvSink, { delimiter: o.delimiter, multiline: o.multiline, maxRecordChars: o.maxLineBytes }) : null;
  const splitter = new LineSplitter(csv ?? jsonSink, o.maxLineBytes, o.multiline);

  // Output formatting --------------------------------------------------------
  let headerWritten = false;
  const csvHeaderFor = (withResults: boolean, withErrors: boolean): string => {
    const cols = ['line', ...(hasId ? [o.idColumn] : []), ...o.carry, ...(withResults ? task.resultColumns : []), ...(withErrors ? ['error_code', 'error_message'] : [])];
    return cols.map((c) => csvField(c)).join(outDelim) + '\n';
  };
  const csvPrefix = (b: B, i: number): string => {
    let s = String(b.lines[i]);
    if (hasId) s += outDelim + csvField(textOf(b.ids[i]));
    const carry = b.carries[i];
    for (let k = 0; k < o.carry.length; k++) s += outDelim + csvField(textOf(carry ? carry[k] : null));
    return s;
  };
  const emptyResults = ','.repeat(task.resultColumns.length);
  const errorText = (fmt: RowFormat, b: B, i: number, err: RowError, inline: boolean): string => {
    if (fmt === 'ndjson') return json.errorRow(b.lines[i]!, b.ids[i], b.carries[i]!, err);
    return csvPrefix(b, i) + (inline ? emptyResults : '') + outDelim + csvField(err.code) + outDelim + csvField(err.message) + '\n';
  };

  const writeBatch = async (b: B): Promise<void> => {
    const t0 = performance.now();
    let out = '';
    let errs = '';
    if (!headerWritten) {
      headerWritten = true;
      if (o.outputFormat === 'csv') out += csvHeaderFor(true, inlineErrors);
      if (!inlineErrors && o.errorsFormat === 'csv') errs += csvHeaderFor(false, true);
    }
    for (let i = 0; i < b.size; i++) {
      const err = b.errors[i];
      if (err === null && raw) {
        const k = b.slots[i]!;
        if (b.rawFailed![k] === 1) {
          if (inlineErrors) out += b.rawOut![k];
          else errs += b.rawOut![k];
          counts.rejected++;
        } else {
          out += b.rawOut![k];
          counts.ok++;
        }
      } else if (err === null) {
        const k = b.slots[i]!;
        out += o.outputFormat === 'csv' ? csvPrefix(b, i) + outDelim + task.csvResult!(b, k, outDelim) + (inlineErrors ? outDelim + outDelim : '') + '\n' : json.prefix(b.lines[i]!, b.ids[i], b.carries[i]!) + ',' + task.jsonResult!(b, k) + '}\n';
        counts.ok++;
      } else {
        if (inlineErrors) out += errorText(o.outputFormat, b, i, err, true);
        else errs += errorText(o.errorsFormat, b, i, err, false);
        counts.rejected++;
      }
      counts.rowsIn++;
    }
    const t1 = performance.now();
    timings.formatMs += t1 - t0;
    await o.output.write(out);
    if (o.errors !== null) await o.errors.write(errs);
    timings.writeMs += performance.now() - t1;
  };

  // Driving ------------------------------------------------------------------
  const pending: { batch: B; done: Promise<RowError | null> }[] = [];
  const writeOldest = async (): Promise<void> => {
    const head = pending.shift()!;
    const t0 = performance.now();
    const failed = await head.done;
    timings.waitMs += performance.now() - t0;
    if (failed !== null) head.batch.failAll(failed);
    await writeBatch(head.batch);
  };
  const dispatchFull = async (): Promise<void> => {
    while (full.length > 0) {
      const b = full.shift()!;
      const done = b.ok > 0 ? task.run(b).then(() => null, rowError) : Promise.resolve(null);
      pending.push({ batch: b, done });
      while (pending.length >= o.inFlight) await writeOldest();
    }
  };

  for await (const chunk of o.input) {
    const t0 = performance.now();
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    timings.parseMs += performance.now() - t0;
    if (full.length > 0) await dispatchFull();
    counts.bytesRead = splitter.bytesRead;
    o.progress?.update(counts);
  }
  splitter.end();
  csv?.end();
  if (batch.size > 0) full.push(batch);
  await dispatchFull();
  while (pending.length > 0) await writeOldest();
  if (!headerWritten) {
    // No rows at all: still a well-formed (empty) CSV with its header.
    if (o.outputFormat === 'csv') await o.output.write(csvHeaderFor(true, inlineErrors));
    if (o.errors !== null && o.errorsFormat === 'csv') await o.errors.write(csvHeaderFor(false, true));
  }
  counts.bytesRead = splitter.bytesRead;
  return { ...counts, timings };
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
