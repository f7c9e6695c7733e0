/**
 * `nextbest decide`: decides for an NDJSON stream of requests on a worker
 * pool, in constant memory, writing one decision row or one error row per
 * input line, in input order. The row pipeline, options, progress and
 * summary are `nextbest score`'s (stream.ts, rows.ts); the lines travel to
 * the workers as text and come back as output rows (decide-lines.ts), so
 * parsing, deciding and formatting all run on the workers.
 *
 * Input: one request per line,
 *   { "customerId": "c-42", "features": { ... }, "context": { "channel": "app", "now": 1772448000000 }, "state": "<base64>" }
 * - `features`: feature name -> number | string (category) | boolean | null
 *   (missing); absent features are missing; a name that is not a feature
 *   rejects the line unless --ignore-unknown.
 * - `context`: `now` (epoch ms, required), `channel` (a name, a list, or
 *   absent for every channel) and the bundle's other context fields.
 * - `state` (optional): the customer's state bytes in base64 (contact
 *   history, journeys), e.g. exported from the store the customer's events
 *   and contacts went to. Without it the customer is decided without
 *   history: the workers keep no customer state, so a batch run is
 *   stateless (docs/decisions.md, "Batch decisions").
 * - Other keys reject the line unless they are the --id key, --columns keys
 *   or --ignore-unknown is given.
 *
 * Output: `line`, the id (customerId by default), the --columns values, then
 * `actions` (engine.decide's ranked actions: id, kind, group, issue,
 * channel, rank, mandatory, priority, propensity, value, context, lever,
 * modelPropensity for adaptive ones; numbers in their shortest exact form)
 * and, with --explain, `explanation`. Error rows carry
 * `"error": { code, message }`: broken JSON, a bad feature, context or
 * state, an unknown channel, a missing `now`, ...
 */
import { NextbestError } from '../errors.js';
import type { Pool } from '../pool/pool.js';
import type { EncodeOptions } from '../runtime/features.js';
import { RowBatch, type RowTask } from './rows.js';
import { COMMON_USAGE, intArg, runStreamCommand, type StreamCommand } from './stream.js';
import type { CliIO } from './main.js';

export const DECIDE_USAGE = `  nextbest decide --bundle B --input IN [options]
                                        decide for an NDJSON stream of requests on a worker pool
${COMMON_USAGE.bundle}      --input, -i IN        customers.ndjson | - (stdin): one request per line,
                            { customerId, features, context, state? (base64 customer state) }
      --output, -o OUT      decisions.ndjson | - (stdout, the default)
${COMMON_USAGE.outputs}      --limit K             actions per channel (default: the bundle's arbitration.limit)
      --explain             add each decision's explanation
      --seed S              seed the exploration of adaptive propensities: the request on line L uses S + L
                            (default: each worker's own stream, so results depend on the split)
      --id NAME             request key copied to the output (default: customerId)
      --columns A,B         more request keys copied to the output
${COMMON_USAGE.rest}`;

/**
 * Request lines go to the workers as text (the pipeline's raw mode): each
 * worker parses, checks, decides and formats its lines (decide-lines.ts),
 * so the main thread only splits, batches and writes.
 */
export class DecideRowTask implements RowTask<RowBatch> {
  readonly verb = 'decided';
  readonly rawJson = true;
  readonly resultColumns: readonly string[];
  private readonly pool: Pool;
  private readonly encode: EncodeOptions;
  private readonly idKey: string;
  private readonly carry: readonly string[];
  private readonly limit: number | undefined;
  private readonly explain: boolean;
  private readonly seed: number | undefined;

  constructor(pool: Pool, encode: EncodeOptions, opts: { idKey: string; carry: readonly string[]; limit?: number; explain?: boolean; seed?: number }) {
    if (!pool.hasDecisions) throw new NextbestError('DECISIONS_MISSING', `bundle ${pool.info.name} has no actions: add an actions section to its spec to decide`);
    this.pool = pool;
    this.encode = encode;
    this.idKey = opts.idKey;
    this.carry = opts.carry;
    this.limit = opts.limit;
    this.explain = opts.explain === true;
    this.seed = opts.seed;
    this.resultColumns = this.explain ? ['actions', 'explanation'] : ['actions'];
  }

  newBatch(): RowBatch {
    return new RowBatch();
  }

  async run(batch: RowBatch): Promise<void> {
    const n = batch.ok;
    const lines = new Float64Array(n);
    for (let k = 0; k < n; k++) lines[k] = batch.lineOf(k);
    const r = await this.pool.decideLines(batch.raw, lines, {
      idKey: this.idKey,
      carry: [...this.carry],
      ignoreUnknown: this.encode.ignoreUnknown === true,
      unknownCategory: this.encode.unknownCategory ?? 'error',
      ...(this.limit !== undefined ? { limit: this.limit } : {}),
      ...(this.explain ? { explain: true } : {}),
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    });
    batch.rawOut = r.out;
    batch.rawFailed = r.failed;
  }
}

const DECIDE: StreamCommand<RowBatch> = {
  name: 'decide',
  options: {
    limit: { type: 'string' },
    explain: { type: 'boolean' },
    seed: { type: 'string' },
  },
  inputHint: 'customers.ndjson',
  formats: ['ndjson'],
  defaultId: 'customerId',
  check(v) {
    intArg(v.limit as string | undefined, 'limit', 0, 0x7fffffff, 0);
    intArg(v.seed as string | undefined, 'seed', 0, Number.MAX_SAFE_INTEGER - 2 ** 32, 0);
  },
  task(pool, v, encode, pipeline) {
    const limit = v.limit === undefined ? undefined : intArg(v.limit as string, 'limit', 0, 0x7fffffff, 0);
    const seed = v.seed === undefined ? undefined : intArg(v.seed as string, 'seed', 0, Number.MAX_SAFE_INTEGER - 2 ** 32, 0);
    return new DecideRowTask(pool, encode, { ...pipeline, ...(limit !== undefined ? { limit } : {}), explain: v.explain === true, ...(seed !== undefined ? { seed } : {}) });
  },
};

export function decideCommand(args: string[], io: CliIO): Promise<number> {
  return runStreamCommand(DECIDE, args, io);
}
