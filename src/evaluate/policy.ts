/**
 * Policies for offline evaluation: from a bundle (its decisions) or from a
 * JavaScript module (a function of a logged decision).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { NextbestError } from '../errors.js';
import type { Engine } from '../engine.js';
import type { Policy, PolicyOutput } from './offline.js';
import type { LoggedDecision } from './log.js';

/**
 * The policy a bundle implements: its decision (limit 1 per channel) for the
 * logged customer, features and context at the logged time, and of it the
 * action selected on the logged channel (the top action when the log names
 * none), with that action's model propensity (before exploration) as the
 * expected reward for DR. The request's channels are the logged context's
 * (as toLogRecord writes them), else the logged channel. Needs engine.decide.
 */
export function bundlePolicy(engine: Engine): Policy {
  if (engine.actionIds.length === 0) {
    throw new NextbestError(
      'POLICY_UNAVAILABLE',
      `bundle ${engine.info.name} cannot act as a policy: it has no actions to decide on. Evaluate a policy module instead (--policy file.mjs).`,
    );
  }
  return (d: LoggedDecision): PolicyOutput => {
    const context: Record<string, unknown> = { ...d.context };
    if (d.channel !== undefined && context.channel === undefined) context.channel = d.channel;
    if (d.at === undefined) {
      throw new NextbestError('LOG_INVALID', `a bundle decides at a time: every logged decision needs "at" (customer ${String(d.customerId ?? '?').slice(0, 64)} has none)`);
    }
    context.now = d.at;
    const res = engine.decide({ customerId: d.customerId ?? 'offline-evaluation', features: (d.features ?? {}) as never, context: context as never }, { limit: 1 });
    const top = d.channel === undefined ? res.actions[0] : res.actions.find((a) => a.channel === d.channel || a.channel === undefined);
    if (!top) return { action: null };
    const expected = top.modelPropensity ?? top.propensity;
    return typeof expected === 'number' ? { action: top.id, expected: { [top.id]: expected } } : { action: top.id };
  };
}

/** Loads a policy module: its default export (or export `policy`) is a function (decision) => { action } | { probabilities }. */
export async function loadPolicyModule(path: string): Promise<Policy> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new NextbestError('ARGUMENT_INVALID', `cannot load policy module ${path}: ${(e as Error).message}`);
  }
  const f = typeof mod.default === 'function' ? mod.default : mod.policy;
  if (typeof f !== 'function') {
    throw new NextbestError('ARGUMENT_INVALID', `policy module ${path} must export a function (default export, or \`policy\`) of a logged decision`);
  }
  return (d) => {
    const out = (f as (d: LoggedDecision) => unknown)(d);
    if (out instanceof Promise) throw new NextbestError('ARGUMENT_INVALID', `policy module ${path}: the policy must return its choice synchronously`);
    return out as PolicyOutput;
  };
}
