/**
 * The work of `nextbest decide` on one request line, run in pool workers:
 * parse the line, check the request, decide, write the output row. The
 * main thread of the CLI only splits, batches and writes text (decide.ts,
 * rows.ts in raw mode), which is what lets two workers use two cores.
 *
 * A request line is { customerId?, features, context, state? } (decide.ts
 * says what each holds); every problem becomes that line's error row, the
 * same bytes the pipeline writes for a row it rejects itself.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import type { Engine } from '../engine.js';
import type { DecideOptions, Decision, DecisionRequest } from '../decide/types.js';
import { plainContext } from '../pool/decide-batch.js';
import type { DecideLinesResult, DecideLinesTask } from '../pool/protocol.js';
import { FeatureRowEncoder } from './encode.js';
import { JsonRowFormat, LineError, parseJsonRecord } from './json-rows.js';

const REQUEST_KEYS = new Set(['customerId', 'features', 'context', 'state']);
const NO_KEYS: ReadonlySet<string> = new Set();
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A checked request: features encoded into `features`, the context as plain values, the state bytes if any. */
export interface LineRequest {
  context: Record<string, unknown>;
  state: Uint8Array | undefined;
}

/**
 * Checks a request record and encodes its features into `features`
 * (schema order). Throws the NextbestError that becomes the line's error.
 */
export function readRequest(
  rec: Record<string, unknown>,
  encoder: FeatureRowEncoder,
  features: Float32Array,
  reserved: ReadonlySet<string>,
  ignoreUnknown: boolean,
): LineRequest {
  for (const key in rec) {
    if (REQUEST_KEYS.has(key) || reserved.has(key) || ignoreUnknown) continue;
    throw new NextbestError(
      'ARGUMENT_INVALID',
      `unknown request key "${key.slice(0, 64)}": a request is { customerId, features, context, state? }; pass --ignore-unknown to skip such keys or --columns to copy them to the output`,
      { key: key.slice(0, 64) },
    );
  }
  const id = rec.customerId;
  if (id !== undefined && id !== null && (typeof id !== 'string' || id.length === 0)) {
    throw new NextbestError('ARGUMENT_INVALID', `customerId must be a non-empty string, got ${describe(id)}`);
  }
  const f = rec.features;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) {
    throw new NextbestError('ARGUMENT_INVALID', `features must be an object of feature name -> value, got ${f === undefined ? 'nothing (the key is missing)' : describe(f)}`);
  }
  encoder.encodeJson(features, 0, f as Record<string, unknown>, NO_KEYS);
  if (rec.context === undefined) throw new NextbestError('CONTEXT_INVALID', 'context is missing: a request needs { context: { now, channel?, ... } }');
  const context = plainContext(rec.context);
  const s = rec.state;
  let state: Uint8Array | undefined;
  if (s !== undefined && s !== null) {
    if (typeof s !== 'string' || !BASE64.test(s)) {
      throw new NextbestError('STATE_INVALID', `state must be the customer's state bytes in base64, got ${typeof s === 'string' ? `"${s.slice(0, 24)}${s.length > 24 ? '...' : ''}" (not base64)` : describe(s)}`);
    }
    state = new Uint8Array(Buffer.from(s, 'base64'));
  }
  return { context, state };
}

/** The output members of a decision: `"actions":[...]` and, when explained, `"explanation":{...}`. */
export function decisionMembers(d: Decision, explain: boolean): string {
  const actions = '"actions":' + JSON.stringify(d.actions);
  return explain ? actions + ',"explanation":' + JSON.stringify(d.explanation) : actions;
}

/** Runs a decideLines task on a worker's engine. Throws only for bugs (the task then fails). */
export function decideLines(engine: Engine, task: DecideLinesTask): DecideLinesResult {
  const t0 = performance.now();
  const n = task.texts.length;
  const encoder = new FeatureRowEncoder(engine.schema, { ignoreUnknown: task.ignoreUnknown, unknownCategory: task.unknownCategory }, 'decided', 'pass --ignore-unknown to skip such keys');
  const format = new JsonRowFormat(task.idKey, task.carry);
  const reserved = new Set([task.idKey, ...task.carry]);
  const features = new Float32Array(Math.max(1, engine.schema.size));
  const explain = task.explain === true;
  const opts: DecideOptions = {};
  if (task.limit !== undefined) opts.limit = task.limit;
  if (explain) opts.explain = true;
  const out: string[] = new Array(n);
  const failed = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const line = task.lines[k]!;
    const rec = parseJsonRecord(task.texts[k]!);
    if (rec instanceof LineError) {
      out[k] = format.errorRow(line, null, null, rec);
      failed[k] = 1;
      continue;
    }
    const id = rec[task.idKey] ?? null;
    const carry = task.carry.length > 0 ? task.carry.map((c) => rec[c] ?? null) : null;
    try {
      const r = readRequest(rec, encoder, features, reserved, task.ignoreUnknown);
      const req: DecisionRequest = { features, context: r.context as DecisionRequest['context'] };
      if (task.seed !== undefined) opts.seed = task.seed + line;
      const d = r.state === undefined ? engine.decide(req, opts) : engine.decideState(r.state, req, opts).decision;
      out[k] = format.prefix(line, id, carry) + ',' + decisionMembers(d, explain) + '}\n';
    } catch (e) {
      if (!(e instanceof NextbestError)) throw e;
      out[k] = format.errorRow(line, id, carry, e);
      failed[k] = 1;
    }
  }
  return { ok: true, bundle: engine.info.sha256, out, failed, computeNs: Math.round((performance.now() - t0) * 1e6) };
}
