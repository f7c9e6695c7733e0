/**
 * The logged-decision format offline evaluation reads (docs/adaptive.md,
 * "Offline evaluation"): NDJSON, one decision per line.
 *
 *   {"customerId":"c-17","at":"2026-01-05T10:00:00Z","features":{"tenure":12,"plan":"basic"},
 *    "context":{"channel":"web"},"action":"upgrade","probability":0.62,"outcome":"accept"}
 *
 *   action       required  the action the logging policy showed
 *   probability  required  the probability that policy gave it, in (0, 1]
 *   outcome      one of    "accept" (reward 1), "reject" or "impression" (reward 0)
 *   reward                 a finite number instead of an outcome
 *   customerId, at, features, context, channel: optional, passed to the evaluated policy
 *
 * toLogRecord(decision, outcome) makes such a line from an engine.decide
 * result (decided with { probability: true }); other fields (token) are ignored.
 */
import { NextbestError } from '../errors.js';
import type { FeatureObject } from '../runtime/features.js';
import type { Decision } from '../decide/types.js';
import type { Outcome } from '../decide/tables.js';

export interface LoggedDecision {
  customerId?: string;
  /** Epoch ms (an ISO string in the file is converted). */
  at?: number;
  features?: FeatureObject;
  context?: Record<string, unknown>;
  channel?: string;
  /** The action the logging policy chose. */
  action: string;
  /** The logging policy's probability of choosing it. */
  probability: number;
  /** 1 for an accept, 0 otherwise, or the logged reward. */
  reward: number;
}

function bad(where: string, msg: string): NextbestError {
  return new NextbestError('LOG_INVALID', `${where}: ${msg}`);
}

/** Validates one logged decision (an object from JSON); `where` names it in errors. */
export function parseLoggedDecision(o: unknown, where: string): LoggedDecision {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad(where, 'expected a JSON object');
  const r = o as Record<string, unknown>;
  if (typeof r.action !== 'string' || r.action.length === 0) throw bad(where, '"action" (the action shown) must be a non-empty string');
  const p = r.probability;
  if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
    throw bad(where, `"probability" (the logging policy's probability of the action) must be in (0, 1], got ${JSON.stringify(p)}`);
  }
  let reward: number;
  if (r.reward !== undefined) {
    if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) throw bad(where, `"reward" must be a finite number, got ${JSON.stringify(r.reward)}`);
    reward = r.reward;
  } else if (r.outcome === 'accept') reward = 1;
  else if (r.outcome === 'reject' || r.outcome === 'impression') reward = 0;
  else throw bad(where, `needs "outcome" ("accept", "reject" or "impression") or a numeric "reward", got outcome ${JSON.stringify(r.outcome)}`);
  const d: LoggedDecision = { action: r.action, probability: p, reward };
  if (r.customerId !== undefined) {
    if (typeof r.customerId !== 'string') throw bad(where, '"customerId" must be a string');
    d.customerId = r.customerId;
  }
  if (r.at !== undefined) {
    const at = typeof r.at === 'string' ? Date.parse(r.at) : r.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) throw bad(where, `"at" must be epoch milliseconds or an ISO date, got ${JSON.stringify(r.at)}`);
    d.at = at;
  }
  for (const k of ['features', 'context'] as const) {
    const v = r[k];
    if (v === undefined) continue;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(where, `"${k}" must be an object`);
    (d as unknown as Record<string, unknown>)[k] = v;
  }
  if (r.channel !== undefined) {
    if (typeof r.channel !== 'string') throw bad(where, '"channel" must be a string');
    d.channel = r.channel;
  }
  return d;
}

/** Parses NDJSON text (blank lines are skipped); errors name the file and line. */
export function parseDecisionLog(text: string, file = '<log>'): LoggedDecision[] {
  const out: LoggedDecision[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw bad(`${file}:${i + 1}`, `not valid JSON: ${(e as Error).message}`);
    }
    out.push(parseLoggedDecision(o, `${file}:${i + 1}`));
  }
  if (out.length === 0) throw new NextbestError('LOG_INVALID', `${file} holds no logged decisions`);
  return out;
}

/** One line of a decision log as toLogRecord makes it: JSON.stringify it and append a newline. */
export interface LogRecord {
  customerId?: string;
  /** The decision time, epoch milliseconds. */
  at: number;
  /** The features as the decision encoded them (missing ones left out). */
  features: Record<string, number | string>;
  /** The request's context fields, without `now` (channel as requested). */
  context: Record<string, unknown>;
  /** The channel the action was selected for. */
  channel?: string;
  action: string;
  /** The probability that the logging policy selected this action on this channel. */
  probability: number;
  outcome?: Outcome;
  reward?: number;
  /** The decision's token (decision log of the engine), when it had one. */
  token?: number;
}

/**
 * The decision-log line of one selected action of a decision and what came
 * of it: `outcome` "accept" (reward 1), "reject" or "impression" (0), or
 * `{ reward }`. The decision must come from engine.decide with the
 * `probability` option (it carries the request and each action's
 * probability); `actionId` defaults to the top action. Log one line per
 * decision, its shown action: the evaluator takes each line as one decision.
 */
export function toLogRecord(decision: Decision, outcome: Outcome | { reward: number }, actionId?: string): LogRecord {
  if (decision === null || typeof decision !== 'object' || !Array.isArray(decision.actions)) {
    throw new NextbestError('ARGUMENT_INVALID', 'toLogRecord: expected a decision from engine.decide');
  }
  const req = decision.request;
  if (req === undefined) {
    throw new NextbestError('ARGUMENT_INVALID', 'toLogRecord: decide with { probability: true } to log a decision (it records the probability of each selected action and the request)');
  }
  if (decision.actions.length === 0) throw new NextbestError('ARGUMENT_INVALID', 'toLogRecord: the decision selected no action; there is nothing to log');
  const action = actionId === undefined ? decision.actions[0]! : decision.actions.find((a) => a.id === actionId);
  if (action === undefined) {
    throw new NextbestError(
      'ARGUMENT_INVALID',
      `toLogRecord: the decision did not select "${String(actionId).slice(0, 64)}"; it selected ${decision.actions.map((a) => a.id).join(', ')}`,
    );
  }
  if (typeof action.probability !== 'number') throw new NextbestError('ARGUMENT_INVALID', 'toLogRecord: the decision has no probabilities; decide with { probability: true }');
  const rec: LogRecord = {
    ...(req.customerId === undefined ? {} : { customerId: req.customerId }),
    at: req.now,
    features: req.features,
    context: req.context,
    ...(action.channel === undefined ? {} : { channel: action.channel }),
    action: action.id,
    probability: action.probability,
  };
  if (outcome === 'accept' || outcome === 'reject' || outcome === 'impression') rec.outcome = outcome;
  else if (outcome !== null && typeof outcome === 'object' && typeof outcome.reward === 'number' && Number.isFinite(outcome.reward)) rec.reward = outcome.reward;
  else {
    throw new NextbestError('ARGUMENT_INVALID', `toLogRecord: outcome must be "accept", "reject", "impression" or { reward: number }, got ${JSON.stringify(outcome)?.slice(0, 64)}`);
  }
  if (decision.token !== undefined) rec.token = decision.token;
  return rec;
}
