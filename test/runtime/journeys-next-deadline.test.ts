/**
 * The section's next deadline (docs/journeys.md "State"): a lower bound of
 * every final-absence deadline that lets events and advances before it skip
 * the deadline scan. It must never change a match: set when a partial match
 * starts waiting, recomputed after a scan, kept as it was by an advance that
 * completes nothing, and a stale (too early) or unknown value only costs a
 * scan. Both wasm builds, on models/journeys.nbb (retention_walkout waits 24h
 * for no contract_renewal after a store_visit).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type JourneyEvent } from '../../src/index.js';
import { VARIANTS } from '../helpers/random.js';

const BUNDLE = join(__dirname, '..', '..', 'models', 'journeys.nbb');
const T = Date.UTC(2024, 10, 23, 9, 55);
const H = 3_600_000;
const D = 24 * H;
const NONE = 0xffffffff;

const offer = (t: number): JourneyEvent => ({ type: 'view_retention_offer', time: t, offer: 'discount' });
const visit = (t: number): JourneyEvent => ({ type: 'store_visit', time: t, store: 12 });
const renewal = (t: number): JourneyEvent => ({ type: 'contract_renewal', time: t });
const pay = (t: number): JourneyEvent => ({ type: 'card_payment', time: t, amount: 10, merchant: 'grocery' });

for (const variant of VARIANTS) {
  describe(`next deadline (${variant})`, () => {
    const load = () => Engine.load(BUNDLE, { wasm: variant });
    /** The stored next deadline as a time (null: unknown, Infinity: none). */
    const nextDeadline = (e: Engine, s: Uint8Array): number | null => {
      const rt = e.journeys!;
      const v = new DataView(s.buffer, s.byteOffset + rt.sectionOffset);
      const x = v.getUint32(10, true);
      return x === 0 ? null : x === NONE ? Infinity : v.getUint32(0, true) * 65536 + x - 1;
    };

    it('is none without waiting partial matches, the deadline while one waits, none again after it fired', async () => {
      const e = await load();
      let s = e.observeState(undefined, pay(T)).state;
      expect(nextDeadline(e, s)).toBe(Infinity);
      s = e.observeState(s, offer(T + H)).state;
      expect(nextDeadline(e, s)).toBe(Infinity); // the offer alone waits for the visit, not for an absence
      s = e.observeState(s, visit(T + 2 * H)).state;
      expect(nextDeadline(e, s)).toBe(T + 2 * H + D);
      const r = e.observeState(s, pay(T + 2 * H + D));
      expect(r.matches.map((m) => [m.journey, m.time])).toEqual([['retention_walkout', T + 2 * H + D]]);
      expect(nextDeadline(e, r.state)).toBe(Infinity);
    });

    it('a stale bound (the waiting match was killed) costs one scan and changes no match', async () => {
      const e = await load();
      let s = e.observeState(undefined, offer(T)).state;
      s = e.observeState(s, visit(T + H)).state;
      s = e.observeState(s, renewal(T + 2 * H)).state; // kills the wait
      expect(nextDeadline(e, s)).toBe(T + H + D); // still the old bound: a lower bound
      // an advance past it scans, completes nothing, and leaves the bytes as they were
      const a = e.advanceState(s, T + 2 * D);
      expect(a.matches).toEqual([]);
      expect(a.state).toEqual(s);
      // the next event scans and stores the exact answer: none
      const r = e.observeState(s, pay(T + 2 * D));
      expect(r.matches).toEqual([]);
      expect(nextDeadline(e, r.state)).toBe(Infinity);
    });

    it('an unknown or wrong bound in the bytes is safe: unknown scans, too early scans, none only skips', async () => {
      const e = await load();
      let s = e.observeState(undefined, offer(T)).state;
      s = e.observeState(s, visit(T + H)).state;
      const at = e.journeys!.sectionOffset + 10;
      for (const word of [0, 1, 5]) {
        const x = s.slice();
        new DataView(x.buffer).setUint32(at, word, true);
        expect(e.advanceState(x, T + H + D).matches.map((m) => m.journey)).toEqual(['retention_walkout']);
      }
      const none = s.slice();
      new DataView(none.buffer).setUint32(at, NONE, true);
      expect(e.advanceState(none, T + H + D).matches).toEqual([]); // trusted: nothing waits
      // an event of the pattern lowers it again to its waiting match's deadline
      const r = e.observeState(none, offer(T + 3 * H));
      expect(nextDeadline(e, r.state)).toBe(T + H + D);
    });
  });
}
