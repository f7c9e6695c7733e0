/**
 * The default state store: an in-process Map with a size cap (least recently
 * used customers are evicted first) and an idle TTL. A Map iterates in
 * insertion order, so re-inserting on access keeps the LRU order without a
 * separate list. Steady state allocates nothing: a customer's entry and byte
 * array are reused when the new state has the same size.
 */
import { NextbestError } from '../errors.js';
import type { StateStore } from './store.js';

export interface MemoryStoreOptions {
  /** At most this many customers; the least recently used is evicted beyond it. Default 1,000,000. */
  maxEntries?: number;
  /** A customer untouched for this long is dropped. Default 30 days. 0 or Infinity disables. */
  ttlMs?: number;
  /** Clock for the TTL (wall time by default). */
  clock?: () => number;
  /**
   * Engine option only: keep the states in the engine's wasm memory (SlabStore,
   * src/state/slab.ts: no copies, CLOCK recency) instead of JS byte arrays. Swaps
   * must keep the state size (the slots are of the first bundle's size); after a
   * swap the states are copied in and out like any store's.
   */
  wasm?: boolean;
}

interface Entry {
  state: Uint8Array;
  touched: number;
}

export class MemoryStore implements StateStore {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly map = new Map<string, Entry>();
  /** The entry at the most-recently-used end: get then set of one customer (the engine's pattern) reorders once. */
  private newest: Entry | undefined;
  /** get returns the stored array and refreshes recency: in-place updates need no set. */
  readonly live = true;
  /** Customers evicted for the size cap, since creation. */
  evictions = 0;
  /** Customers dropped because their TTL expired, since creation. */
  expirations = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    const max = opts.maxEntries ?? 1_000_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new NextbestError('OPTION_INVALID', `MemoryStore maxEntries must be a positive integer, got ${String(opts.maxEntries)}`);
    }
    const ttl = opts.ttlMs ?? 30 * 86_400_000;
    if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl < 0) {
      throw new NextbestError('OPTION_INVALID', `MemoryStore ttlMs must be a non-negative number of milliseconds, got ${String(opts.ttlMs)}`);
    }
    this.maxEntries = max;
    this.ttlMs = ttl === 0 ? Infinity : ttl;
    this.clock = opts.clock ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  get(customerId: string): Uint8Array | undefined {
    const e = this.map.get(customerId);
    if (e === undefined) return undefined;
    const now = this.clock();
    if (now - e.touched > this.ttlMs) {
      this.map.delete(customerId);
      this.expirations++;
      return undefined;
    }
    e.touched = now;
    // move to the most-recently-used end
    if (e !== this.newest) {
      this.map.delete(customerId);
      this.map.set(customerId, e);
      this.newest = e;
    }
    return e.state;
  }

  /** The state without touching recency or TTL (undefined when absent or expired). */
  peek(customerId: string): Uint8Array | undefined {
    const e = this.map.get(customerId);
    if (e === undefined || this.clock() - e.touched > this.ttlMs) return undefined;
    return e.state;
  }

  set(customerId: string, state: Uint8Array): void {
    const now = this.clock();
    const e = this.map.get(customerId);
    if (e !== undefined) {
      if (e.state !== state) {
        if (e.state.byteLength === state.byteLength) e.state.set(state);
        else e.state = state.slice();
      }
      e.touched = now;
      if (e !== this.newest) {
        this.map.delete(customerId);
        this.map.set(customerId, e);
        this.newest = e;
      }
      return;
    }
    const fresh = { state: state.slice(), touched: now };
    this.map.set(customerId, fresh);
    this.newest = fresh;
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evictions++;
    }
  }

  delete(customerId: string): boolean {
    return this.map.delete(customerId);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  clear(): void {
    this.map.clear();
    this.newest = undefined;
  }

  /** Drops every customer whose TTL has expired; returns how many. */
  sweepExpired(): number {
    const now = this.clock();
    let n = 0;
    for (const [k, e] of this.map) {
      if (now - e.touched > this.ttlMs) {
        this.map.delete(k);
        n++;
      }
    }
    this.expirations += n;
    return n;
  }
}
