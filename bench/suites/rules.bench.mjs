/**
 * Rules (the expression VM): 50 realistic eligibility rules per customer
 * (ten templates such as `tenure_months > 12 and plan in ["premium", "gold"]`,
 * `score.churn > 0.3 and not journey.walkout`) over 11 features and 7 frame
 * slots, 1000 customers. Peers in the same run: the plain-TS bytecode
 * interpreter (the VM's reference twin) and json-rules-engine with the same
 * rules as JSON conditions; plus the floor, 50 programs `true` through the
 * same crossing. ns per rule (p50 and p99 over timed samples of 100
 * customers, json-rules-engine per run), all 50 rules of one customer, and
 * customers/s (all 50 rules each) with benny.
 * The measurement lives in rules.ts (compiler internals, bundled on the fly).
 */
import { importTs, mulberry32, note, record, size, throughput } from '../lib.mjs';

const SUITE = 'rules';
const WASM = 'nextbest wasm VM (50 rules, one crossing)';
const REF = 'plain-TS reference interpreter';
const JRE = 'json-rules-engine';
const FLOOR = 'floor: 50 x `true` in the wasm VM';

export async function run() {
  const { measureRules } = await importTs('bench/suites/rules.ts');
  const m = await measureRules({ rand: mulberry32(2024), samples: size(500, 60), jreRuns: size(300, 60) });
  note(SUITE, `${m.rules} rules, ${m.customers} customers, ${(m.trueShare * 100).toFixed(0)}% of the rules true; peers agreed on every rule of 200 customers`);
  const subjects = [
    [WASM, m.wasm, [REF, JRE]],
    [REF, m.reference, [JRE]],
    [JRE, m.jsonRulesEngine, undefined],
    [FLOOR, m.floor, undefined],
  ];
  for (const [subject, s, peers] of subjects) record(SUITE, 'ns per rule p50', subject, s.median, 'ns', peers);
  for (const [subject, s, peers] of subjects) record(SUITE, 'ns per rule p99', subject, s.p99, 'ns', peers);
  for (const [subject, s, peers] of subjects.slice(0, 3)) record(SUITE, `all ${m.rules} rules of a customer, p50`, subject, (s.median * m.rules) / 1000, 'us', peers);

  // Customers per second, all rules each (benny; 100 customers per call, json-rules-engine one).
  const BATCH = 100;
  let next = 0;
  const batchOf = (evaluate) => () => {
    let sink = 0;
    for (let k = 0; k < BATCH; k++) sink += evaluate(next++);
    return sink;
  };
  const tp = await throughput('rules', [
    { name: WASM, units: BATCH, fn: batchOf(m.evaluate.wasm) },
    { name: REF, units: BATCH, fn: batchOf(m.evaluate.reference) },
    { name: JRE, units: 1, fn: () => m.evaluate.jsonRulesEngine(next++) },
  ]);
  record(SUITE, `customers/s (${m.rules} rules each)`, WASM, tp[WASM], 'customers/s', [REF, JRE]);
  record(SUITE, `customers/s (${m.rules} rules each)`, REF, tp[REF], 'customers/s', [JRE]);
  record(SUITE, `customers/s (${m.rules} rules each)`, JRE, tp[JRE], 'customers/s');
  const { evaluate: _runners, ...measured } = m;
  return measured;
}
