/**
 * The sample customers of the demo bundles: one story each, told by their
 * features, their events and their contact history. scripts/gen-demo-data.mjs
 * writes them to models/<name>/customers.ndjson, events.ndjson and
 * contacts.ndjson; `npm run demo` replays the events and contacts and
 * decides for each customer.
 *
 * Times are UTC. The demo day is Monday 2026-03-02.
 */

/** Epoch ms of a UTC time written 'YYYY-MM-DD HH:MM[:SS]'. */
export function at(text) {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)(?::(\d\d))?$/.exec(text);
  if (!m) throw new Error(`bad time ${text}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
}

// ---- telco -----------------------------------------------------------------

/** A typical postpaid customer; each persona overrides what makes their story. */
const TELCO_BASE = {
  tenure_months: 30,
  plan: 'standard',
  contract_term_months: 24,
  months_to_contract_end: 12,
  monthly_charges: 42.5,
  num_lines: 1,
  data_usage_pct: 64,
  dropped_calls_30d: 1,
  support_calls_90d: 0,
  late_payments_12m: 0,
  device_age_months: 14,
  has_home_broadband: 0,
  nps: null,
  days_since_app_login: 6,
  age: 38,
  bill_increase_pct: 0,
  segment: 'consumer',
  credit_class: 'A',
  roaming_days_90d: 0,
  five_g_device: 1,
  email_opt_in: 1,
  sms_opt_in: 1,
  has_device_insurance: 0,
  has_autopay: 1,
  outstanding_balance: 0,
};

const telco = (id, features, context, extra = {}) => ({ id, features: { ...TELCO_BASE, ...features }, context, ...extra });

const TELCO = [
  telco(
    'T-1001',
    // connection trouble: a new phone this morning, then mobile data keeps failing
    { device_age_months: 0, tenure_months: 31, months_to_contract_end: 13, days_since_app_login: 0, age: 34 },
    { channel: 'app', now: at('2026-03-02 10:40') },
    {
      events: [
        { type: 'device_change', time: at('2026-03-02 09:55'), brand: 'samsung' },
        { type: 'connect_fail', time: at('2026-03-02 10:02'), network: 'mobile' },
        { type: 'connect_fail', time: at('2026-03-02 10:17'), network: 'mobile' },
        { type: 'connect_fail', time: at('2026-03-02 10:31'), network: 'mobile' },
        { type: 'app_login', time: at('2026-03-02 10:38') },
      ],
    },
  ),
  telco(
    'T-1002',
    // retention walk-out: saw a retention offer, went to a store, did not renew
    { tenure_months: 44, plan: 'unlimited', months_to_contract_end: 1, monthly_charges: 64.9, device_age_months: 26, age: 46, nps: 6 },
    { channel: 'call_center', now: at('2026-03-02 09:30') },
    {
      events: [
        { type: 'view_retention_offer', time: at('2026-02-27 19:12'), offer: 'discount' },
        { type: 'store_visit', time: at('2026-02-28 11:05'), store: 17 },
        { type: 'app_login', time: at('2026-03-01 20:14') },
      ],
    },
  ),
  telco(
    'T-1003',
    // calling to cancel: month to month, pricey, a few support calls
    { tenure_months: 8, contract_term_months: 0, months_to_contract_end: null, monthly_charges: 55, support_calls_90d: 2, days_since_app_login: null, age: 29 },
    { channel: 'call_center', call_reason: 'cancel', now: at('2026-03-02 11:15') },
  ),
  telco(
    'T-1004',
    // heavy data user on a small plan, runs out every month
    { plan: 'basic', monthly_charges: 25, data_usage_pct: 118, tenure_months: 20, age: 24, months_to_contract_end: 8 },
    { channel: 'app', now: at('2026-03-02 12:05') },
    {
      events: [
        { type: 'data_threshold', time: at('2026-02-03 18:40'), pct: 100 },
        { type: 'data_threshold', time: at('2026-03-01 21:10'), pct: 100 },
      ],
    },
  ),
  telco(
    'T-1005',
    // frequent traveller, abroad now
    { roaming_days_90d: 24, plan: 'unlimited', monthly_charges: 62, age: 51, segment: 'consumer' },
    { channel: 'sms', now: at('2026-03-02 07:30') },
    { events: [{ type: 'roaming_start', time: at('2026-03-01 16:20'), zone: 'world' }] },
  ),
  telco(
    'T-1006',
    // behind on payments, calling about the bill
    { late_payments_12m: 3, outstanding_balance: 182.4, credit_class: 'D', has_autopay: 0, plan: 'basic', monthly_charges: 27, age: 33 },
    { channel: 'call_center', call_reason: 'billing', now: at('2026-03-02 14:20') },
    { events: [{ type: 'payment_missed', time: at('2026-02-20 00:00'), amount: 54 }] },
  ),
  telco(
    'T-1007',
    // a new phone last month, no insurance
    { device_age_months: 1, has_device_insurance: 0, age: 27, five_g_device: 1, tenure_months: 50, months_to_contract_end: 23 },
    { channel: 'app', now: at('2026-03-02 19:45') },
  ),
  telco(
    'T-1008',
    // small business owner; emailed last week already
    { segment: 'small_business', monthly_charges: 48, tenure_months: 70, age: 45, plan: 'standard', num_lines: 1 },
    { channel: 'email', now: at('2026-03-02 08:00') },
    { contacts: [{ actionId: 'business_connect', channel: 'email', outcome: 'impression', at: at('2026-02-27 08:00') }] },
  ),
  telco(
    'T-1009',
    // bill shock: last bill 38% higher, looked at it twice
    { bill_increase_pct: 38, monthly_charges: 58.6, tenure_months: 16, age: 31 },
    { channel: 'app', now: at('2026-03-02 13:10') },
    {
      events: [
        { type: 'bill_issued', time: at('2026-03-01 06:00'), amount: 58.6, increase_pct: 38 },
        { type: 'bill_view', time: at('2026-03-01 09:12') },
        { type: 'bill_view', time: at('2026-03-02 13:02') },
      ],
    },
  ),
  telco(
    'T-1010',
    // poor coverage at home: many dropped calls, a detractor, called support four times
    { dropped_calls_30d: 14, has_home_broadband: 1, nps: 3, support_calls_90d: 4, age: 57, tenure_months: 96 },
    { channel: 'call_center', call_reason: 'technical', now: at('2026-03-02 16:00') },
    {
      events: [
        { type: 'call_dropped', time: at('2026-03-01 18:02') },
        { type: 'call_dropped', time: at('2026-03-01 18:09') },
        { type: 'call_dropped', time: at('2026-03-01 18:30') },
        { type: 'support_call', time: at('2026-03-01 18:45'), topic: 'technical' },
        { type: 'nps_survey', time: at('2026-03-01 19:30'), score: 3 },
      ],
    },
  ),
  telco(
    'T-1011',
    // SIM swap followed by a porting code request: possible account takeover
    { tenure_months: 63, monthly_charges: 45, age: 68, days_since_app_login: null },
    { channel: 'sms', now: at('2026-03-02 10:05') },
    {
      events: [
        { type: 'sim_swap', time: at('2026-03-01 22:40') },
        { type: 'porting_code_request', time: at('2026-03-02 09:58') },
      ],
    },
  ),
  telco(
    'T-1012',
    // two years on prepaid, always topped up on time
    { plan: 'prepaid', contract_term_months: 0, months_to_contract_end: null, monthly_charges: 15, tenure_months: 26, age: 22, data_usage_pct: 88 },
    { channel: 'app', now: at('2026-03-02 17:20') },
  ),
  telco(
    'T-1013',
    // a family of four with home broadband, in the store
    { plan: 'family', num_lines: 4, monthly_charges: 97, has_home_broadband: 1, age: 41, tenure_months: 72, device_age_months: 31 },
    { channel: 'store', call_reason: 'upgrade', now: at('2026-03-02 15:30') },
  ),
  telco(
    'T-1014',
    // said no to the loyalty discount twice this winter
    { tenure_months: 14, contract_term_months: 0, months_to_contract_end: null, monthly_charges: 68, device_age_months: 20, age: 36, nps: 4, support_calls_90d: 3, dropped_calls_30d: 5, bill_increase_pct: 20, days_since_app_login: 40 },
    { channel: 'app', now: at('2026-03-02 18:00') },
    {
      contacts: [
        { actionId: 'loyalty_discount_10', channel: 'app', outcome: 'reject', at: at('2026-01-12 19:00') },
        { actionId: 'loyalty_discount_10', channel: 'email', outcome: 'reject', at: at('2026-02-09 08:30') },
      ],
    },
  ),
  telco(
    'T-1015',
    // contract ends in two months, the phone is old, comes to the store
    { months_to_contract_end: 2, device_age_months: 33, monthly_charges: 52, age: 39, tenure_months: 58, plan: 'standard' },
    { channel: 'store', call_reason: 'contract', now: at('2026-03-02 11:45') },
  ),
];

// ---- bank ------------------------------------------------------------------

const BANK_BASE = {
  age: 38,
  employment: 'employed',
  housing: 'rent',
  monthly_income: 2900,
  balance: 1450,
  savings_balance: 3200,
  overdraft_limit: 1000,
  has_credit_card: 1,
  card_utilisation: 0.3,
  tenure_months: 84,
  num_products: 3,
  has_savings: 1,
  has_mortgage: 0,
  has_travel_insurance: 0,
  delinquencies_12m: 0,
  overdraft_days_90d: 0,
  years_at_address: 6,
  digital_active: 1,
  segment: 'mass',
  marketing_opt_in: 1,
};

const bank = (id, features, context, extra = {}) => ({ id, features: { ...BANK_BASE, ...features }, context, ...extra });

/** A week of card payments adding up to about `total`, ending the day before `end`. */
function spendingWeek(end, total, merchants) {
  const per = Math.round((total / merchants.length) * 100) / 100;
  return merchants.map((merchant, k) => ({ type: 'card_payment', time: at(end) - (k + 1) * 86_400_000 + 3_600_000 * (k % 5), amount: per, merchant }));
}

const BANK = [
  bank(
    'B-2001',
    // heavy spending all week, then the ATM says no: good credit, so an instant loan on the ATM screen
    { age: 34, monthly_income: 3400, balance: 35, overdraft_limit: 0, years_at_address: 7, housing: 'own' },
    { channel: 'atm', now: at('2026-03-02 18:32') },
    {
      events: [
        ...spendingWeek('2026-03-02 12:00', 2240, ['travel', 'online', 'restaurants', 'grocery', 'online', 'fuel']),
        { type: 'atm_decline', time: at('2026-03-02 18:31'), reason: 'insufficient_funds', amount: 200 },
      ],
    },
  ),
  bank(
    'B-2002',
    // the same story, but the scorecard does not trust them: no credit, help with the budget instead
    { age: 23, employment: 'employed', monthly_income: 1250, balance: 12, overdraft_limit: 300, delinquencies_12m: 1, overdraft_days_90d: 38, years_at_address: 1, tenure_months: 14 },
    { channel: 'atm', now: at('2026-03-02 21:05') },
    {
      events: [
        ...spendingWeek('2026-03-02 12:00', 2050, ['online', 'restaurants', 'online', 'travel', 'other']),
        { type: 'atm_decline', time: at('2026-03-02 21:04'), reason: 'insufficient_funds', amount: 100 },
      ],
    },
  ),
  bank(
    'B-2003',
    // the ATM kept the card: blocked after a suspicious payment
    { age: 61, employment: 'retired', monthly_income: 2100, housing: 'own', years_at_address: 25 },
    { channel: 'atm', now: at('2026-03-02 10:16') },
    { events: [{ type: 'atm_decline', time: at('2026-03-02 10:15'), reason: 'card_blocked', amount: 100 }] },
  ),
  bank(
    'B-2004',
    // an inheritance landed on the account
    { age: 52, monthly_income: 4600, savings_balance: 8000, segment: 'affluent', housing: 'own', has_mortgage: 1 },
    { channel: 'call_center', now: at('2026-03-02 09:40') },
    { events: [{ type: 'large_deposit', time: at('2026-02-26 11:00'), amount: 48000 }] },
  ),
  bank(
    'B-2005',
    // salary day, nothing set aside yet
    { age: 29, monthly_income: 2600, has_savings: 0, savings_balance: 0, has_credit_card: 0, card_utilisation: null },
    { channel: 'app', now: at('2026-03-02 08:10') },
    { events: [{ type: 'salary_credit', time: at('2026-03-02 06:00'), amount: 2600 }] },
  ),
  bank(
    'B-2006',
    // looking at mortgages
    { age: 33, monthly_income: 3900, housing: 'rent', savings_balance: 42000, has_mortgage: 0 },
    { channel: 'app', now: at('2026-03-02 20:30') },
    {
      events: [
        { type: 'mortgage_calculator_view', time: at('2026-02-22 21:12') },
        { type: 'mortgage_calculator_view', time: at('2026-03-01 19:47') },
      ],
    },
  ),
  bank(
    'B-2007',
    // booked flights: travel cover and a currency card
    { age: 41, monthly_income: 3300, has_travel_insurance: 0 },
    { channel: 'app', now: at('2026-03-02 12:45') },
    { events: [{ type: 'card_payment', time: at('2026-03-02 12:31'), amount: 780, merchant: 'travel' }] },
  ),
  bank(
    'B-2008',
    // a student about to graduate
    { age: 23, employment: 'student', monthly_income: 850, housing: 'parents', overdraft_limit: 500, has_credit_card: 0, card_utilisation: null, tenure_months: 50, years_at_address: 3 },
    { channel: 'web', now: at('2026-03-02 16:20') },
  ),
  bank(
    'B-2009',
    // overdrawn three times this month
    { age: 45, monthly_income: 2300, overdraft_days_90d: 26, balance: -320, delinquencies_12m: 0, housing: 'own', years_at_address: 12 },
    { channel: 'app', now: at('2026-03-02 19:00') },
    {
      events: [
        { type: 'overdraft_entered', time: at('2026-02-06 09:00') },
        { type: 'overdraft_entered', time: at('2026-02-19 09:00') },
        { type: 'overdraft_entered', time: at('2026-02-28 09:00') },
      ],
    },
  ),
  bank(
    'B-2010',
    // affluent, no credit card
    { age: 47, monthly_income: 7200, segment: 'affluent', has_credit_card: 0, card_utilisation: null, housing: 'own', savings_balance: 16000 },
    { channel: 'branch', now: at('2026-03-02 11:30') },
  ),
  bank(
    'B-2011',
    // declined, but spent only 900 this week: not the heavy-spender moment
    { age: 31, monthly_income: 2500, balance: 20 },
    { channel: 'atm', now: at('2026-03-02 13:05') },
    {
      events: [
        ...spendingWeek('2026-03-02 12:00', 900, ['grocery', 'fuel', 'online']),
        { type: 'atm_decline', time: at('2026-03-02 13:04'), reason: 'insufficient_funds', amount: 50 },
      ],
    },
  ),
  bank(
    'B-2012',
    // turned the gold card down twice this winter
    { age: 50, monthly_income: 6100, segment: 'affluent', has_credit_card: 0, card_utilisation: null, housing: 'own' },
    { channel: 'app', now: at('2026-03-02 09:05') },
    {
      contacts: [
        { actionId: 'credit_card_gold', channel: 'app', outcome: 'reject', at: at('2026-01-15 19:00') },
        { actionId: 'credit_card_gold', channel: 'email', outcome: 'reject', at: at('2026-02-12 08:00') },
      ],
    },
  ),
];

// ---- retail ----------------------------------------------------------------

const RETAIL_BASE = {
  orders_12m: 6,
  avg_order_value: 72,
  spend_12m: 432,
  days_since_last_order: 21,
  loyalty_tier: 'silver',
  age: 35,
  returns_rate: 0.08,
  discount_share: 0.2,
  app_user: 1,
  email_opt_in: 1,
  push_opt_in: 1,
  affinity_electronics: 0.1,
  affinity_fashion: 0.3,
  affinity_home: 0.25,
  affinity_beauty: 0.15,
  affinity_sports: 0.1,
  affinity_toys: 0.1,
  top_category: 'fashion',
};

const retail = (id, features, context, extra = {}) => ({ id, features: { ...RETAIL_BASE, ...features }, context, ...extra });

const RETAIL = [
  retail(
    'R-3001',
    // left headphones and a charger in the basket last night
    { affinity_electronics: 0.45, affinity_fashion: 0.1, top_category: 'electronics', avg_order_value: 95 },
    { channel: 'app', page: 'home', now: at('2026-03-02 08:30') },
    {
      events: [
        { type: 'product_view', time: at('2026-03-01 21:02'), category: 'electronics', price: 149 },
        { type: 'add_to_cart', time: at('2026-03-01 21:05'), category: 'electronics', price: 149 },
        { type: 'add_to_cart', time: at('2026-03-01 21:09'), category: 'electronics', price: 29.9 },
      ],
    },
  ),
  retail(
    'R-3002',
    // left a basket too, but was reminded by push an hour ago: the daily cap holds
    { affinity_home: 0.5, top_category: 'home' },
    { channel: 'app', page: 'home', now: at('2026-03-02 12:00') },
    {
      events: [{ type: 'add_to_cart', time: at('2026-03-02 09:10'), category: 'home', price: 64 }],
      contacts: [{ actionId: 'basket_reminder_push', channel: 'app', outcome: 'impression', at: at('2026-03-02 11:00') }],
    },
  ),
  retail(
    'R-3003',
    // a discount hunter with a big basket, back on the cart page
    { discount_share: 0.6, affinity_sports: 0.5, top_category: 'sports', avg_order_value: 110 },
    { channel: 'web', page: 'cart', now: at('2026-03-02 19:20') },
    {
      events: [
        { type: 'add_to_cart', time: at('2026-03-02 15:02'), category: 'sports', price: 89 },
        { type: 'add_to_cart', time: at('2026-03-02 15:06'), category: 'sports', price: 45 },
      ],
    },
  ),
  retail(
    'R-3004',
    // fashion lover on the home page
    { affinity_fashion: 0.62, affinity_home: 0.1, top_category: 'fashion', age: 27, loyalty_tier: 'gold', spend_12m: 980, orders_12m: 11 },
    { channel: 'web', page: 'home', now: at('2026-03-02 13:40') },
    {
      events: [
        { type: 'product_view', time: at('2026-03-01 20:00'), category: 'fashion', price: 59 },
        { type: 'product_view', time: at('2026-03-02 13:35'), category: 'fashion', price: 79 },
      ],
    },
  ),
  retail(
    'R-3005',
    // bought a laptop three days ago
    { affinity_electronics: 0.55, affinity_beauty: 0, affinity_fashion: 0.1, affinity_home: 0.2, affinity_sports: 0.15, affinity_toys: 0, top_category: 'electronics', avg_order_value: 310 },
    { channel: 'email', now: at('2026-03-02 07:00') },
    { events: [{ type: 'order_placed', time: at('2026-02-27 18:20'), category: 'electronics', total: 899 }] },
  ),
  retail(
    'R-3006',
    // has not ordered for five months
    { days_since_last_order: 152, orders_12m: 2, spend_12m: 130, loyalty_tier: 'none', discount_share: 0.45, affinity_beauty: 0.5, top_category: 'beauty' },
    { channel: 'email', now: at('2026-03-02 07:00') },
  ),
  retail(
    'R-3007',
    // silver, a few euros away from gold
    { spend_12m: 655, orders_12m: 9, loyalty_tier: 'silver', affinity_home: 0.4, top_category: 'home' },
    { channel: 'app', page: 'account', now: at('2026-03-02 18:10') },
  ),
  retail(
    'R-3008',
    // browsing toys all week, never bought any
    { affinity_toys: 0, affinity_fashion: 0.5, top_category: 'fashion', age: 38, app_user: 0 },
    { channel: 'web', page: 'home', now: at('2026-03-02 20:15') },
    {
      events: [
        { type: 'product_view', time: at('2026-02-25 20:10'), category: 'toys', price: 35 },
        { type: 'product_view', time: at('2026-02-27 21:00'), category: 'toys', price: 49 },
        { type: 'product_view', time: at('2026-03-01 19:30'), category: 'toys', price: 25 },
        { type: 'product_view', time: at('2026-03-02 20:05'), category: 'toys', price: 60 },
      ],
    },
  ),
  retail(
    'R-3009',
    // a new visitor without orders, building a wish list
    { orders_12m: 0, spend_12m: 0, avg_order_value: 40, days_since_last_order: null, loyalty_tier: 'none', top_category: null, affinity_electronics: 0, affinity_fashion: 0, affinity_home: 0, affinity_beauty: 0, affinity_sports: 0, affinity_toys: 0, app_user: 0 },
    { channel: 'web', page: 'product', now: at('2026-03-02 21:30') },
    {
      events: [
        { type: 'wishlist_add', time: at('2026-02-24 20:00'), category: 'home' },
        { type: 'wishlist_add', time: at('2026-02-28 21:15'), category: 'home' },
        { type: 'wishlist_add', time: at('2026-03-02 21:20'), category: 'beauty' },
      ],
    },
  ),
  retail(
    'R-3010',
    // ordered yesterday: a review request, and nothing about the basket it emptied
    { affinity_beauty: 0.4, top_category: 'beauty' },
    { channel: 'app', page: 'account', now: at('2026-03-02 10:00') },
    {
      events: [
        { type: 'add_to_cart', time: at('2026-03-01 17:00'), category: 'beauty', price: 38 },
        { type: 'checkout', time: at('2026-03-01 17:06'), total: 38 },
        { type: 'order_placed', time: at('2026-03-01 17:06'), category: 'beauty', total: 38 },
      ],
    },
  ),
];

export const PERSONAS = { telco: TELCO, bank: BANK, retail: RETAIL };
