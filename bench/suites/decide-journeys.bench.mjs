/**
 * Suite decide-journeys (`npm run bench -- decide-journeys`): what
 * reading ~20 journey values costs a decision. The 20 patterns and the 7-day
 * spending aggregate of the journeys suite (its SPEC), 21 actions whose
 * eligibility rules read 20 `journey.<id>` flags and `journey.spend7d.sum`
 * (21 journey values, each read once per decision inside the kernel, from the
 * customer's state bytes at the request's `now`), 1000 customers whose
 * states come from ~30 observed events each, in the engine's MemoryStore.
 *
 * Peers in the same run, interleaved:
 *   journeys        engine.decide on that bundle (one channel, limit 3)
 *   features        the same bundle with each journey value replaced by a
 *                   numeric feature of the same truth value: the same 21
 *                   rules, actions and arbitration, no journey values (the
 *                   floor: the ratio is the cost of the journey reads)
 *   journeys explain  engine.decide(..., { explain: true }), with the
 *                   explanation's journey facts (one more crossing, JS objects)
 * Before timing, the two bundles select the same actions for every customer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, Engine, MemoryStore } from '../../dist/index.js';
import { latency, mulberry32, options, record } from '../lib.mjs';
import { SPEC } from './journeys.bench.mjs';

const CUSTOMERS = 1000;
const NOW = Date.UTC(2024, 10, 8, 12);
const CHANNELS = ['app', 'sms', 'email'];

/** The patterns of SPEC, in order. */
const PATTERNS = [...SPEC.split('  patterns:\n')[1].matchAll(/^ {4}([a-z_0-9]+):$/gm)].map((m) => m[1]);

/** Events that move the 20 patterns, with their attributes. */
const EVENTS = [
  ['app_open', () => ({})],
  ['card_payment', (r) => ({ amount: Math.round(r() * 60000) / 100, merchant: 'grocery' })],
  ['connect_fail', (r) => ({ network: r() < 0.7 ? 'mobile' : 'wifi' })],
  ['device_change', (r) => ({ model: Math.floor(r() * 50) })],
  ['view_plan', (r) => ({ plan: ['basic', 'plus', 'max'][Math.floor(r() * 3)] })],
  ['usage_alert', (r) => ({ pct: Math.floor(r() * 100) })],
  ['bill_issued', (r) => ({ amount: Math.round(r() * 25000) / 100 })],
  ['payment_failed', () => ({})],
  ['add_to_cart', (r) => ({ value: Math.round(r() * 20000) / 100 })],
  ['support_call', (r) => ({ topic: ['billing', 'network', 'device', 'other'][Math.floor(r() * 4)] })],
  ['view_cancel_page', () => ({})],
  ['view_retention_offer', (r) => ({ offer: 'discount' })],
  ['store_visit', (r) => ({ store: Math.floor(r() * 400) })],
  ['complaint', () => ({})],
  ['roaming_on', (r) => ({ country: Math.floor(r() * 200) })],
  ['app_crash', (r) => ({ version: 3 })],
  ['atm_decline', (r) => ({ reason: r() < 0.5 ? 'insufficient_funds' : 'wrong_pin', amount: 100 })],
  ['purchase', (r) => ({ value: Math.round(r() * 80000) / 100 })],
];

/** 21 actions; rule k reads value k: a journey value, or feature v<k> in the floor bundle. */
function decisionsYaml(reads) {
  const actions = reads.map((read, k) => {
    const kind = k % 4 === 0 ? 'service' : 'sale';
    const channels = [CHANNELS[k % 3], CHANNELS[(k + 1) % 3]];
    return `  a${k}:\n    kind: ${kind}\n    channels: [${channels.join(', ')}]\n    propensity: ${(0.05 + (k % 9) / 20).toFixed(2)}\n    value: ${10 + ((k * 37) % 90)}\n    eligibility: '${read}'`;
  });
  return `context:\n  channel: [${CHANNELS.join(', ')}]\nactions:\n${actions.join('\n')}\narbitration:\n  limit: 3\n`;
}

async function bundle(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-decide-journeys-'));
  const path = join(dir, 'bundle.yaml');
  writeFileSync(path, yaml);
  return buildBundle(path, { created: '2026-01-01T00:00:00Z' });
}

