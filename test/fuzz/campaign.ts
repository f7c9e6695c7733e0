/**
 * The fuzz campaign: cases of one or all targets (test/fuzz/targets.ts),
 * each reproducible from (campaign seed, case number) alone. Per case the
 * outcome is "ok", a typed error code, or a failure (an untyped error,
 * WASM_ABORT/WASM_TRAP, a broken result, or a case slower than the bound).
 * Used by `npm run fuzz` (scripts/fuzz.mjs, in a worker with a watchdog for
 * hangs) and by the fixed-seed campaign in `npm test` (test/fuzz/fuzz.test.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NextbestError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';
import { isTypedOutcome, prepareTargets, TARGETS, targetByName, type FuzzInput, type Target } from './targets.js';

export interface CaseFailure {
  target: string;
  seed: number;
  caseNo: number;
  message: string;
  input: FuzzInput;
  /** Where the failing input was saved (campaigns with a corpus directory). */
  file?: string;
}

export interface TargetStats {
  cases: number;
  ms: number;
  /** Outcome -> count: "ok", "LOADED"/"COMPILED"/"IMPORTED" (how deep valid inputs went), and each typed error code. */
  codes: Record<string, number>;
  slowestMs: number;
}

export interface CampaignResult {
  seed: number;
  stats: Record<string, TargetStats>;
  failures: CaseFailure[];
}

export interface CampaignOptions {
  seed: number;
  /** Targets by name (default: all), run round-robin. */
  targets?: string[];
  /** Stop after this many cases per target... */
  casesPerTarget?: number;
  /** ...or after this many seconds in total (whichever comes first). */
  seconds?: number;
  /** A case slower than this is a failure (default 2000 ms). */
  caseTimeoutMs?: number;
  /** Called before each case (the watchdog in scripts/fuzz.mjs records it). */
  onCase?: (target: string, caseNo: number) => void;
  /** Directory for failing inputs (regression cases). */
  saveDir?: string;
  /** First case number (a campaign resumed after a hung case). */
  startCase?: number;
  /** Called about once a second with the stats so far (they are lost if the worker is stopped). */
  onProgress?: (stats: Record<string, TargetStats>, failures: CaseFailure[]) => void;
}

/** The rand of case `caseNo` of a campaign: input and run draw from it in order. */
export function caseRand(seed: number, target: string, caseNo: number): () => number {
  const h = createHash('sha256').update(`${seed}/${target}/${caseNo}`).digest();
  return mulberry32(h.readUInt32LE(0));
}

/** The input of one case, as the campaign made it (for a watchdog that must save a hung case). */
export async function caseInput(seed: number, target: string, caseNo: number): Promise<FuzzInput> {
  await prepareTargets();
  return targetByName(target).generate(caseRand(seed, target, caseNo));
}

/** Runs one input; returns the outcome code, or throws the failure. */
export async function runCase(t: Target, input: FuzzInput, rand: () => number, codes: Record<string, number>): Promise<string> {
  const seen = (c: string) => {
    codes[c] = (codes[c] ?? 0) + 1;
  };
  try {
    await t.run(input, rand, seen);
    return 'ok';
  } catch (e) {
    if (isTypedOutcome(e)) return e.code;
    throw e;
  }
}

/** The names of the targets a campaign runs, in its round-robin order. */
export function campaignTargets(names?: string[]): string[] {
  return (names && names.length ? names : TARGETS.map((t) => t.name)).map((n) => targetByName(n).name);
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  await prepareTargets();
  const targets = campaignTargets(o.targets).map(targetByName);
  const stats: Record<string, TargetStats> = {};
  for (const t of targets) stats[t.name] = { cases: 0, ms: 0, codes: {}, slowestMs: 0 };
  const failures: CaseFailure[] = [];
  const timeout = o.caseTimeoutMs ?? 2000;
  const deadline = o.seconds !== undefined ? performance.now() + o.seconds * 1000 : Infinity;
  const maxCases = o.casesPerTarget ?? Infinity;
  let lastProgress = performance.now();
  for (let caseNo = o.startCase ?? 0; caseNo < maxCases && performance.now() < deadline; caseNo++) {
    if (o.onProgress && performance.now() - lastProgress > 1000) {
      lastProgress = performance.now();
      o.onProgress(stats, failures);
    }
    for (const t of targets) {
      const st = stats[t.name]!;
      o.onCase?.(t.name, caseNo);
      const rand = caseRand(o.seed, t.name, caseNo);
      const input = t.generate(rand);
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        const outcome = await runCase(t, input, rand, st.codes);
        st.codes[outcome] = (st.codes[outcome] ?? 0) + 1;
      } catch (e) {
        failure = e instanceof Error ? `${e.name}${e instanceof NextbestError ? ` ${e.code}` : ''}: ${e.message}\n${e.stack?.split('\n').slice(1, 6).join('\n')}` : String(e);
      }
      const ms = performance.now() - t0;
      st.cases++;
      st.ms += ms;
      if (ms > st.slowestMs) st.slowestMs = ms;
      if (failure === undefined && ms > timeout) failure = `slow case: ${ms.toFixed(0)} ms, more than the ${timeout} ms bound`;
      if (failure !== undefined) {
        const f: CaseFailure = { target: t.name, seed: o.seed, caseNo, message: failure, input };
        if (o.saveDir) f.file = saveFailure(o.saveDir, f);
        failures.push(f);
      }
    }
  }
  return { seed: o.seed, stats, failures };
}

/** Saves a failing input as `<target>-<sha256 prefix>.<bin|txt>` with a `.json` note; returns the input's path. */
export function saveFailure(dir: string, f: Omit<CaseFailure, 'file'>): string {
  mkdirSync(dir, { recursive: true });
  const bytes = typeof f.input === 'string' ? Buffer.from(f.input, 'utf8') : Buffer.from(f.input);
  const id = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const file = join(dir, `${f.target}-${id}.${typeof f.input === 'string' ? 'txt' : 'bin'}`);
  writeFileSync(file, bytes);
  writeFileSync(`${file}.json`, JSON.stringify({ target: f.target, seed: f.seed, case: f.caseNo, message: f.message.split('\n')[0] }, null, 2) + '\n');
  return file;
}

/** The saved regression cases of a directory: target and input of each. */
export function regressionCases(dir: string): { file: string; target: string; input: FuzzInput }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^[a-z-]+-[0-9a-f]{12}\.(bin|txt)$/.test(f))
    .sort()
    .map((f) => {
      const target = f.replace(/-[0-9a-f]{12}\.(bin|txt)$/, '');
      const raw = readFileSync(join(dir, f));
      return { file: f, target, input: f.endsWith('.txt') ? raw.toString('utf8') : new Uint8Array(raw) };
    });
}
