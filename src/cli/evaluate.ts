/**
 * `nextbest evaluate`: offline evaluation of a policy on logged decisions.
 *
 *   nextbest evaluate --log decisions.ndjson --bundle new.nbb      the bundle's decisions (needs engine.decide)
 *   nextbest evaluate --log decisions.ndjson --policy policy.mjs   a policy module
 *     [--confidence 0.95] [--interval normal|bootstrap] [--resamples 1000] [--seed 1] [--json]
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { NextbestError } from '../errors.js';
import { Engine } from '../engine.js';
import { parseDecisionLog } from '../evaluate/log.js';
import { evaluatePolicy, type Estimate, type EvaluationReport } from '../evaluate/offline.js';
import { bundlePolicy, loadPolicyModule } from '../evaluate/policy.js';

interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

function number(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new NextbestError('ARGUMENT_INVALID', `--${name} must be a number, got "${v}"`);
  return n;
}

export async function evaluateCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      log: { type: 'string' },
      bundle: { type: 'string' },
      policy: { type: 'string' },
      confidence: { type: 'string' },
      interval: { type: 'string' },
      resamples: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new NextbestError('ARGUMENT_INVALID', `unexpected argument "${positionals[0]}"; use --log and --bundle or --policy`);
  if (!values.log) throw new NextbestError('ARGUMENT_INVALID', 'give the logged decisions with --log decisions.ndjson');
  if ((values.bundle === undefined) === (values.policy === undefined)) {
    throw new NextbestError('ARGUMENT_INVALID', 'give exactly one policy to evaluate: --bundle new.nbb or --policy policy.mjs');
  }
  let text: string;
  try {
    text = readFileSync(values.log, 'utf8');
  } catch (e) {
    throw new NextbestError('ARGUMENT_INVALID', `cannot read ${values.log}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const log = parseDecisionLog(text, values.log);
  let policy;
  if (values.bundle !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(values.bundle));
    } catch (e) {
      throw new NextbestError('ARGUMENT_INVALID', `cannot read ${values.bundle}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    policy = bundlePolicy(await Engine.load(bytes));
  } else {
    policy = await loadPolicyModule(values.policy!);
  }
  const interval = values.interval as 'normal' | 'bootstrap' | undefined;
  const report = evaluatePolicy(log, policy, {
    confidence: number(values.confidence, 'confidence'),
    interval,
    resamples: number(values.resamples, 'resamples'),
    seed: number(values.seed, 'seed'),
  });
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else io.out(formatEvaluation(report, values.log, values.bundle ?? values.policy!));
  return 0;
}

export function formatEvaluation(r: EvaluationReport, logName: string, policyName: string): string {
  const f = (x: number) => x.toFixed(4);
  const row = (name: string, e: Estimate, note = '') => `  ${name.padEnd(8)} ${f(e.value).padStart(8)}   [${f(e.lower)}, ${f(e.upper)}]${note}`;
  const d = r.diagnostics;
  return [
    `policy    ${policyName}`,
    `log       ${logName}: ${r.decisions} decisions`,
    `estimated mean reward (acceptance rate), ${Math.round(r.confidence * 100)}% ${r.interval} intervals:`,
    row('IPS', r.ips),
    row('SNIPS', r.snips),
    row('DR', r.dr),
    row('DM', r.dm, `   reward model: ${d.rewardModel}`),
    row('logging', r.logging, '   (the logging policy itself)'),
    `weights   matched ${d.matched} (${((100 * d.matched) / r.decisions).toFixed(1)}%), mean ${d.meanWeight.toFixed(3)}, max ${d.maxWeight.toFixed(2)}, effective sample ${Math.round(d.effectiveSampleSize)}`,
  ].join('\n');
}
