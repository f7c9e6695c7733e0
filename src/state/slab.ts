/**
 * The in-wasm state store (Engine option `memoryStore: { wasm: true }`): customer states kept in the engine's wasm
 * linear memory, in a slab of fixed-size slots (one per customer, the bundle's
 * state size), so that journeys and advance run the kernel on a customer's
 * slot in place: no copy in or out, no typed array per customer.
 *
 *   - A `Map` from customer id to slot number; per slot, the customer id (JS
 *     array) and, in the 16 bytes before the state (the same cache lines the
 *     kernel reads), the last access (for the TTL) and a reference bit.
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
 *     Access times come from a coarse clock (CoarseClock below) unless a
 *     `clock` is given.
 *   - If wasm memory cannot grow (the kernels address 2 GiB), the store stops
 *     growing and evicts from then on, as if full.
 *
 * Memory per customer: the state size rounded up to 16, plus 16 bytes of
 * bookkeeping (wasm memory), plus about 40 bytes of JS heap (the Map entry
 * and the slot's id reference), plus the id string itself.
 *
 * Through the `StateStore` interface (decide, record, tooling) `get` and
 * `peek` return copies of a slot and `set` copies bytes into it, so no view
 * into wasm memory ever escapes (a view detaches when memory grows).
 */
import { NextbestError } from '../errors.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { freshState, type StateLayout } from './layout.js';
import type { StateStore } from './store.js';
import { storeBounds, type MemoryStoreOptions } from './memory.js';

/** Options of the slab store (the same as MemoryStore's). */
export type SlabStoreOptions = MemoryStoreOptions;

const CHUNK_SLOTS = 1024;
/** Bookkeeping before each slot's state: +0 f64 last access (clock ms), +8 u8 reference bit. */
const META = 16;

/**
 * The default clock of the slab store: Date.now() costs tens of nanoseconds,
 * a noticeable part of one observe, so the store reads it at most every 64
 * accesses and a timer (unref'd: it never keeps the process alive) refreshes
 * it every 250 ms while the event loop turns. A recency time is therefore at
 * most 64 accesses or about 250 ms old (longer only while synchronous code
 * blocks the event loop and makes fewer than 64 accesses). A `clock` option is
 * read on every access.
 */
class CoarseClock {
  private now = 0;
  private calls = 64; // the first read reads Date.now() and starts the timer
  private timer: ReturnType<typeof setInterval> | undefined;

  read(): number {
    if (++this.calls >= 64) {
      this.calls = 0;
      this.now = Date.now();
      if (this.timer === undefined) {
        this.timer = setInterval(() => {
          this.now = Date.now();
        }, 250);
        this.timer.unref?.();
      }
    }
    return this.now;
  }
}

const coarse = new CoarseClock();
const coarseNow = (): number => coarse.read();

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
  /** Bytes from one slot to the next: 16 bytes of bookkeeping, then the state. */
  private readonly stride: number;
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
    const { maxEntries, ttlMs } = storeBounds(opts, 'memoryStore');
    this.wasm = wasm;
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.clock = opts.clock ?? coarseNow;
    this.stateSize = layout.size;
    this.stride = META + Math.ceil(layout.size / 16) * 16;
    this.fresh = freshState(layout);
  }

  get size(): number {
    return this.index.size;
  }

  /** Bytes of wasm memory the slots take (allocated chunks). */
  get slabBytes(): number {
    return this.chunks.length * CHUNK_SLOTS * this.stride;
  }

  // ---- slots (the engine's hot path)

  /** Pointer of a slot's state in wasm memory (its bookkeeping is the 16 bytes before). */
  private ptr(slot: number): number {
    return this.chunks[slot >>> 10]! + (slot & (CHUNK_SLOTS - 1)) * this.stride + META;
  }

  private touchedAt(p: number): number {
    return this.wasm.f64[(p - META) >> 3]!;
  }

  /** Last access now, reference bit set. */
  private mark(p: number, now: number): void {
    this.wasm.f64[(p - META) >> 3] = now;
    this.wasm.u8[p - META + 8] = 1;
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
      const p = this.ptr(s);
      if (now - this.touchedAt(p) <= this.ttlMs) {
        this.mark(p, now);
        return p;
      }
      this.drop(s, customerId);
      this.expirations++;
    }
    if (!create) return 0;
    const n = this.take(now);
    this.index.set(customerId, n);
    this.ids[n] = customerId;
    const p = this.ptr(n);
    this.mark(p, now);
    this.wasm.u8.set(this.fresh, p);
    return p;
  }

  /** @internal The pointer of a customer's slot without refreshing recency (0: none or expired). */
  peekSlot(customerId: string): number {
    const s = this.index.get(customerId);
    if (s === undefined) return 0;
    const p = this.ptr(s);
    return this.clock() - this.touchedAt(p) > this.ttlMs ? 0 : p;
  }

  private drop(slot: number, customerId: string): void {
    this.index.delete(customerId);
    this.ids[slot] = undefined;
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
      const p = this.ptr(s);
      if (now - this.touchedAt(p) > this.ttlMs) {
        this.index.delete(id);
        this.expirations++;
        return s;
      }
      if (this.wasm.u8[p - META + 8] === 1) {
        this.wasm.u8[p - META + 8] = 0;
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
      p = this.wasm.alloc(CHUNK_SLOTS * this.stride, 16);
    } catch (e) {
      if (e instanceof RangeError || (e instanceof NextbestError && e.code === 'LIMIT_EXCEEDED')) {
        this.full = true;
        return false;
      }
      throw e;
    }
    this.chunks.push(p);
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
    if (!(state instanceof Uint8Array) || state.length !== this.stateSize) {
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
      if (id !== undefined && now - this.touchedAt(this.ptr(s)) > this.ttlMs) {
        this.drop(s, id);
        n++;
      }
    }
    this.expirations += n;
    return n;
  }
}
