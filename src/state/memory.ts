/**
 * The default state store: an in-process Map with a size cap (least recently
 * used customers are evicted first) and an idle TTL. Recency is a doubly
 * linked list through the entries (most recent at the head), so a get or set
 * is one Map lookup and a few pointer moves (re-inserting into the Map on
 * every access, as a Map-ordered LRU would, costs two more hash operations,
 * each a cache miss or two among many customers). Steady state allocates
 * nothing: a customer's entry and byte array are reused when the new state
 * has the same size.
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
  key: string;
  state: Uint8Array;
  touched: number;
  /** False once evicted, deleted, expired or cleared (a handle on it is stale). */
  alive: boolean;
  /** Neighbours in recency order: newer (toward the head) and older (toward the tail). */
  newer: Entry | undefined;
  older: Entry | undefined;
}

/**
 * The size cap and TTL of an in-memory store's options, checked (OPTION_INVALID names `label`):
 * defaults 1,000,000 customers and 30 days; a TTL of 0 never expires.
 */
export function storeBounds(opts: MemoryStoreOptions, label: string): { maxEntries: number; ttlMs: number } {
  const max = opts.maxEntries ?? 1_000_000;
  if (!Number.isInteger(max) || max < 1) {
    throw new NextbestError('OPTION_INVALID', `${label} maxEntries must be a positive integer, got ${String(opts.maxEntries)}`);
  }
  const ttl = opts.ttlMs ?? 30 * 86_400_000;
  if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl < 0) {
    throw new NextbestError('OPTION_INVALID', `${label} ttlMs must be a non-negative number of milliseconds, got ${String(opts.ttlMs)}`);
  }
  return { maxEntries: max, ttlMs: ttl === 0 ? Infinity : ttl };
}

export class MemoryStore implements StateStore {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly map = new Map<string, Entry>();
  /** Most and least recently used entries. */
  private head: Entry | undefined = undefined;
  private tail: Entry | undefined = undefined;
  /** get returns the stored array and refreshes recency: in-place updates need no set. */
  readonly live = true;
  /** Customers evicted for the size cap, since creation. */
  evictions = 0;
  /** Customers dropped because their TTL expired, since creation. */
  expirations = 0;
  /**
   * The customer the last get() did not find, until the next set(): a set()
   * right after that get (the engine storing a new customer's first state)
   * inserts without looking the customer up again. Only set() inserts, and
   * every set() clears it.
   */
  private missed: string | undefined = undefined;
  /** The entry the last get() found or set() stored (handleOf). */
  private last: Entry | undefined = undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    const { maxEntries, ttlMs } = storeBounds(opts, 'MemoryStore');
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.clock = opts.clock ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  get(customerId: string): Uint8Array | undefined {
    const e = this.map.get(customerId);
    if (e === undefined) {
      this.missed = customerId;
      return undefined;
    }
    return this.found(e);
  }

  /** A found entry's state, its recency and TTL renewed; undefined (and dropped) when its TTL expired. */
  private found(e: Entry): Uint8Array | undefined {
    this.missed = undefined;
    const now = this.clock();
    if (now - e.touched > this.ttlMs) {
      this.remove(e);
      this.expirations++;
      return undefined;
    }
    e.touched = now;
    this.toFront(e);
    this.last = e;
    return e.state;
  }

  /**
   * @internal An opaque handle on the entry of the customer the last get()
   * found or set() stored, or undefined (another customer, or gone since):
   * for an index kept beside the store (the engine's decision log), so a
   * later getByHandle needs no lookup.
   */
  handleOf(customerId: string): object | undefined {
    const e = this.last;
    return e !== undefined && e.alive && e.key === customerId ? e : undefined;
  }

  /**
   * @internal get() through a handle from handleOf: the customer's state
   * (recency and TTL as get), or undefined when the handle is stale (the
   * customer was evicted, deleted or cleared since: look it up by id) or the
   * customer's TTL expired (dropped, as get does).
   */
  getByHandle(handle: object, customerId: string): Uint8Array | undefined {
    const e = handle as Entry;
    if (!e.alive || e.key !== customerId) return undefined;
    return this.found(e);
  }

  /** The state without touching recency or TTL (undefined when absent or expired). */
  peek(customerId: string): Uint8Array | undefined {
    const e = this.map.get(customerId);
    if (e === undefined || this.clock() - e.touched > this.ttlMs) return undefined;
    return e.state;
  }

  set(customerId: string, state: Uint8Array): void {
    const now = this.clock();
    // the engine sets the customer it just got: the head, without a lookup
    const head = this.head;
    const e = head !== undefined && head.key === customerId ? head : this.missed === customerId ? undefined : this.map.get(customerId);
    this.missed = undefined;
    if (e !== undefined) {
      if (e.state !== state) {
        if (e.state.length === state.length) e.state.set(state);
        else e.state = state.slice();
      }
      e.touched = now;
      this.toFront(e);
      this.last = e;
      return;
    }
    const entry: Entry = { key: customerId, state: state.slice(), touched: now, alive: true, newer: undefined, older: undefined };
    this.map.set(customerId, entry);
    this.link(entry);
    this.last = entry;
    if (this.map.size > this.maxEntries) {
      this.remove(this.tail!);
      this.evictions++;
    }
  }

  delete(customerId: string): boolean {
    const e = this.map.get(customerId);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  /** The customers held, in no particular order. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  clear(): void {
    this.missed = undefined;
    this.last = undefined;
    for (const e of this.map.values()) e.alive = false;
    this.map.clear();
    this.head = undefined;
    this.tail = undefined;
  }

  /** Drops every customer whose TTL has expired; returns how many. */
  sweepExpired(): number {
    const now = this.clock();
    let n = 0;
    for (const e of this.map.values()) {
      if (now - e.touched > this.ttlMs) {
        this.remove(e);
        n++;
      }
    }
    this.expirations += n;
    return n;
  }

  /** Puts a new entry at the head. */
  private link(e: Entry): void {
    e.newer = undefined;
    e.older = this.head;
    if (this.head !== undefined) this.head.newer = e;
    this.head = e;
    if (this.tail === undefined) this.tail = e;
  }

  private unlink(e: Entry): void {
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.head = e.older;
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.tail = e.newer;
    e.newer = undefined;
    e.older = undefined;
  }

  private toFront(e: Entry): void {
    if (this.head === e) return;
    this.unlink(e);
    this.link(e);
  }

  private remove(e: Entry): void {
    this.unlink(e);
    this.map.delete(e.key);
    e.alive = false;
  }
}
