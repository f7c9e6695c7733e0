/**
 * Seeded synthetic customers of the demo bundles (models/telco, models/bank,
 * models/retail): the feature objects their specs declare, drawn from fixed
 * distributions. The telco recipe is the one scripts/gen-demo-models.py
 * trains the churn model on (same distributions and correlations, another
 * random generator), extended by the features only rules read.
 *
 * STORIES gives a customer the events of a moment the bundle's journeys look
 * for (a walk-out, a porting request, connection trouble, an abandoned
 * basket, ...), in realistic shares.
 *
 * Used by scripts/gen-demo-data.mjs (learning simulations), the decision
 * benchmarks (bench/suites/decide.bench.mjs, the decide CLI in
 * bench/suites/pool.bench.mjs) and tests that need many customers.
 *
 *   import { telcoCustomer, rng } from './demo-population.mjs';
 *   const r = rng(7); const features = telcoCustomer(r);
 */

/** A seeded generator with the draws the recipes need (mulberry32 underneath). */
export function rng(seed) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = NaN;
  const normal = (mean = 0, sd = 1) => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return mean + sd * z;
    }
    let x, y, s;
    do {
      x = 2 * u() - 1;
      y = 2 * u() - 1;
      s = x * x + y * y;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    spare = y * f;
    return mean + sd * x * f;
  };
  const gamma = (shape, scale = 1) => {
    if (shape < 1) return gamma(shape + 1, scale) * Math.pow(u(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x, v;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const w = u();
      if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  };
  const poisson = (lambda) => {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= u();
    } while (p > l);
    return k - 1;
  };
  const beta = (a2, b2) => {
    const x = gamma(a2);
    return x / (x + gamma(b2));
  };
  /** One of `items`, by `weights` (default uniform). */
  const pick = (items, weights) => {
    if (!weights) return items[Math.floor(u() * items.length)];
    let w = u() * weights.reduce((s, x) => s + x, 0);
    for (let i = 0; i < items.length; i++) if ((w -= weights[i]) < 0) return items[i];
    return items[items.length - 1];
  };
  return { u, normal, gamma, poisson, beta, pick, chance: (p) => u() < p, int: (lo, hi) => lo + Math.floor(u() * (hi - lo + 1)) };
}

