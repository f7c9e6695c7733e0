/**
 * The three journeys of models/journeys.nbb (the examples) through
 * Engine.observe / advance, with the edge cases: the window boundary, one
 * event too few, late events, an absence completed by advance versus by a
 * later event, two customers interleaved. Both wasm builds.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeMatch, Engine, MemoryStore, type JourneyEvent } from '../../src/index.js';
import { VARIANTS } from '../helpers/random.js';

const BUNDLE = join(__dirname, '..', '..', 'models', 'journeys.nbb');
const T = Date.UTC(2024, 10, 23, 9, 55); // 2024-11-23 09:55 UTC
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const change = (t: number): JourneyEvent => ({ type: 'device_change', time: t });
const fail = (t: number, network = 'mobile'): JourneyEvent => ({ type: 'connect_fail', time: t, network });
const offer = (t: number): JourneyEvent => ({ type: 'view_retention_offer', time: t, offer: 'discount' });
const visit = (t: number): JourneyEvent => ({ type: 'store_visit', time: t, store: 12 });
const renewal = (t: number): JourneyEvent => ({ type: 'contract_renewal', time: t });
const pay = (t: number, amount: number): JourneyEvent => ({ type: 'card_payment', time: t, amount, merchant: 'grocery' });
const decline = (t: number, reason = 'insufficient_funds'): JourneyEvent => ({ type: 'atm_decline', time: t, reason, amount: 80 });

function ids(ms: { journey: string }[]): string[] {
  return ms.map((m) => m.journey);
}

for (const wasm of VARIANTS) {
  describe(`demo journeys (${wasm})`, () => {
    const load = () => Engine.load(BUNDLE, { wasm });

    describe('connection_trouble: device_change then connect_fail{3,} where network == "mobile", within 1h', () => {
      it('explains a match: 3 failed connections between 10:02 and 10:31 after a phone change at 09:55', async () => {
        const e = await load();
        expect(e.observe('c', change(T)).matches).toEqual([]);
        expect(e.observe('c', fail(T + 7 * M)).matches).toEqual([]);
        expect(e.observe('c', fail(T + 10 * M, 'wifi')).matches).toEqual([]);
        expect(e.observe('c', fail(T + 20 * M)).matches).toEqual([]);
        const { matches } = e.observe('c', fail(T + 36 * M));
        expect(matches).toEqual([
          {
            journey: 'connection_trouble',
            time: T + 36 * M,
            events: [
              { step: 'change', type: 'device_change', count: 1, firstTime: T, lastTime: T },
              { step: 'fails', type: 'connect_fail', count: 3, firstTime: T + 7 * M, lastTime: T + 36 * M, attributes: { network: 'mobile' } },
            ],
          },
        ]);
        expect(describeMatch(matches[0]!)).toBe('connection_trouble at 2024-11-23T10:31:00.000Z: change at 09:55, fails x3 10:02-10:31 (network=mobile)');
        // active for 24h after the match, then not
        const v = (now: number) => e.journeyValues('c', now);
        expect(v(T + 36 * M + D - 1)['journey.connection_trouble']).toBe(true);
        expect(v(T + 36 * M + D)['journey.connection_trouble']).toBe(false);
        expect(v(T + 36 * M + D)['journey.connection_trouble.lastMatch']).toBe(T + 36 * M);
        expect(v(T + 36 * M + D)['journey.connection_trouble.count']).toBe(1);
      });

      it('one event too few, or a wifi failure instead of a mobile one, is no match', async () => {
        const e = await load();
        for (const ev of [change(T), fail(T + M), fail(T + 2 * M), fail(T + 3 * M, 'wifi'), fail(T + 4 * M, 'fixed')]) {
          expect(e.observe('c', ev).matches).toEqual([]);
        }
        expect(ids(e.observe('c', fail(T + 5 * M)).matches)).toEqual(['connection_trouble']);
      });

      it('the window is exclusive: an event exactly 1h after the phone change is too late, 1 ms less is in time', async () => {
        const e = await load();
        for (const ev of [change(T), fail(T + 10 * M), fail(T + 20 * M)]) e.observe('a', ev);
        expect(e.observe('a', fail(T + H)).matches).toEqual([]);
        for (const ev of [change(T), fail(T + 10 * M), fail(T + 20 * M)]) e.observe('b', ev);
        expect(ids(e.observe('b', fail(T + H - 1)).matches)).toEqual(['connection_trouble']);
      });

      it('refuses late events, counts them, and leaves the rest of the state alone', async () => {
        const e = await load();
        e.observe('c', change(T));
        e.observe('c', fail(T + 10 * M));
        const before = e.store.get('c')!.slice();
        const r = e.observe('c', fail(T + 9 * M));
        expect(r).toEqual({ matches: [], rejected: 'late' });
        const after = e.store.get('c')!;
        expect(e.journeys!.customerCounters(after)).toMatchObject({ late: 1, lastEventTime: T + 10 * M });
        const diff = [...after].map((b, i) => (b !== before[i] ? i : -1)).filter((i) => i >= 0);
        const lateAt = e.journeys!.sectionOffset + 8; // the u8 late counter
        expect(diff).toEqual([lateAt]);
        expect(e.journeyStats.rejectedLate).toBe(1);
        // equal timestamps are not late: arrival order
        expect(e.observe('c', fail(T + 10 * M)).rejected).toBeUndefined();
        expect(ids(e.observe('c', fail(T + 10 * M)).matches)).toEqual(['connection_trouble']);
      });

      it('keeps two customers apart when their events interleave', async () => {
        const e = await load();
        const stream: [string, JourneyEvent][] = [
          ['alice', change(T)],
          ['bob', change(T + 1 * M)],
          ['alice', fail(T + 2 * M)],
          ['bob', fail(T + 3 * M)],
          ['alice', fail(T + 4 * M)],
          ['bob', fail(T + 5 * M, 'wifi')],
          ['bob', fail(T + 6 * M)],
          ['alice', fail(T + 7 * M)],
          ['bob', fail(T + 8 * M)],
        ];
        const got = stream.map(([c, ev]) => [c, ids(e.observe(c, ev).matches)]);
        expect(got.filter(([, m]) => (m as string[]).length > 0)).toEqual([
          ['alice', ['connection_trouble']],
          ['bob', ['connection_trouble']],
        ]);
        expect(e.journeyValues('alice', T + 8 * M)['journey.connection_trouble.lastMatch']).toBe(T + 7 * M);
        expect(e.journeyValues('bob', T + 8 * M)['journey.connection_trouble.lastMatch']).toBe(T + 8 * M);
      });
    });

    describe('retention_walkout: view_retention_offer, store_visit, then no contract_renewal within 24h', () => {
      it('completes by advance at the deadline, not a millisecond before', async () => {
        const e = await load();
        e.observe('c', offer(T));
        e.observe('c', visit(T + 2 * H));
        const deadline = T + 2 * H + D;
        expect(e.advance('c', deadline - 1)).toEqual([]);
        const m = e.advance('c', deadline);
        expect(m).toEqual([
          {
            journey: 'retention_walkout',
            time: deadline,
            events: [
              { step: 'offer', type: 'view_retention_offer', count: 1, firstTime: T, lastTime: T, attributes: { offer: 'discount' } },
              { step: 'visit', type: 'store_visit', count: 1, firstTime: T + 2 * H, lastTime: T + 2 * H },
            ],
          },
        ]);
        expect(e.advance('c', deadline + H)).toEqual([]); // once
        expect(e.journeyStats.advanceMatches).toBe(1);
      });

      it('completes on the next event past the deadline, reported before that event with the deadline as its time', async () => {
        const e = await load();
        e.observe('c', offer(T));
        e.observe('c', visit(T + 2 * H));
        const deadline = T + 2 * H + D;
        const { matches } = e.observe('c', pay(deadline + 3 * H, 10));
        expect(matches.map((m) => [m.journey, m.time])).toEqual([['retention_walkout', deadline]]);
        // a renewal exactly at the deadline is too late to prevent it
        const f = await load();
        f.observe('c', offer(T));
        f.observe('c', visit(T + 2 * H));
        expect(f.observe('c', renewal(deadline)).matches.map((m) => m.time)).toEqual([deadline]);
      });

      it('a renewal before the deadline prevents the match', async () => {
        const e = await load();
        e.observe('c', offer(T));
        e.observe('c', visit(T + 2 * H));
        e.observe('c', renewal(T + 2 * H + D - 1));
        expect(e.advance('c', T + 10 * D)).toEqual([]);
      });

      it('needs the offer before the visit, within 7 days', async () => {
        const e = await load();
        e.observe('c', visit(T));
        e.observe('c', offer(T + H));
        expect(e.advance('c', T + 3 * D)).toEqual([]);
        e.observe('d', offer(T));
        e.observe('d', visit(T + 7 * D));
        expect(e.advance('d', T + 9 * D)).toEqual([]);
        e.observe('f', offer(T));
        e.observe('f', visit(T + 7 * D - 1));
        expect(ids(e.advance('f', T + 9 * D))).toEqual(['retention_walkout']);
      });

      it('advanceAll sweeps the store without refreshing idle customers', async () => {
        let clock = 0;
        const store = new MemoryStore({ ttlMs: 1000, clock: () => clock });
        const e = await Engine.load(BUNDLE, { wasm, store });
        for (let i = 0; i < 5; i++) {
          e.observe(`w${i}`, offer(T + i * M));
          e.observe(`w${i}`, visit(T + H + i * M));
        }
        e.observe('idle', change(T));
        const stale = e.store.get('idle')!.slice();
        clock = 900;
        const deadline2 = T + H + 2 * M + D;
        const swept = e.advanceAll(deadline2);
        expect([...swept.keys()].sort()).toEqual(['w0', 'w1', 'w2']);
        expect(swept.get('w1')!.map((m) => m.time)).toEqual([T + H + M + D]);
        const rest = [...e.advanceAllIterator(T + 10 * D)].map((x) => x.customerId).sort();
        expect(rest).toEqual(['w3', 'w4']);
        expect(e.store.peek!('idle')).toEqual(stale);
        clock = 1500; // the sweep did not touch "idle" (last touched at 0): it expired
        expect(e.store.get('idle')).toBeUndefined();
        expect(e.store.get('w0')).toBeDefined(); // written back at 900
      });
    });

    describe('declined_heavy_spender: atm_decline (insufficient_funds) while card spending over the last 7 days is above 2000', () => {
      it('matches above 2000 and not at 2000', async () => {
        const e = await load();
        e.observe('c', pay(T, 1500));
        e.observe('c', pay(T + D, 500));
        expect(e.observe('c', decline(T + 2 * D)).matches).toEqual([]);
        e.observe('c', pay(T + 2 * D + H, 0.5));
        const { matches } = e.observe('c', decline(T + 2 * D + 2 * H));
        expect(matches).toEqual([
          {
            journey: 'declined_heavy_spender',
            time: T + 2 * D + 2 * H,
            events: [{ step: 'decline', type: 'atm_decline', count: 1, firstTime: T + 2 * D + 2 * H, lastTime: T + 2 * D + 2 * H, attributes: { amount: 80 } }],
          },
        ]);
        expect(e.observe('c', decline(T + 2 * D + 3 * H, 'wrong_pin')).matches).toEqual([]);
        expect(e.journeyValues('c', T + 2 * D + 3 * H)).toMatchObject({ 'journey.spend7d.sum': 2000.5, 'journey.spend7d.count': 3 });
      });

      it('forgets spending older than the window at daily resolution', async () => {
        const e = await load();
        const day0 = Date.UTC(2024, 10, 1); // a bucket boundary (daily buckets count from the epoch)
        e.observe('c', pay(day0 + 12 * H, 2500));
        // day0 + 6 days 23:59: the window still holds day0's bucket
        expect(ids(e.observe('c', decline(day0 + 7 * D - M)).matches)).toEqual(['declined_heavy_spender']);
        // from day0 + 7 days on it does not
        expect(e.observe('c', decline(day0 + 7 * D)).matches).toEqual([]);
        expect(e.journeyValues('c', day0 + 7 * D)['journey.spend7d.sum']).toBe(0);
        expect(e.journeyValues('c', day0 + 7 * D - 1)['journey.spend7d.sum']).toBe(2500);
      });
    });
  });
}
