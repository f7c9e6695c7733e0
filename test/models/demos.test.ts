/**
 * The demo bundles (models/telco, bank, retail): their sample contacts and
 * events replay without a rejection, every sample request decides (and
 * explains) without error, and the stories they tell hold: the frustrated
 * customer gets the service action first and no sale on any channel for 24
 * hours, a capped channel is skipped, a twice-rejected offer rests, the ATM
 * rescue goes only to the creditworthy, a basket reminder respects its
 * daily cap. (test/models/shipped.test.ts checks that each committed .nbb
 * is what its spec compiles to.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, type Decision, type DecisionRequest } from '../../src/index.js';

const MODELS = join(__dirname, '..', '..', 'models');
const DEMOS = ['telco', 'bank', 'retail'] as const;
type Demo = (typeof DEMOS)[number];

const ndjson = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

interface Loaded {
  engine: Engine;
  customers: Map<string, DecisionRequest>;
}
const loaded = new Map<Demo, Loaded>();

/** Loads a demo bundle and replays its sample contacts and events in time order, as the demo does. */
async function replay(name: Demo): Promise<Loaded> {
  const engine = await Engine.load(join(MODELS, `${name}.nbb`), { learning: { seed: 7 } });
  const customers = new Map(ndjson<DecisionRequest & { customerId: string }>(join(MODELS, name, 'customers.ndjson')).map((c) => [c.customerId, c]));
  const contacts = ndjson<{ customerId: string; actionId: string; channel: string; outcome: 'impression' | 'accept' | 'reject'; at: number }>(join(MODELS, name, 'contacts.ndjson'));
  const events = ndjson<{ customerId: string; type: string; time: number }>(join(MODELS, name, 'events.ndjson'));
  const stream = [...contacts.map((c) => ({ at: c.at, contact: c })), ...events.map((e) => ({ at: e.time, event: e }))].sort((a, b) => a.at - b.at);
  for (const s of stream) {
    if ('contact' in s) {
      engine.record(s.contact);
    } else {
      const { customerId, ...event } = s.event;
      expect(customers.has(customerId), `event of an unknown customer ${customerId}`).toBe(true);
      const r = engine.observe(customerId, event, { features: customers.get(customerId)!.features as never });
      expect(r.rejected, `${customerId} ${event.type}`).toBeUndefined();
    }
  }
  return { engine, customers };
}

beforeAll(async () => {
  for (const name of DEMOS) loaded.set(name, await replay(name));
});

function decide(name: Demo, id: string, context: Partial<DecisionRequest['context']> = {}, opts: { limit?: number } = {}): Decision {
  const { engine, customers } = loaded.get(name)!;
  const req = customers.get(id)!;
  engine.advance(id, context.now ?? req.context.now);
  return engine.decide({ ...req, context: { ...req.context, ...context } }, { explain: true, seed: 1, ...opts });
}
const candidate = (d: Decision, action: string) => d.explanation!.candidates.find((c) => c.action === action)!;

describe('demo bundles', () => {
  for (const name of DEMOS) {
    it(`${name}: every sample request decides and explains without error`, () => {
      const { engine, customers } = loaded.get(name)!;
      expect(customers.size).toBeGreaterThanOrEqual(10);
      let selected = 0;
      for (const [id, req] of customers) {
        engine.advance(id, req.context.now);
        const d = engine.decide(req, { explain: true, limit: 3, seed: 3 });
        expect(d.explanation!.candidates.length).toBeGreaterThan(0);
        for (const a of d.actions) expect(Number.isFinite(a.priority)).toBe(true);
        selected += d.actions.length;
      }
      expect(selected).toBeGreaterThan(customers.size); // the stories end in offers, not in silence
    });
  }

  it('telco: the size the issue asks for (about 50 actions and rules, 20 journeys)', () => {
    const { engine } = loaded.get('telco')!;
    expect(engine.actions.length).toBeGreaterThanOrEqual(45);
    expect(new Set(engine.actions.flatMap((a) => a.rules)).size).toBeGreaterThanOrEqual(50);
    const journeys = Object.keys(engine.journeyValues('T-1001', Date.UTC(2026, 2, 2))).filter((k) => k.split('.').length === 2);
    expect(journeys.length).toBeGreaterThanOrEqual(20);
    expect(engine.modelTable('churn').kind).toBe('trees');
  });

  it('telco: connection trouble within 24 hours puts a service action first and no sale on any channel', () => {
    const now = Date.UTC(2026, 2, 2, 10, 40);
    const everyChannel = decide('telco', 'T-1001', { channel: undefined, now }, { limit: 3 });
    expect(everyChannel.actions[0]).toMatchObject({ kind: 'service', mandatory: true });
    expect(everyChannel.actions.filter((a) => a.kind === 'sale')).toEqual([]);
    expect(new Set(everyChannel.actions.map((a) => a.channel)).size).toBeGreaterThan(1);
    // the match was at 10:31; a day later sales come back
    const nextDay = decide('telco', 'T-1001', { channel: undefined, now: Date.UTC(2026, 2, 3, 10, 32) }, { limit: 3 });
    expect(nextDay.actions.some((a) => a.kind === 'sale')).toBe(true);
    expect(nextDay.actions.some((a) => a.id === 'device_settings_push')).toBe(false);
  });

  it('telco: a capped channel is skipped, a twice-rejected offer rests, the walk-out gets a call back', () => {
    const capped = decide('telco', 'T-1008');
    expect(capped.actions).toEqual([]);
    expect(candidate(capped, 'business_connect')).toMatchObject({ stage: 'policy', policy: { id: 'email_weekly' } });
    const rejected = decide('telco', 'T-1014');
    expect(candidate(rejected, 'loyalty_discount_10')).toMatchObject({ stage: 'policy', policy: { id: 'reject_backoff' } });
    expect(decide('telco', 'T-1002').actions[0]!.id).toBe('winback_callback');
    expect(decide('telco', 'T-1011').actions.map((a) => a.id)).toEqual(['identity_check']);
  });

  it('bank: an ATM decline after heavy spending gets a loan only when the scorecard trusts the customer', () => {
    expect(decide('bank', 'B-2001').actions.map((a) => a.id)).toEqual(['instant_loan_500']);
    const risky = decide('bank', 'B-2002');
    expect(risky.actions.map((a) => a.id)).toEqual(['low_balance_alerts']);
    expect(candidate(risky, 'instant_loan_500')).toMatchObject({ stage: 'eligibility', rule: { name: 'creditworthy' } });
    // spending below 2000: no heavy-spender moment, no loan
    expect(candidate(decide('bank', 'B-2011'), 'instant_loan_500')).toMatchObject({ stage: 'applicability' });
    expect(decide('bank', 'B-2003').actions[0]).toMatchObject({ id: 'card_unblock_help', mandatory: true });
  });

  it('retail: basket reminders follow the abandoned basket and respect their daily cap', () => {
    expect(decide('retail', 'R-3001').actions[0]!.id).toBe('basket_reminder_push');
    expect(candidate(decide('retail', 'R-3002'), 'basket_reminder_push')).toMatchObject({ stage: 'policy', policy: { id: 'basket_daily_cap' } });
    expect(candidate(decide('retail', 'R-3010'), 'basket_reminder_push').stage).toBe('eligibility'); // ordered since
    expect(decide('retail', 'R-3005').actions[0]!.id).toBe('accessories_for_new_device');
  });
});
