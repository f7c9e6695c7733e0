/**
 * Journeys inside decisions, end to end, on both wasm builds:
 * - the frustrated telco customer (a phone change, then 3 failed mobile
 *   connections within the hour) gets the service action first and no sale
 *   on any channel for 24 hours, then sales return;
 * - the retention walkout (a retention offer, a store visit, then no renewal
 *   within 24 hours) triggers a discount offer on sms within the hour of an
 *   hourly advanceAll sweep, or on the customer's next event;
 * - the bank's ATM decline after heavy card spending (a 7-day windowed sum)
 *   triggers the loan offer;
 * - a customer with fresh state reads `journey.<id>` false, `.lastMatch`
 *   missing, `.count` 0 and empty aggregates (count and sum 0, min/max/avg missing).
 * Explanations name the journey match behind the rules.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource, type Decision, type JourneyMatch } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { VARIANTS } from '../helpers/random.js';
import { BANK, TELCO } from '../helpers/journey-bundles.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
/** 2024-11-23 09:55 UTC */
const T = Date.UTC(2024, 10, 23, 9, 55);

async function load(spec: string, wasm: (typeof VARIANTS)[number]): Promise<Engine> {
  return Engine.load(encodeBundle(compileSpec(new SpecSource(spec, 'scenario.yaml'), { created: 'fixed' })), { wasm });
}

const ids = (d: Decision) => d.actions.map((a) => `${a.id}@${a.channel}`);
const kinds = (d: Decision) => d.actions.map((a) => a.kind);
const CUSTOMER = { tenure_months: 30, plan: 'standard' };
const CHANNELS = ['app', 'email', 'sms', 'call_center'] as const;

/** The frustrated customer's events: a phone change, then failed connections (one on wifi, which does not count). */
function frustrate(e: Engine, id: string, fails = 3) {
  const out = [e.observe(id, { type: 'device_change', time: T, model: 7 }, { features: CUSTOMER })];
  const times = [7, 15, 25, 36]; // 10:02, 10:10 (wifi), 10:20, 10:31
  const nets = ['mobile', 'wifi', 'mobile', 'mobile', 'mobile'];
  for (let i = 0, mobile = 0; i < times.length && mobile < fails; i++) {
    if (nets[i] === 'mobile') mobile++;
    out.push(e.observe(id, { type: 'connect_fail', time: T + times[i]! * M, network: nets[i] }, { features: CUSTOMER, decide: { explain: true } }));
  }
  return out;
}