export async function run() {
  const SUITE = 'decide: 21 journey values';
  // every other pattern is read as "has not matched" so that both kinds of rule pass
  const journeyReads = [...PATTERNS.map((p, k) => (k % 2 ? `not journey.${p}` : `journey.${p}`)), 'journey.spend7d.sum > 1500'];
  const featureReads = journeyReads.map((_, k) => `v${k} > 0.5`);
  const withJourneys = await Engine.load(await bundle(SPEC + decisionsYaml(journeyReads)), { store: new MemoryStore() });
  const floorSpec = SPEC.replace('features:\n  tenure_months: numeric\n', `features:\n  tenure_months: numeric\n${featureReads.map((_, k) => `  v${k}: numeric\n`).join('')}`);
  const floor = await Engine.load(await bundle(floorSpec + decisionsYaml(featureReads)), { store: new MemoryStore() });
  const valuesRead = withJourneys.decisions.tables.frame.journeys.length;

  // customer histories: ~30 events each over the 8 days before NOW
  const r = mulberry32(808);
  for (let c = 0; c < CUSTOMERS; c++) {
    const n = 15 + Math.floor(r() * 30);
    let t = NOW - 8 * 86_400_000;
    for (let i = 0; i < n; i++) {
      t += Math.floor(r() * (8 * 86_400_000 / n) * (r() < 0.3 ? 0.01 : 1));
      const [type, attrs] = EVENTS[Math.floor(r() * EVENTS.length)];
      withJourneys.observe(`c${c}`, { type, time: t, ...attrs(r) }, { decide: false });
    }
  }
  // requests: the floor's features are the journey rules' truth values for the same customer
  const requests = [];
  const floorRequests = [];
  let matched = 0;
  for (let c = 0; c < CUSTOMERS; c++) {
    const now = NOW + Math.floor(r() * 3_600_000);
    const context = { now, channel: CHANNELS[c % 3] };
    requests.push({ customerId: `c${c}`, features: { tenure_months: 24 }, context });
    const values = withJourneys.journeyValues(`c${c}`, now);
    const features = { tenure_months: 24 };
    journeyReads.forEach((read, k) => {
      const name = read.replace(/^not /, '').replace(/ > 1500$/, '');
      const x = values[name];
      const truth = read.startsWith('not ') ? !x : read.endsWith('> 1500') ? x > 1500 : x;
      features[`v${k}`] = truth ? 1 : 0;
      if (k < PATTERNS.length && x) matched++;
    });
    floorRequests.push({ features, context });
  }
  for (let c = 0; c < CUSTOMERS; c++) {
    const a = withJourneys.decide(requests[c]).actions.map((x) => `${x.id}@${x.channel}`).join();
    const b = floor.decide(floorRequests[c]).actions.map((x) => `${x.id}@${x.channel}`).join();
    if (a !== b) throw new Error(`decide with journey values and with the same truths as features disagree on customer ${c}: ${a} vs ${b}`);
  }

  const peers = [
    ['decide, 21 journey values', (i) => withJourneys.decide(requests[i % CUSTOMERS])],
    ['decide, 21 features instead', (i) => floor.decide(floorRequests[i % CUSTOMERS])],
    ['decide explain, 21 journey values', (i) => withJourneys.decide(requests[i % CUSTOMERS], { explain: true })],
  ];
  const samples = peers.map(() => []);
  const rounds = options.quick ? 2 : 8;
  for (let round = 0; round < rounds; round++) {
    peers.forEach(([, fn], k) => samples[k].push(latency(fn, { warmup: round === 0 ? 3000 : 200, samples: 2000 })));
  }
  console.log(
    `\n${valuesRead} journey values read per decision (20 pattern flags, one 7-day sum), ${journeyReads.length} actions; ` +
      `${(matched / CUSTOMERS).toFixed(2)} patterns matched per customer on average`,
  );
  console.log('peer (us per call)'.padEnd(38) + 'p50'.padStart(9) + 'p99'.padStart(9));
  peers.forEach(([name], k) => {
    const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const p50 = med(samples[k].map((s) => s.p50)) / 1000;
    const p99 = med(samples[k].map((s) => s.p99)) / 1000;
    console.log(name.padEnd(38) + p50.toFixed(2).padStart(9) + p99.toFixed(2).padStart(9));
    const peer = k === 1 ? [] : ['decide, 21 features instead'];
    record(SUITE, 'latency p50', name, p50, 'us', peer);
    record(SUITE, 'latency p99', name, p99, 'us', peer);
  });
}
