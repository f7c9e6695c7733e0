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
    { tenure_months: 38, months_to_contract_end: 2, monthly_charges: 49, device_age_months: 20, age: 36, nps: 5 },
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

export const PERSONAS = { telco: TELCO };
