/**
 * Sample data of the demo bundles, deterministic:
 *
 *   node scripts/gen-demo-data.mjs          (after npm run build; then npm run models)
 *
 * For each bundle in models/<name>/ it writes
 *   customers.ndjson   one decide request per line: { customerId, features, context }
 *   events.ndjson      the sample customers' events, in time order: { customerId, type, time, ...attributes }
 *   contacts.ndjson    their contact history: { customerId, actionId, channel, outcome, at }
 * from the personas in scripts/demo-personas.mjs, and, for the bundles whose
 * sale propensities are adaptive (telco, retail), the starting learning
 * state `offers.nbls`: a simulated quarter of decisions on synthetic
 * customers (scripts/demo-population.mjs) whose offers are accepted with
 * known probabilities (TRUE_ACCEPT below), learned the way production
 * would: engine.decide explores (Thompson sampling), engine.record learns
 * from each accept or reject.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, Engine } from '../dist/index.js';
import { rng, telcoCustomer, retailCustomer, STORIES } from './demo-population.mjs';
import { PERSONAS } from './demo-personas.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = join(ROOT, 'models');

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const inRange = (x, lo, hi) => (x >= lo && x <= hi ? 1 : 0);

/**
 * The simulated truth: each sale offer's acceptance log-odds for a customer.
 * The adaptive model does not see these; it learns them from outcomes.
 */
export const TRUE_ACCEPT = {
  telco: {
    loyalty_discount_10: (c) => -1.2 + 0.6 * (c.months_to_contract_end <= 3) + 0.01 * (c.monthly_charges - 40),
    loyalty_discount_20: (c) => -0.8 + 0.015 * (c.monthly_charges - 50),
    bill_credit: (c) => -1.0 + 0.03 * c.bill_increase_pct,
    free_data_boost: (c) => -1.3 + 0.015 * (c.data_usage_pct - 80),
    sim_only_renewal: (c) => -0.9 + 0.4 * (c.age < 35),
    handset_renewal: (c) => -1.0 + 0.03 * (c.device_age_months - 24),
    family_loyalty_bundle: (c) => -1.1 + 0.3 * (c.num_lines - 2),
    convergence_discount: (c) => -1.8 + 0.4 * inRange(c.age, 30, 55),
    streaming_perk: (c) => -0.9 - 0.04 * (c.age - 30),
    priority_care: (c) => -1.5 + 1.0 * (c.segment === 'small_business'),
    cancel_save_offer: () => -0.5,
    unlimited_upgrade: (c) => -2.0 + 0.04 * (c.data_usage_pct - 85),
    data_addon_10gb: (c) => -1.2 + 0.03 * (c.data_usage_pct - 95),
    five_g_upgrade: (c) => -2.2 + 0.5 * (c.age < 35),
    add_a_line: (c) => -2.8 + 0.4 * inRange(c.age, 30, 50),
    family_plan_migration: (c) => -1.6 + 0.3 * c.num_lines,
    prepaid_to_postpaid: (c) => -2.0 + 0.02 * c.tenure_months,
    roaming_pass_eu: (c) => -1.5 + 0.08 * c.roaming_days_90d,
    roaming_pass_world: (c) => -2.0 + 0.05 * c.roaming_days_90d,
    business_connect: () => -1.4,
    home_fibre: (c) => -2.6 + 0.5 * inRange(c.age, 28, 55),
    fibre_speed_upgrade: () => -2.2,
    tv_bundle: (c) => -2.4 + 0.5 * (c.num_lines >= 2),
    cloud_storage: (c) => -2.5 + 0.01 * (c.data_usage_pct - 60),
    kids_safe_line: (c) => -2.6 + 0.4 * (c.num_lines >= 3),
    flagship_upgrade: (c) => -2.4 + 0.03 * (c.device_age_months - 24) + 0.01 * (c.monthly_charges - 45),
    midrange_upgrade: (c) => -2.0 + 0.03 * (c.device_age_months - 30),
    refurbished_phone: (c) => -2.3 + 0.4 * (c.age > 55),
    trade_in: (c) => -2.2 + 0.02 * (c.device_age_months - 30),
    device_insurance: () => -1.4,
    smartwatch_line: (c) => -3.0 + 0.6 * (c.age < 35),
    accessories_bundle: () => -1.6,
    winback_callback: (c) => -0.7 + 0.01 * (c.monthly_charges - 40),
    porting_save_offer: () => -1.0,
  },
  retail: {
    basket_reminder_push: () => -1.0,
    basket_reminder_email: () => -1.6,
    basket_discount_5: (c) => -1.0 + 1.5 * c.discount_share,
    electronics_deals: (c) => -2.2 + 3 * c.affinity_electronics,
    fashion_new_season: (c) => -2.0 + 3 * c.affinity_fashion - 0.02 * (c.age - 30),
    home_refresh: (c) => -2.3 + 3 * c.affinity_home + 0.01 * (c.age - 30),
    beauty_box: (c) => -2.0 + 3 * c.affinity_beauty,
    sports_gear: (c) => -2.2 + 3 * c.affinity_sports,
    toys_bundle: (c) => -2.4 + 3 * c.affinity_toys,
    accessories_for_new_device: () => -0.8,
    tier_upgrade_nudge: () => -1.0,
    free_delivery_voucher: (c) => -1.5 + 1.5 * c.discount_share,
    winback_20: (c) => -2.0 + 2 * c.discount_share,
  },
};