const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
const round = (x, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

export const TELCO_PLANS = ['prepaid', 'basic', 'standard', 'unlimited', 'family'];

/** One telco customer (features of models/telco/bundle.yaml; null = missing). */
export function telcoCustomer(r) {
  const plan = r.pick(TELCO_PLANS, [0.2, 0.25, 0.25, 0.18, 0.12]);
  const prepaid = plan === 'prepaid';
  const family = plan === 'family';
  const tenure = clamp(Math.round(r.gamma(1.6, 20)), 0, 120);
  const term = prepaid ? 0 : r.pick([0, 12, 24], [0.3, 0.25, 0.45]);
  const lines = family ? r.int(2, 5) : r.chance(0.1) ? 2 : 1;
  const base = { prepaid: 15, basic: 25, standard: 40, unlimited: 60, family: 70 }[plan];
  const badCoverage = r.chance(0.08);
  const segment = r.chance(0.12) ? 'small_business' : 'consumer';
  const late = r.poisson(0.3);
  return {
    tenure_months: tenure,
    plan,
    contract_term_months: term,
    months_to_contract_end: term > 0 ? Math.floor(r.u() * term) : null,
    monthly_charges: round(Math.max(5, base + (family ? 9 * (lines - 1) : 0) + r.normal(0, 8)), 2),
    num_lines: lines,
    data_usage_pct: round(clamp(130 * r.beta(2, 2.5), 0, 200), 1),
    dropped_calls_30d: r.poisson(1.2) + (badCoverage ? r.poisson(7) : 0),
    support_calls_90d: r.poisson(0.6) + (badCoverage ? r.poisson(1.5) : 0),
    late_payments_12m: late,
    device_age_months: clamp(Math.round(r.gamma(2, 10)), 0, 84),
    has_home_broadband: r.chance(0.35) ? 1 : 0,
    nps: r.chance(0.4) ? clamp(Math.round(r.normal(7, 2.2)), 0, 10) : null,
    days_since_app_login: r.chance(0.25) ? null : clamp(Math.round(r.gamma(1, 10)), 0, 365),
    age: clamp(Math.round(r.normal(42, 14)), 18, 90),
    bill_increase_pct: r.chance(0.15) ? round(10 + 50 * r.u(), 1) : round(r.normal(0, 5), 1),
    segment,
    credit_class: late >= 2 ? r.pick(['B', 'C', 'D'], [0.2, 0.4, 0.4]) : r.pick(['A', 'B', 'C', 'D'], [0.45, 0.35, 0.15, 0.05]),
    roaming_days_90d: r.chance(0.3) ? r.poisson(6) : 0,
    five_g_device: r.chance(0.45) ? 1 : 0,
    email_opt_in: r.chance(0.7) ? 1 : 0,
    sms_opt_in: r.chance(0.6) ? 1 : 0,
    has_device_insurance: r.chance(0.25) ? 1 : 0,
    has_autopay: r.chance(0.55) ? 1 : 0,
    outstanding_balance: late > 0 && r.chance(0.5) ? round(20 + r.gamma(2, 40), 2) : 0,
  };
}

export const BANK_EMPLOYMENT = ['employed', 'self_employed', 'student', 'retired', 'unemployed'];
export const BANK_HOUSING = ['own', 'rent', 'parents', 'other'];

/** One retail-bank customer (features of models/bank/bundle.yaml). */
export function bankCustomer(r) {
  const age = clamp(Math.round(r.normal(41, 15)), 18, 90);
  const employment = age < 24 && r.chance(0.5) ? 'student' : age >= 66 ? 'retired' : r.pick(BANK_EMPLOYMENT, [0.7, 0.12, 0.03, 0.05, 0.1]);
  const income = { employed: 3200, self_employed: 3800, student: 900, retired: 2100, unemployed: 1100 }[employment] * Math.exp(r.normal(0, 0.35));
  const limit = r.chance(0.6) ? r.pick([1000, 2000, 3000, 5000, 8000]) : 0;
  const delinquencies = r.poisson(employment === 'unemployed' ? 0.8 : 0.25);
  return {
    age,
    employment,
    housing: age < 25 ? r.pick(BANK_HOUSING, [0.05, 0.4, 0.5, 0.05]) : r.pick(BANK_HOUSING, [0.55, 0.35, 0.05, 0.05]),
    monthly_income: round(income, 0),
    balance: round(Math.max(-500, r.normal(income * 0.8, income * 0.9)), 2),
    savings_balance: r.chance(0.45) ? round(r.gamma(1.2, 6000), 0) : 0,
    credit_limit: limit,
    card_utilisation: limit > 0 ? round(clamp(r.beta(1.5, 3), 0, 1), 2) : null,
    tenure_months: clamp(Math.round(r.gamma(1.8, 40)), 0, 480),
    num_products: clamp(1 + r.poisson(1.2), 1, 8),
    has_savings: r.chance(0.45) ? 1 : 0,
    has_mortgage: age > 28 && r.chance(0.3) ? 1 : 0,
    has_travel_insurance: r.chance(0.15) ? 1 : 0,
    delinquencies_12m: delinquencies,
    overdraft_days_90d: r.chance(0.25) ? r.poisson(8) : 0,
    years_at_address: clamp(Math.round(r.gamma(1.5, 4)), 0, 60),
    digital_active: r.chance(0.7) ? 1 : 0,
    segment: income > 6000 ? 'affluent' : r.chance(0.03) ? 'private' : 'mass',
    marketing_opt_in: r.chance(0.65) ? 1 : 0,
  };
}

export const RETAIL_CATEGORIES = ['electronics', 'fashion', 'home', 'beauty', 'sports', 'toys'];
export const RETAIL_TIERS = ['none', 'silver', 'gold', 'platinum'];

/** One retail customer (features of models/retail/bundle.yaml): category affinities are shares of 12-month spend. */
export function retailCustomer(r) {
  const weights = RETAIL_CATEGORIES.map(() => r.gamma(0.6));
  const total = weights.reduce((s, w) => s + w, 0);
  const orders = r.poisson(6);
  const aov = round(20 + r.gamma(2, 25), 2);
  const spend = round(orders * aov, 2);
  const customer = {
    orders_12m: orders,
    avg_order_value: aov,
    spend_12m: spend,
    days_since_last_order: orders === 0 ? null : clamp(Math.round(r.gamma(1.2, 30)), 0, 365),
    loyalty_tier: spend > 1500 ? 'platinum' : spend > 700 ? 'gold' : spend > 200 ? r.pick(['silver', 'gold'], [0.8, 0.2]) : r.pick(['none', 'silver'], [0.6, 0.4]),
    age: clamp(Math.round(r.normal(38, 13)), 16, 85),
    returns_rate: round(clamp(r.beta(1, 8), 0, 1), 2),
    discount_share: round(clamp(r.beta(1.5, 4), 0, 1), 2),
    app_user: r.chance(0.55) ? 1 : 0,
    email_opt_in: r.chance(0.7) ? 1 : 0,
    push_opt_in: r.chance(0.45) ? 1 : 0,
  };
  RETAIL_CATEGORIES.forEach((c, i) => {
    customer[`affinity_${c}`] = orders === 0 ? 0 : round(weights[i] / total, 3);
  });
  let best = 0;
  RETAIL_CATEGORIES.forEach((c, i) => {
    if (weights[i] > weights[best]) best = i;
  });
  customer.top_category = orders === 0 ? null : RETAIL_CATEGORIES[best];
  return customer;
}

/**
 * Events of a simulated customer before a decision at `now`: the moments the
 * journeys look for, in realistic shares, so that the offers they unlock
 * are learned too.
 */
export const STORIES = {
  telco: (r, now) => {
    const h = 3_600_000;
    const u = r.u();
    if (u < 0.05) return [{ type: 'view_retention_offer', time: now - 60 * h, offer: 'discount' }, { type: 'store_visit', time: now - 40 * h, store: 3 }];
    if (u < 0.1) return [{ type: 'porting_code_request', time: now - 5 * h }];
    if (u < 0.15) return [{ type: 'data_threshold', time: now - 30 * h, pct: 100 }];
    if (u < 0.18) return [{ type: 'roaming_start', time: now - 10 * h, zone: r.pick(['eu', 'world']) }];
    if (u < 0.21) return [{ type: 'device_page_view', time: now - 50 * h, brand: 'apple' }, { type: 'device_page_view', time: now - 30 * h, brand: 'apple' }, { type: 'device_page_view', time: now - 2 * h, brand: 'samsung' }];
    if (u < 0.24) {
      const m = 60_000;
      return [
        { type: 'device_change', time: now - 5 * h, brand: r.pick(['apple', 'samsung', 'google']) },
        ...[10, 25, 40].map((k) => ({ type: 'connect_fail', time: now - 5 * h + k * m, network: 'mobile' })),
      ];
    }
    return [];
  },
  retail: (r, now) => {
    const h = 3_600_000;
    const u = r.u();
    const category = r.pick(['electronics', 'fashion', 'home', 'beauty', 'sports', 'toys']);
    if (u < 0.15) return [{ type: 'add_to_cart', time: now - 3 * h, category, price: Math.round(20 + 150 * r.u()) }];
    if (u < 0.22) return [{ type: 'order_placed', time: now - 72 * h, category: 'electronics', total: 400 }];
    if (u < 0.35) return [1, 2, 3].map((k) => ({ type: 'product_view', time: now - k * 20 * h, category, price: 50 }));
    return [];
  },
};
