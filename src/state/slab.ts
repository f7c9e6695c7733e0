/**
 * The engine's default state store: customer states kept in the engine's wasm
 * linear memory, in a slab of fixed-size slots (one per customer, the bundle's
 * state size), so that journeys and advance run the kernel on a customer's
 * slot in place: no copy in or out, no typed array per customer.
 *
 *   - A `Map` from customer id to slot number; per slot, the customer id, the
 *     last access (for the TTL) and a reference bit.
 *   - Capacity: at most `maxEntries` customers. Slots are allocated in chunks
 *     of 1,024 as customers arrive (memory is reserved only for customers
 *     seen), and are never given back to the allocator: a slot freed by
 *     delete, expiry or eviction is reused for the next new customer.
 *   - Recency is approximate: CLOCK (second chance). An access sets the slot's
 *     reference bit; when a new customer arrives and the store is full, a hand
 *     walks the slots in a circle, clearing set bits, and evicts the first
 *     customer whose bit is clear (an expired one first if it meets one). A
 *     customer accessed since the hand last passed survives. No reordering on
 *     access, unlike an exact LRU list.
 *   - TTL: a customer untouched for `ttlMs` is expired lazily (a read finds it
 *     expired and drops it), by the eviction hand, and by `sweepExpired()`.
 *   - If wasm memory cannot grow (the kernels address 2 GiB), the store stops
 *     growing and evicts from then on, as if full.
 *
 * Memory per customer: the state size (the slot), plus about 100 bytes of JS
 * heap (the Map entry, the id string's slot reference, 8 bytes of last access
 * and 1 of reference bit), plus the id string itself.
 *
 * Through the `StateStore` interface (decide, record, tooling) `get` and
 * `peek` return copies of a slot and `set` copies bytes into it, so no view
 * into wasm memory ever escapes (a view detaches when memory grows).
 */
import { NextbestError } from '../errors.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { freshState, type StateLayout } from './layout.js';
import type { StateStore } from './store.js';
import type { MemoryStoreOptions } from './memory.js';

/** Options of the slab store (the same as MemoryStore's). */
export type SlabStoreOptions = MemoryStoreOptions;

const CHUNK_SLOTS = 1024;

export class SlabStore implements StateStore {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Bytes of one slot: the bundle's state size. */
  readonly stateSize: number;
  /** Customers evicted for the size cap, since creation. */
  evictions = 0;
  /** Customers dropped because their TTL expired, since creation. */
  expirations = 0;
  /** @internal The instance whose memory holds the slots. */
  readonly wasm: WasmInstance;
  private readonly clock: () => number;
  private readonly fresh: Uint8Array;
  private readonly index = new Map<string, number>();
  /** Slot -> customer id (undefined: free). */
  private ids: (string | undefined)[] = [];
  /** Slot -> last access (clock ms). */
  private touched = new Float64Array(CHUNK_SLOTS);
  /** Slot -> reference bit. */
  private ref = new Uint8Array(CHUNK_SLOTS);
  /** Base pointer of each chunk of slots. */
  private readonly chunks: number[] = [];
  /** Slots in use or freed so far (the slab's high-water mark). */
  private slots = 0;
  /** Free slots below the high-water mark. */
  private readonly free: number[] = [];
  private hand = 0;
  /** Set when memory could not grow: no more slots. */
  private full = false;

