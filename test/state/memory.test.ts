import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';
import { mulberry32, randInt } from '../helpers/random.js';

describe('MemoryStore', () => {
  it('keeps state bytes and reuses the entry on update', () => {
    const s = new MemoryStore();
    s.set('a', new Uint8Array([1, 2, 3]));
    const got = s.get('a')!;
    expect([...got]).toEqual([1, 2, 3]);
    s.set('a', new Uint8Array([4, 5, 6]));
    expect(s.get('a')).toBe(got); // same array, updated in place
    expect([...got]).toEqual([4, 5, 6]);
    s.set('a', new Uint8Array([7]));
    expect([...s.get('a')!]).toEqual([7]);
  });

  it('copies on first set so the caller may reuse its buffer', () => {
    const s = new MemoryStore();
    const buf = new Uint8Array([9]);
    s.set('a', buf);
    buf[0] = 0;
    expect(s.get('a')![0]).toBe(9);
  });

  it('inserts after a get that missed without a duplicate, whatever was set in between', () => {
    const s = new MemoryStore();
    expect(s.get('a')).toBeUndefined();
    s.set('b', new Uint8Array([2]));
    s.set('a', new Uint8Array([1])); // not the insert shortcut: a set came between
    expect(s.get('x')).toBeUndefined();
    s.set('x', new Uint8Array([3])); // the shortcut
    s.set('x', new Uint8Array([4])); // an update, not a second insert
    expect(s.size).toBe(3);
    expect([...s.keys()].sort()).toEqual(['a', 'b', 'x']);
    expect([...s.get('x')!]).toEqual([4]);
    expect(s.delete('x')).toBe(true);
    expect(s.delete('x')).toBe(false);
    expect(s.size).toBe(2);
  });

  it('evicts the least recently used beyond maxEntries', () => {
    const s = new MemoryStore({ maxEntries: 2 });
    s.set('a', new Uint8Array(1));
    s.set('b', new Uint8Array(1));
    s.get('a'); // a is now most recent
    s.set('c', new Uint8Array(1));
    expect(s.get('b')).toBeUndefined();
    expect(s.get('a')).toBeDefined();
    expect(s.get('c')).toBeDefined();
    expect(s.evictions).toBe(1);
    expect(s.size).toBe(2);
  });

  it('expires idle customers after ttlMs', () => {
    let now = 1000;
    const s = new MemoryStore({ ttlMs: 100, clock: () => now });
    s.set('a', new Uint8Array(1));
    s.set('b', new Uint8Array(1));
    now = 1050;
    expect(s.get('a')).toBeDefined(); // touched at 1050
    now = 1120;
    expect(s.get('b')).toBeUndefined();
    expect(s.get('a')).toBeDefined();
    now = 1300;
    expect(s.sweepExpired()).toBe(1);
    expect(s.size).toBe(0);
    expect(s.expirations).toBe(2);
  });

  it('rejects bad options with OPTION_INVALID', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'OPTION_INVALID' }));
    expect(() => new MemoryStore({ ttlMs: -1 })).toThrow(expect.objectContaining({ code: 'OPTION_INVALID' }));
  });

  it('is live: get returns the stored bytes and refreshes recency, so in-place writes need no set', () => {
    let now = 0;
    const s = new MemoryStore({ maxEntries: 2, ttlMs: 100, clock: () => now });
    s.set('a', new Uint8Array(1));
    s.set('b', new Uint8Array(1));
    expect(s.live).toBe(true);
    now = 50;
    s.get('a')![0] = 7; // in place, no set
    s.set('c', new Uint8Array(1)); // evicts b: a was used more recently
    expect(s.peek('b')).toBeUndefined();
    expect(s.peek('a')![0]).toBe(7);
    now = 140; // a was touched at 50: still alive
    expect(s.get('a')![0]).toBe(7);
  });

  it('keeps the same customers as a plain LRU list on random get, peek, set, delete and sweep sequences', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      let now = 0;
      const max = randInt(rand, 1, 6);
      const s = new MemoryStore({ maxEntries: max, ttlMs: 50, clock: () => now });
      // the model: customers most recent first, with their value and last touch
      let lru: { id: string; v: number; t: number }[] = [];
      const alive = () => (lru = lru.filter((e) => now - e.t <= 50));
      let evictions = 0;
      for (let step = 0; step < 400; step++) {
        now += randInt(rand, 0, 6);
        const id = `c${randInt(rand, 0, 9)}`;
        const op = rand();
        const at = lru.findIndex((e) => e.id === id);
        const expired = at >= 0 && now - lru[at]!.t > 50;
        if (op < 0.35) {
          const got = s.get(id);
          if (at < 0 || expired) {
            expect(got).toBeUndefined();
            if (at >= 0) lru.splice(at, 1);
          } else {
            const e = lru.splice(at, 1)[0]!;
            expect(got![0]).toBe(e.v);
            e.t = now;
            lru.unshift(e);
          }
        } else if (op < 0.45) {
          expect(s.peek(id)?.[0]).toBe(at < 0 || expired ? undefined : lru[at]!.v);
        } else if (op < 0.85) {
          const v = randInt(rand, 0, 255);
          s.set(id, new Uint8Array([v]));
          if (at >= 0) lru.splice(at, 1);
          lru.unshift({ id, v, t: now });
          if (lru.length > max) {
            lru.pop();
            evictions++;
          }
        } else if (op < 0.95) {
          expect(s.delete(id)).toBe(at >= 0);
          if (at >= 0) lru.splice(at, 1);
        } else {
          const before = lru.length;
          expect(s.sweepExpired()).toBe(before - alive().length);
        }
        expect(s.size).toBe(lru.length);
        expect(s.evictions).toBe(evictions);
        expect([...s.keys()].sort()).toEqual(lru.map((e) => e.id).sort());
      }
    }
  });
});