describe('journeys inside decisions: scenarios', () => {
  for (const wasm of VARIANTS) {
    it(`the frustrated customer gets the service action first and no sale on any channel for 24h, then sales return (${wasm})`, async () => {
      const e = await load(TELCO, wasm);
      const decide = (now: number, channel?: string | readonly string[], id = 'c1') =>
        e.decide({ customerId: id, features: CUSTOMER, context: { now, ...(channel ? { channel } : {}) } }, { limit: 3 });

      // before: sales only
      expect(kinds(decide(T - M)).every((k) => k === 'sale')).toBe(true);
      const results = frustrate(e, 'c1');
      const last = results[results.length - 1]!;
      const match = T + 36 * M; // 10:31
      expect(results.slice(0, -1).every((r) => r.matches.length === 0 && r.decisions === undefined)).toBe(true);
      expect(last.matches.map((m) => [m.journey, m.time])).toEqual([['connection_trouble', match]]);

      // the trigger asked for a call-back decision, made right away on the updated state
      expect(last.decisions).toHaveLength(1);
      const trig = last.decisions![0]!;
      expect(trig).toMatchObject({
        trigger: 'trouble_callback',
        journey: 'connection_trouble',
        time: match,
        channel: 'call_center',
        limit: 1,
        context: { now: match, channel: 'call_center', placement: 'callback' },
        description: 'call the customer back about the outages',
      });
      expect(ids(trig.decision)).toEqual(['network_fix_callback@call_center']);
      expect(last.matches[0]!.triggered).toEqual([trig]); // the same request, on its match
      // its explanation names the match, events and all
      const top = trig.decision.explanation!.candidates.find((c) => c.action === 'network_fix_callback')!;
      expect(top.reason).toContain('connection_trouble matched at 10:31: 3 connect_fail 10:02-10:31 (network=mobile) after device_change 09:55');
      expect(top.journeys).toEqual(['connection_trouble']);
      expect(trig.decision.explanation!.journeys).toEqual([
        {
          journey: 'connection_trouble',
          kind: 'pattern',
          matched: true,
          lastMatch: match,
          count: 1,
          match: last.matches[0],
          text: 'connection_trouble matched at 10:31: 3 connect_fail 10:02-10:31 (network=mobile) after device_change 09:55',
        },
        { journey: 'retention_walkout', kind: 'pattern', matched: false, lastMatch: null, count: 0, text: 'retention_walkout has not matched' },
      ]);
      const sale = trig.decision.explanation!.candidates.find((c) => c.action === 'premium_upgrade')!;
      expect(sale.stage).toBe('eligibility');
      expect(sale.rule!.name).toBe('no_sale_during_trouble');
      expect(sale.reason).toMatch(/^eligibility rule no_sale_during_trouble \(group sales\) is false: not journey\.connection_trouble; connection_trouble matched at 10:31: 3 connect_fail/);

      // for 24 hours: a service action first and no sale, on every channel alone and on all together
      for (const now of [match, match + M, match + 12 * H, match + D - 1]) {
        for (const channel of [...CHANNELS, undefined, ['email', 'sms']]) {
          const d = decide(now, channel);
          const where = `${new Date(now).toISOString()} on ${String(channel)}`;
          expect(d.actions.length, where).toBeGreaterThan(0);
          expect(d.actions[0]!.kind, where).toBe('service');
          expect(kinds(d), where).not.toContain('sale');
        }
      }
      expect(ids(decide(match + H, 'app'))).toEqual(['network_fix_callback@app', 'device_setup_help@app']);
      expect(ids(decide(match + H, 'email'))).toEqual(['device_setup_help@email']);

      // a later decision, told the match the host kept, describes it; without it, the state's time and count
      const later = e.decide({ customerId: 'c1', features: CUSTOMER, context: { now: match + 2 * H, channel: 'sms' } }, { explain: true, matches: last.matches });
      const blocked = later.explanation!.candidates.find((c) => c.action === 'data_addon')!;
      expect(blocked.reason).toContain('connection_trouble matched at 10:31: 3 connect_fail 10:02-10:31 (network=mobile) after device_change 09:55');
      const bare = e.decide({ customerId: 'c1', features: CUSTOMER, context: { now: match + 2 * H, channel: 'sms' } }, { explain: true });
      expect(bare.explanation!.candidates.find((c) => c.action === 'data_addon')!.reason).toMatch(/; connection_trouble matched at 10:31$/);
      // a match of another time is never described as the one the rule saw
      const stale = { ...last.matches[0]!, time: match - M };
      const other = e.decide({ customerId: 'c1', features: CUSTOMER, context: { now: match + 2 * H, channel: 'sms' } }, { explain: true, matches: [stale] });
      expect(other.explanation!.journeys![0]!.match).toBeUndefined();

      // after 24h the sales return and the care actions stand down
      for (const channel of CHANNELS) {
        const d = decide(match + D, channel);
        expect(kinds(d), channel).not.toContain('service');
        expect(d.actions[0]!.id).toBe('premium_upgrade');
      }
      const after = e.decide({ customerId: 'c1', features: CUSTOMER, context: { now: match + D, channel: 'app' } }, { explain: true });
      expect(after.explanation!.candidates.find((c) => c.action === 'network_fix_callback')!.reason).toBe(
        'eligibility rule connection_trouble (action network_fix_callback) is false: journey.connection_trouble; connection_trouble last matched at 2024-11-23 10:31, more than 1d before now',
      );
    });

    it(`one failure too few, or the failures beyond the hour, leave the sales alone (${wasm})`, async () => {
      const e = await load(TELCO, wasm);
      const two = frustrate(e, 'two', 2);
      expect(two.every((r) => r.matches.length === 0)).toBe(true);
      expect(kinds(e.decide({ customerId: 'two', features: CUSTOMER, context: { now: T + H } }))).not.toContain('service');
      e.observe('slow', { type: 'device_change', time: T, model: 1 });
      for (const t of [10, 30, 60]) e.observe('slow', { type: 'connect_fail', time: T + t * M, network: 'mobile' }); // the third is exactly 1h after: too late
      expect(e.journeyValues('slow', T + 61 * M)['journey.connection_trouble']).toBe(false);
      expect(e.decide({ customerId: 'slow', features: CUSTOMER, context: { now: T + 61 * M, channel: 'app' } }).actions[0]!.kind).toBe('sale');
    });

    it(`the retention walkout triggers a discount offer on sms within the hour of an hourly sweep (${wasm})`, async () => {
      const e = await load(TELCO, wasm);
      const features = new Map([
        ['walker', { tenure_months: 40, plan: 'basic' }],
        ['renewer', { tenure_months: 12, plan: 'standard' }],
      ]);
      for (const id of features.keys()) {
        e.observe(id, { type: 'view_retention_offer', time: T }, { features: features.get(id) });
        e.observe(id, { type: 'store_visit', time: T + 2 * H }, { features: features.get(id) });
      }
      e.observe('renewer', { type: 'contract_renewal', time: T + 10 * H });
      const deadline = T + 2 * H + D;
      // the host sweeps every hour, at 17 past, and gives each customer's features to the decisions
      const fired: { now: number; customerId: string; match: JourneyMatch }[] = [];
      const seen: string[] = [];
      for (let now = T + 2 * H + 17 * M; now < deadline + 3 * H; now += H) {
        const swept = e.advanceAll(now, { decide: (customerId) => { seen.push(customerId); return { features: features.get(customerId)! }; } });
        for (const [customerId, matches] of swept) for (const match of matches) fired.push({ now, customerId, match });
      }
      expect(seen).toEqual(['walker']); // features are read only for customers whose matches trigger
      expect(fired).toHaveLength(1);
      const { now, customerId, match } = fired[0]!;
      expect(customerId).toBe('walker');
      expect(match.time).toBe(deadline);
      expect(now - match.time).toBeLessThan(H);
      expect(now).toBeGreaterThanOrEqual(deadline);
      expect(match.triggered).toHaveLength(1);
      const req = match.triggered![0]!;
      expect(req).toMatchObject({ trigger: 'walkout_winback', channel: 'sms', limit: 1, context: { now, channel: 'sms', placement: 'inbox' } });
      expect(ids(req.decision!)).toEqual(['retention_discount@sms']);
      // and the discount stays the best sale while the walkout is active (48h)
      expect(e.decide({ customerId: 'walker', features: features.get('walker')!, context: { now: deadline + 47 * H, channel: 'email' } }).actions[0]!.id).toBe('retention_discount');
      expect(e.decide({ customerId: 'walker', features: features.get('walker')!, context: { now: deadline + 48 * H, channel: 'email' } }).actions[0]!.id).toBe('premium_upgrade');
    });

    it(`the walkout also triggers on the customer's next event, or from advance and advanceState (${wasm})`, async () => {
      const e = await load(TELCO, wasm);
      const f = { tenure_months: 40, plan: 'basic' };
      for (const id of ['next', 'adv']) {
        e.observe(id, { type: 'view_retention_offer', time: T });
        e.observe(id, { type: 'store_visit', time: T + H });
      }
      const deadline = T + H + D;
      // the next event, 20 minutes after the deadline: the decision is made at the event's time
      const r = e.observe('next', { type: 'connect_fail', time: deadline + 20 * M, network: 'wifi' }, { features: f, decide: { explain: true } });
      expect(r.matches.map((m) => [m.journey, m.time])).toEqual([['retention_walkout', deadline]]);
      expect(r.decisions![0]!.context.now).toBe(deadline + 20 * M);
      expect(ids(r.decisions![0]!.decision)).toEqual(['retention_discount@sms']);
      const why = r.decisions![0]!.decision.explanation!.candidates.find((c) => c.action === 'retention_discount')!;
      expect(why.reason).toMatch(/; retention_walkout matched at 10:55: no contract_renewal for 1d after store_visit 2024-11-23 10:55 after view_retention_offer 2024-11-23 09:55$/);

      // advance lists the request without deciding when told decide: false
      expect(e.advance('adv', deadline - 1)).toEqual([]);
      const listed = e.advance('adv', deadline, { decide: false });
      expect(listed[0]!.triggered).toEqual([
        { trigger: 'walkout_winback', journey: 'retention_walkout', time: deadline, channel: 'sms', limit: 1, context: { now: deadline, channel: 'sms', placement: 'inbox' } },
      ]);
      // the host then decides with the listed context
      const d = e.decide({ customerId: 'adv', features: f, context: listed[0]!.triggered![0]!.context }, { limit: 1 });
      expect(ids(d)).toEqual(['retention_discount@sms']);

      // the pure forms
      let s: Uint8Array | undefined;
      for (const ev of [{ type: 'view_retention_offer', time: T }, { type: 'store_visit', time: T + H }]) s = e.observeState(s, ev).state;
      const adv = e.advanceState(s!, deadline + 5 * M, { decide: { features: f } });
      expect(adv.decisions!.map((x) => ids(x.decision))).toEqual([['retention_discount@sms']]);
      expect(adv.matches[0]!.triggered![0]!.decision).toBe(adv.decisions![0]!.decision);
    });

    it(`the ATM decline after heavy spending triggers the loan offer (${wasm})`, async () => {
      const e = await load(BANK, wasm);
      const at = Date.UTC(2024, 10, 20, 14);
      const pay = (id: string, amounts: number[], first: number) => amounts.forEach((amount, i) => e.observe(id, { type: 'card_payment', time: first + i * D, amount }));
      const decline = (id: string, reason: string, time: number, creditScore = 700) =>
        e.observe(id, { type: 'atm_decline', time, reason }, { features: { credit_score: creditScore }, decide: { explain: true } });

      pay('heavy', [800, 700, 600], at - 4 * D); // 2100 within 7 days
      const r = decline('heavy', 'insufficient_funds', at);
      expect(r.matches.map((m) => m.journey)).toEqual(['declined_heavy_spender']);
      expect(r.decisions).toHaveLength(1);
      expect(r.decisions![0]).toMatchObject({ trigger: 'atm_rescue', journey: 'declined_heavy_spender', channel: 'push', time: at });
      const d = r.decisions![0]!.decision;
      expect(ids(d)).toEqual(['loan_topup@push']);
      const loan = d.explanation!.candidates.find((c) => c.action === 'loan_topup')!;
      expect(loan.journeys).toEqual(['declined_heavy_spender', 'spend7d']);
      expect(loan.reason).toMatch(/; declined_heavy_spender matched at 14:00: atm_decline 14:00; spend7d over the last 7d: sum 2100, count 3, max 800$/);
      expect(d.explanation!.journeys!.find((j) => j.journey === 'spend7d')).toEqual({
        journey: 'spend7d',
        kind: 'aggregate',
        values: { sum: 2100, count: 3, max: 800 },
        text: 'spend7d over the last 7d: sum 2100, count 3, max 800',
      });
      // the loan stays eligible for the pattern's activeFor (2h)
      const later = (now: number) => e.decide({ customerId: 'heavy', features: { credit_score: 700 }, context: { now, channel: 'app' } }).actions[0]?.id;
      expect(later(at + 2 * H - 1)).toBe('loan_topup');
      expect(later(at + 2 * H)).toBe('budgeting_tips');

      // 1900 is not heavy; a blocked card is not a lack of funds; payments older than the window do not count
      pay('light', [1000, 900], at - 2 * D);
      expect(decline('light', 'insufficient_funds', at).decisions).toBeUndefined();
      pay('blocked', [1500, 1500], at - 2 * D);
      expect(decline('blocked', 'card_blocked', at).matches).toEqual([]);
      pay('old', [1500, 1500], at - 9 * D);
      pay('old', [300], at - D);
      expect(decline('old', 'insufficient_funds', at).matches).toEqual([]);
      // the match triggers, but the credit rule keeps the loan out, and says so
      pay('risky', [1200, 1200], at - 3 * D);
      const risky = decline('risky', 'insufficient_funds', at, 550).decisions![0]!.decision;
      expect(ids(risky)).toEqual(['budgeting_tips@push']);
      const no = risky.explanation!.candidates.find((c) => c.action === 'loan_topup')!;
      expect(no.rule!.name).toBe('creditworthy');
      expect(no.journeys).toBeUndefined(); // the false rule reads no journey
    });

    it(`a customer with fresh state: journey flags false, lastMatch missing, count 0, empty aggregates (${wasm})`, async () => {
      const bank = await load(BANK, wasm);
      const now = Date.UTC(2024, 10, 20, 14);
      expect(bank.journeyValues('nobody', now)).toEqual({
        'journey.declined_heavy_spender': false,
        'journey.declined_heavy_spender.lastMatch': NaN,
        'journey.declined_heavy_spender.count': 0,
        'journey.spend7d.sum': 0,
        'journey.spend7d.count': 0,
        'journey.spend7d.max': NaN,
      });
      const req = { features: { credit_score: 700 }, context: { now, channel: 'app' } };
      const fresh = [
        bank.decide({ customerId: 'nobody', ...req }, { explain: true }),
        bank.decideState(undefined, req, { explain: true }).decision,
        // contact history only, no events: the journeys section is still fresh
        bank.decideState(bank.recordState(undefined, { actionId: 'budgeting_tips', channel: 'app', outcome: 'impression', at: now - D }), req, { explain: true }).decision,
      ];
      for (const d of fresh) {
        expect(ids(d)).toEqual(['welcome_saver@app']); // spend7d.count == 0, max and lastMatch missing
        expect(d.explanation!.candidates.find((c) => c.action === 'loan_topup')!.reason).toBe(
          'eligibility rule just_declined (action loan_topup) is false: journey.declined_heavy_spender; declined_heavy_spender has not matched',
        );
        expect(d.explanation!.journeys).toEqual([
          { journey: 'declined_heavy_spender', kind: 'pattern', matched: false, lastMatch: null, count: 0, text: 'declined_heavy_spender has not matched' },
          { journey: 'spend7d', kind: 'aggregate', values: { sum: 0, count: 0, max: null }, text: 'spend7d over the last 7d: sum 0, count 0, max missing' },
        ]);
      }
      const telco = await load(TELCO, wasm);
      const d = telco.decide({ customerId: 'nobody', features: CUSTOMER, context: { now: T } });
      expect(kinds(d)).toEqual(['sale', 'sale']);
      expect(telco.journeyValues('nobody', T)).toMatchObject({ 'journey.connection_trouble': false, 'journey.connection_trouble.count': 0 });
    });
  }
});