/** Channels and their share of simulated decisions. */
const CHANNEL_MIX = {
  telco: [['app', 0.35], ['web', 0.1], ['email', 0.2], ['sms', 0.1], ['call_center', 0.15], ['store', 0.1]],
  retail: [['app', 0.35], ['web', 0.3], ['email', 0.25], ['sms', 0.05], ['store', 0.05]],
};
const POPULATION = { telco: telcoCustomer, retail: retailCustomer };

/** Builds the bundle of `spec` without its `learning:` line, so the simulation starts from no learning. */
async function bundleWithoutLearning(specPath) {
  const text = readFileSync(specPath, 'utf8').replace(/^learning:.*$/m, '');
  const dir = dirname(specPath);
  const tmp = mkdtempSync(join(tmpdir(), 'nb-demo-'));
  // model files are resolved against the spec's own directory
  const spec = join(tmp, 'bundle.yaml');
  writeFileSync(spec, text.replace(/^(\s+xgboost:\s+)(\S+)$/gm, (_, k, f) => k + resolve(dir, f)));
  try {
    return await buildBundle(spec, { created: '2026-01-01T00:00:00.000Z' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A quarter of decisions: `n` synthetic customers, one decision each on a
 * channel of the mix at a time in the quarter, the selected adaptive offers
 * accepted or rejected by TRUE_ACCEPT.
 */
async function simulateLearning(name, n, seed) {
  const engine = await Engine.load(await bundleWithoutLearning(join(MODELS, name, 'bundle.yaml')), { learning: { seed } });
  const r = rng(seed);
  const truth = TRUE_ACCEPT[name];
  const start = Date.UTC(2025, 11, 1);
  const channels = CHANNEL_MIX[name].map(([c]) => c);
  const weights = CHANNEL_MIX[name].map(([, w]) => w);
  let offers = 0;
  let accepts = 0;
  for (let i = 0; i < n; i++) {
    const customerId = `sim-${i}`;
    const now = start + Math.floor((i / n) * 90 * 86_400_000);
    const features = POPULATION[name](r);
    for (const e of STORIES[name](r, now)) engine.observe(customerId, e);
    engine.advance(customerId, now);
    const d = engine.decide({ customerId, features, context: { now, channel: r.pick(channels, weights) } }, { limit: 2 });
    for (const a of d.actions) {
      if (a.modelPropensity === undefined) continue;
      const f = truth[a.id];
      if (f === undefined) throw new Error(`${name}: no simulated truth for adaptive action ${a.id}`);
      const accepted = r.chance(sigmoid(f(features)));
      engine.record({ customerId, actionId: a.id, channel: a.channel, outcome: accepted ? 'accept' : 'reject', at: now + 3_600_000 });
      offers++;
      if (accepted) accepts++;
    }
  }
  const snapshot = engine.learning.snapshot();
  writeFileSync(join(MODELS, name, 'offers.nbls'), snapshot);
  console.log(`models/${name}/offers.nbls: ${n} simulated decisions, ${offers} offers, ${accepts} accepted (${snapshot.byteLength} bytes)`);
}

function writeNdjson(path, rows) {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function writeSamples(name) {
  const personas = PERSONAS[name];
  const customers = [];
  const events = [];
  const contacts = [];
  for (const p of personas) {
    customers.push({ customerId: p.id, features: p.features, context: p.context });
    for (const e of p.events ?? []) events.push({ customerId: p.id, ...e });
    for (const c of p.contacts ?? []) contacts.push({ customerId: p.id, ...c });
  }
  // one stream in time order, as a collector would deliver it (stable: equal times keep persona order)
  events.sort((a, b) => a.time - b.time);
  contacts.sort((a, b) => a.at - b.at);
  writeNdjson(join(MODELS, name, 'customers.ndjson'), customers);
  writeNdjson(join(MODELS, name, 'events.ndjson'), events);
  writeNdjson(join(MODELS, name, 'contacts.ndjson'), contacts);
  console.log(`models/${name}: ${customers.length} customers, ${events.length} events, ${contacts.length} contacts`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of Object.keys(PERSONAS)) writeSamples(name);
  await simulateLearning('telco', 40_000, 2026);
  await simulateLearning('retail', 40_000, 2027);
}