  constructor(wasm: WasmInstance, layout: StateLayout, opts: SlabStoreOptions = {}) {
    const max = opts.maxEntries ?? 1_000_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new NextbestError('OPTION_INVALID', `memoryStore maxEntries must be a positive integer, got ${String(opts.maxEntries)}`);
    }
    const ttl = opts.ttlMs ?? 30 * 86_400_000;
    if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl < 0) {
      throw new NextbestError('OPTION_INVALID', `memoryStore ttlMs must be a non-negative number of milliseconds, got ${String(opts.ttlMs)}`);
    }
    this.wasm = wasm;
    this.maxEntries = max;
    this.ttlMs = ttl === 0 ? Infinity : ttl;
    this.clock = opts.clock ?? Date.now;
    this.stateSize = layout.size;
    this.fresh = freshState(layout);
  }

  get size(): number {
    return this.index.size;
  }

  /** Bytes of wasm memory the slots take (allocated chunks). */
  get slabBytes(): number {
    return this.chunks.length * CHUNK_SLOTS * this.stateSize;
  }

  // ---- slots (the engine's hot path)

  /** Pointer of a slot in wasm memory. */
  private ptr(slot: number): number {
    return this.chunks[slot >>> 10]! + (slot & (CHUNK_SLOTS - 1)) * this.stateSize;
  }

  /**
   * @internal The pointer of a customer's slot, refreshing its recency; 0 when
   * the customer has no state (or it expired). With `create`, a new customer
   * gets a slot holding fresh state (which may evict another customer).
   */
  slot(customerId: string, create: boolean): number {
    const s = this.index.get(customerId);
    const now = this.clock();
    if (s !== undefined) {
      if (now - this.touched[s]! <= this.ttlMs) {
        this.touched[s] = now;
        this.ref[s] = 1;
        return this.ptr(s);
      }
      this.drop(s, customerId);
      this.expirations++;
    }
    if (!create) return 0;
    const n = this.take(now);
    this.index.set(customerId, n);
    this.ids[n] = customerId;
    this.touched[n] = now;
    this.ref[n] = 1;
    const p = this.ptr(n);
    this.wasm.u8.set(this.fresh, p);
    return p;
  }

  /** @internal The pointer of a customer's slot without refreshing recency (0: none or expired). */
  peekSlot(customerId: string): number {
    const s = this.index.get(customerId);
    if (s === undefined || this.clock() - this.touched[s]! > this.ttlMs) return 0;
    return this.ptr(s);
  }

  /** @internal Slot numbers of the live customers, in slot order (for sweeps; expired customers are skipped, not dropped). */
  *liveSlots(): Generator<number> {
    for (let s = 0; s < this.slots; s++) {
      if (this.ids[s] !== undefined && this.clock() - this.touched[s]! <= this.ttlMs) yield s;
    }
  }

  /** @internal The customer id of a slot (undefined: free). */
  slotId(slot: number): string | undefined {
    return this.ids[slot];
  }

  /** @internal The pointer of a slot number. */
  slotPointer(slot: number): number {
    return this.ptr(slot);
  }

  /** @internal Marks a slot used now (recency and TTL), as a write does. */
  touchSlot(slot: number): void {
    this.touched[slot] = this.clock();
    this.ref[slot] = 1;
  }

  private drop(slot: number, customerId: string): void {
    this.index.delete(customerId);
    this.ids[slot] = undefined;
    this.ref[slot] = 0;
    this.free.push(slot);
  }

  /** A free slot for a new customer: a freed one, a new one, or an evicted one (CLOCK). */
  private take(now: number): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.slots < this.maxEntries && !this.full && this.grow()) return this.slots++;
    // CLOCK: at most two turns (the first clears every bit it passes).
    for (let i = 0, n = 2 * this.slots; i < n; i++) {
      const s = this.hand;
      this.hand = s + 1 === this.slots ? 0 : s + 1;
      const id = this.ids[s];
      if (id === undefined) continue; // not reached: free slots are on the free list
      if (now - this.touched[s]! > this.ttlMs) {
        this.index.delete(id);
        this.expirations++;
        return s;
      }
      if (this.ref[s] === 1) {
        this.ref[s] = 0;
        continue;
      }
      this.index.delete(id);
      this.evictions++;
      return s;
    }
    throw new Error('SlabStore: no slot to evict'); // unreachable: two turns always find a clear bit
  }

  /** Makes room for slot number `this.slots`; false when memory cannot grow. */
  private grow(): boolean {
    const s = this.slots;
    if (s < this.chunks.length * CHUNK_SLOTS) return true;
    let p: number;
    try {
      p = this.wasm.alloc(CHUNK_SLOTS * this.stateSize, 16);
    } catch (e) {
      if (e instanceof RangeError || (e instanceof NextbestError && e.code === 'LIMIT_EXCEEDED')) {
        this.full = true;
        return false;
      }
      throw e;
    }
    this.chunks.push(p);
    const cap = this.chunks.length * CHUNK_SLOTS;
    if (this.touched.length < cap) {
      const t = new Float64Array(cap * 2);
      t.set(this.touched);
      this.touched = t;
      const r = new Uint8Array(cap * 2);
      r.set(this.ref);
      this.ref = r;
    }
    return true;
  }

  // ---- StateStore

  /** A copy of the customer's state (refreshes recency), or undefined. */
  get(customerId: string): Uint8Array | undefined {
    const p = this.slot(customerId, false);
    return p === 0 ? undefined : this.wasm.u8.slice(p, p + this.stateSize);
  }

  /** A copy of the customer's state without touching recency or TTL. */
  peek(customerId: string): Uint8Array | undefined {
    const p = this.peekSlot(customerId);
    return p === 0 ? undefined : this.wasm.u8.slice(p, p + this.stateSize);
  }

  /** Stores a copy of the bytes in the customer's slot (which must be the bundle's state size). */
  set(customerId: string, state: Uint8Array): void {
    if (!(state instanceof Uint8Array) || state.byteLength !== this.stateSize) {
      throw new NextbestError('STATE_INVALID', `this store keeps states of ${this.stateSize} bytes (the bundle's state size), got ${state instanceof Uint8Array ? `${state.byteLength} bytes` : typeof state}`);
    }
    const p = this.slot(customerId, true);
    this.wasm.u8.set(state, p);
  }

  delete(customerId: string): boolean {
    const s = this.index.get(customerId);
    if (s === undefined) return false;
    this.drop(s, customerId);
    return true;
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  clear(): void {
    for (const s of this.index.values()) {
      this.ids[s] = undefined;
      this.ref[s] = 0;
      this.free.push(s);
    }
    this.index.clear();
  }

  /** Drops every customer whose TTL has expired; returns how many. */
  sweepExpired(): number {
    const now = this.clock();
    let n = 0;
    for (let s = 0; s < this.slots; s++) {
      const id = this.ids[s];
      if (id !== undefined && now - this.touched[s]! > this.ttlMs) {
        this.drop(s, id);
        n++;
      }
    }
    this.expirations += n;
    return n;
  }
}
