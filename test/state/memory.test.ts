import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';

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
});

