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
import { NextbestError } from '../errors.js';
import type { Pool } from '../pool/pool.js';
import type { EncodeOptions } from '../runtime/features.js';
import { formatF32, jsonF32 } from '../io/values.js';
import { RowBatch, type RowTask } from './rows.js';
import { FeatureRowEncoder } from './encode.js';
import { COMMON_USAGE, runStreamCommand, type StreamCommand } from './stream.js';
import type { CliIO } from './main.js';

export { EXIT_ROWS_REJECTED } from './stream.js';

export const SCORE_USAGE = `  nextbest score --bundle B --input IN [options]
                                        score a CSV/NDJSON stream on a worker pool
${COMMON_USAGE.bundle}      --model, -m M         model id (default: the bundle's only model)
      --input, -i IN        rows.csv | rows.ndjson | - (stdin)
      --output, -o OUT      out.csv | out.ndjson | - (stdout, the default)
${COMMON_USAGE.outputs}      --id NAME             id column/key copied to the output (default: id, when present)
      --columns A,B         more input columns/keys copied to the output
      --input-format csv|ndjson, --output-format csv|ndjson
                            when the file extension does not say (stdin, stdout)
      --delimiter C         CSV field delimiter (default , ; tab for .tsv)
      --multiline           allow quoted CSV fields that span lines
${COMMON_USAGE.rest}`;

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
  private readonly stride: number;
  private readonly width: number;
  private readonly features: FeatureRowEncoder;

  constructor(pool: Pool, model: string, encode: EncodeOptions) {
    this.pool = pool;
    this.model = model;
    this.stride = pool.schema.size;
    this.width = pool.numOutputs(model);
    this.features = new FeatureRowEncoder(pool.schema, encode, 'scored', 'pass --ignore-unknown to skip such keys or --columns to copy them to the output');
    this.resultColumns = this.width === 1 ? ['score'] : Array.from({ length: this.width }, (_, i) => `score_${i}`);
  }

  newBatch(capacity: number): ScoreRows {
    return new ScoreRows(capacity, this.stride);
  }

  bindCsvHeader(names: readonly string[]): { used: boolean[]; notes: string[] } {
    return this.features.bindCsvHeader(names);
  }

  encodeCsv(batch: ScoreRows, fields: readonly string[]): void {
    this.features.encodeCsv(batch.rows, batch.ok * this.stride, fields);
  }

  encodeJson(batch: ScoreRows, obj: Record<string, unknown>, reserved: ReadonlySet<string>): void {
    this.features.encodeJson(batch.rows, batch.ok * this.stride, obj, reserved);
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

const SCORE: StreamCommand<ScoreRows> = {
  name: 'score',
  options: {
    model: { type: 'string', short: 'm' },
    delimiter: { type: 'string' },
    multiline: { type: 'boolean' },
  },
  inputHint: 'rows.csv|rows.ndjson',
  formats: ['csv', 'ndjson'],
  defaultId: 'id',
  task(pool, v, encode) {
    const model = (v.model as string | undefined) ?? (pool.modelIds.length === 1 ? pool.modelIds[0]! : undefined);
    if (model === undefined || !pool.modelIds.includes(model)) {
      throw new NextbestError(
        'MODEL_UNKNOWN',
        model === undefined
          ? `the bundle holds ${pool.modelIds.length} models (${pool.modelIds.join(', ')}); pass --model`
          : `no model "${model}" in the bundle; it has: ${pool.modelIds.join(', ')}`,
      );
    }
    return new ScoreRowTask(pool, model, encode);
  },
};

export function scoreCommand(args: string[], io: CliIO): Promise<number> {
  return runStreamCommand(SCORE, args, io);
}
