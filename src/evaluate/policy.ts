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
 * The policy a bundle implements: its top decision for the logged customer,
 * features and context (channel and time from the log), with the top
 * action's propensity as the expected reward for DR. Needs engine.decide.
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
    if (d.channel !== undefined) context.channel = d.channel;
    if (d.at === undefined) {
      throw new NextbestError('LOG_INVALID', `a bundle decides at a time: every logged decision needs "at" (customer ${String(d.customerId ?? '?').slice(0, 64)} has none)`);
    }
    context.now = d.at;
    const res = engine.decide({ customerId: d.customerId ?? 'offline-evaluation', features: (d.features ?? {}) as never, context: context as never }, { limit: 1 });
    const top = res.actions[0];
    if (!top) return { action: null };
    return typeof top.propensity === 'number' ? { action: top.id, expected: { [top.id]: top.propensity } } : { action: top.id };
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
