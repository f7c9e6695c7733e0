/**
 * The decision log: what recent decisions offered each customer, so an
 * outcome can be learned from without the caller resending features.
 *
 * Bounds (DecisionLogOptions): at most `maxCustomers` customers (the least
 * recently decided is forgotten first: a recency list over the slots) and,
 * per customer, the last `offersPerCustomer` offers in a ring (the oldest is
 * overwritten first). An offer keeps its decision token and
 * time, action and channel (interned as small codes), model, learning
 * instance, score bin and the bin of every predictor: 64 + 2 x predictors
 * bytes, in two slabs indexed by a customer's slot (one cache line of
 * metadata per offer, so a lookup touches few lines). The slabs grow by
 * doubling up to maxCustomers; evicted slots are reused, so steady state
 * allocates nothing.
 *
 * Matching an outcome {customerId, actionId, channel?, token?, at?}: the
 * newest offer of the customer with that action (and channel, and token, when
 * given) decided at or before `at`. It is learned from unless it already was
 * (the first accept or reject counts), its instance was reset after the
 * decision, or the outcome came more than `maxAgeMs` after the decision.
 * Impressions are not learned from.
 */
import { NextbestError } from '../errors.js';
import type { FeatureObject } from '../runtime/features.js';

export interface DecisionLogOptions {
  /** Customers whose recent offers are kept; the least recently decided is forgotten first. Default 100,000. */
  maxCustomers?: number;
  /** Offers kept per customer; the oldest is overwritten first. Default 8. */
  offersPerCustomer?: number;
  /** Outcomes arriving later than this after the decision are not learned from. Default 30 days. */
  maxAgeMs?: number;
}

/** One action a decision offered, with the customer's features at decision time. */
export interface OfferedAction {
  actionId: string;
  channel?: string;
  /** The adaptive model giving the action's propensity. */
  modelId: string;
  features: FeatureObject | Float32Array;
}

export interface RecordRequest {
  customerId: string;
  actionId: string;
  channel?: string;
  outcome: 'impression' | 'accept' | 'reject';
  /** When the outcome happened (epoch ms); offers decided later are not matched. */
  at?: number;
  /** The decision token (from offered() or decide), to pick a specific decision; never required. */
  token?: number;
}

export type RecordReason = 'learned' | 'no-decision' | 'already-learned' | 'expired' | 'impression' | 'reset';

export interface RecordResult {
  readonly learned: boolean;
  readonly reason: RecordReason;
  /** The adaptive model that learned (when learned). */
  readonly modelId?: string;
}

const NO_DECISION: RecordResult = Object.freeze({ learned: false, reason: 'no-decision' as const });
const ALREADY: RecordResult = Object.freeze({ learned: false, reason: 'already-learned' as const });
const EXPIRED: RecordResult = Object.freeze({ learned: false, reason: 'expired' as const });
const IMPRESSION: RecordResult = Object.freeze({ learned: false, reason: 'impression' as const });
const RESET: RecordResult = Object.freeze({ learned: false, reason: 'reset' as const });
/** M_DONE values: 0 open, 1 learned, 2 its instance was reset after the decision. */
const DONE_LEARNED = 1;
const DONE_RESET = 2;

/** Where a matched offer's observation is, for the learning update (reused; valid until the next find). */
export interface LogHit {
  result: RecordResult | undefined;
  slot: number;
  inst: number;
  bins: Uint16Array;
  offset: number;
  scoreBin: number;
  positive: boolean;
}

const ID_MAX = 256;
/** Distinct action and channel ids the log interns, at most. */
const MAX_CODES = 1 << 20;
// Offer metadata: 8 f64 (one cache line) per offer.
const M_TOKEN = 0;
const M_AT = 1;
const M_ACTION = 2;
const M_CHANNEL = 3; // 0: none
const M_MODEL = 4;
const M_INST = 5;
const M_SCORE_BIN = 6;
const M_DONE = 7;
const META = 8;

export class DecisionLog {
  readonly maxCustomers: number;
  readonly offersPerCustomer: number;
  readonly maxAgeMs: number;
  /** Width of a bins row: the most predictors of any adaptive model. */
  readonly width: number;
  /** Customers forgotten for the size cap, since creation. */
  evictions = 0;
  private readonly customers = new Map<string, number>();
  private readonly codes = new Map<string, number>();
  /** codes' keys by code - 1, made when needed (adopt). */
  private names: string[] = [];
  private capacity = 0;
  private used = 0;
  private meta = new Float64Array(0);
  private bins = new Uint16Array(0);
  /** Per slot: next ring position and offers held. */
  private ring = new Int32Array(0);
  /**
   * Recency of the slots in use, a doubly linked list (per slot: the newer
   * and the older neighbour, -1 at the ends), and each slot's customer: a
   * decision for a known customer moves its slot to the head without
   * touching the Map.
   */
  private newer = new Int32Array(0);
  private older = new Int32Array(0);
  private head = -1;
  private tail = -1;
  private slotKeys: string[] = [];
  /**
   * Per slot, an opaque handle on the customer's entry in the engine's state
   * store (MemoryStore.handleOf), so engine.record finds the customer's state
   * and offers with one lookup; undefined when not known. The store checks a
   * handle before using it.
   */
  private storeHandles: (object | undefined)[] = [];
  private current = -1;
  private currentCustomer = '';
  private pendingAt = NaN;
  private nextToken = 1;
  private readonly hit: LogHit = { result: undefined, slot: 0, inst: 0, bins: new Uint16Array(0), offset: 0, scoreBin: 0, positive: false };

  constructor(width: number, opts: DecisionLogOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'learning.log options must be an object');
    const maxCustomers = opts.maxCustomers ?? 100_000;
    const k = opts.offersPerCustomer ?? 8;
    const maxAge = opts.maxAgeMs ?? 30 * 86_400_000;
    if (!Number.isInteger(maxCustomers) || maxCustomers < 1 || maxCustomers > 1 << 26) {
      throw new NextbestError('OPTION_INVALID', `learning.log.maxCustomers must be an integer in [1, 2^26], got ${String(opts.maxCustomers)}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > 1024) {
      throw new NextbestError('OPTION_INVALID', `learning.log.offersPerCustomer must be an integer in [1, 1024], got ${String(opts.offersPerCustomer)}`);
    }
    if (typeof maxAge !== 'number' || !(maxAge > 0)) {
      throw new NextbestError('OPTION_INVALID', `learning.log.maxAgeMs must be a positive number of milliseconds, got ${String(opts.maxAgeMs)}`);
    }
    this.maxCustomers = maxCustomers;
    this.offersPerCustomer = k;
    this.maxAgeMs = maxAge;
    this.width = Math.max(1, width);
  }

  /** Customers in the log. */
  get size(): number {
    return this.customers.size;
  }

  /** Starts logging a decision for a customer; returns its token (given, or the next of a counter). */
  begin(customerId: string, at: number | undefined, token: number | undefined): number {
    checkId(customerId, 'customerId');
    if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at))) {
      throw new NextbestError('ARGUMENT_INVALID', `a decision time must be finite epoch milliseconds, got ${String(at)}`);
    }
    let tok: number;
    if (token === undefined) tok = this.nextToken++;
    else if (!Number.isSafeInteger(token) || token < 0) throw new NextbestError('ARGUMENT_INVALID', `a decision token is a non-negative safe integer, got ${String(token)}`);
    else tok = token;
    let slot = this.customers.get(customerId);
    if (slot !== undefined) {
      if (slot !== this.head) {
        this.unlink(slot);
        this.link(slot);
      }
    } else {
      if (this.customers.size >= this.maxCustomers) {
        // the least recently decided customer's slot is reused
        slot = this.tail;
        this.customers.delete(this.slotKeys[slot]!);
        this.unlink(slot);
        this.evictions++;
      } else {
        if (this.used === this.capacity) this.grow();
        slot = this.used++;
      }
      this.ring[2 * slot] = 0;
      this.ring[2 * slot + 1] = 0;
      this.slotKeys[slot] = customerId;
      this.storeHandles[slot] = undefined;
      this.customers.set(customerId, slot);
      this.link(slot);
    }
    this.current = slot;
    this.currentCustomer = customerId;
    this.pendingAt = at ?? NaN;
    return tok;
  }

  /** Adds one offer to the decision begun last for this customer. */
  add(customerId: string, token: number, actionId: string, channel: string | undefined, slot: number, inst: number, scoreBin: number, bins: Uint16Array): void {
    const c = this.current;
    if (c < 0 || this.currentCustomer !== customerId) {
      throw new NextbestError('ARGUMENT_INVALID', `decision log: add() for "${String(customerId).slice(0, 64)}" without begin()`);
    }
    checkId(actionId, 'actionId');
    if (channel !== undefined) checkId(channel, 'channel');
    if (bins.length > this.width) throw new NextbestError('ARGUMENT_INVALID', `decision log: ${bins.length} bins, at most ${this.width}`);
    this.addCoded(token, this.intern(actionId), channel === undefined ? 0 : this.intern(channel), slot, inst, scoreBin, bins);
  }

  /** @internal The code of an action or channel id (interned on first use): what addCoded takes. Codes never change. */
  code(id: string): number {
    checkId(id, 'an action or channel id');
    return this.intern(id);
  }

  /**
   * @internal add() for the decision kernel's offers: the action's and
   * channel's codes (from code(); channel 0: none) instead of their ids, to
   * the decision begun last (begin() was just called), bins of at most `width`.
   */
  addCoded(token: number, action: number, channel: number, slot: number, inst: number, scoreBin: number, bins: Uint16Array): void {
    const c = this.current;
    const k = this.offersPerCustomer;
    const i = this.ring[2 * c]!;
    const o = c * k + i;
    const m = o * META;
    const meta = this.meta;
    meta[m + M_TOKEN] = token;
    meta[m + M_AT] = this.pendingAt;
    meta[m + M_ACTION] = action;
    meta[m + M_CHANNEL] = channel;
    meta[m + M_MODEL] = slot;
    meta[m + M_INST] = inst;
    meta[m + M_SCORE_BIN] = scoreBin;
    meta[m + M_DONE] = 0;
    this.bins.set(bins, o * this.width);
    this.ring[2 * c] = (i + 1) % k;
    if (this.ring[2 * c + 1]! < k) this.ring[2 * c + 1]!++;
  }

  /** @internal The customer's slot, or -1 when the log does not hold the customer (recency unchanged). */
  slotOf(customerId: string): number {
    return this.customers.get(customerId) ?? -1;
  }

  /** @internal The store handle kept for a slot (see storeHandles). */
  storeHandle(slot: number): object | undefined {
    return this.storeHandles[slot];
  }

  /** @internal Keeps a store handle for a slot. */
  setStoreHandle(slot: number, handle: object | undefined): void {
    this.storeHandles[slot] = handle;
  }

  /**
   * Finds the offer an outcome is about and marks it learned. `result` is set
   * when there is nothing to learn (no decision, already learned, expired,
   * impression); otherwise the hit says where the observation is.
   */
  find(req: RecordRequest, slot?: number): LogHit {
    const hit = this.hit;
    if (req === null || typeof req !== 'object') throw new NextbestError('ARGUMENT_INVALID', 'record: expected { customerId, actionId, channel?, outcome, at?, token? }');
    checkId(req.customerId, 'customerId');
    checkId(req.actionId, 'actionId');
    if (req.channel !== undefined) checkId(req.channel, 'channel');
    const outcome = req.outcome;
    if (outcome !== 'accept' && outcome !== 'reject' && outcome !== 'impression') {
      throw new NextbestError('ARGUMENT_INVALID', `record: outcome must be "impression", "accept" or "reject", got ${JSON.stringify(outcome)?.slice(0, 40)}`);
    }
    const at = req.at;
    if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at))) {
      throw new NextbestError('ARGUMENT_INVALID', `record: at must be finite epoch milliseconds, got ${String(at)}`);
    }
    const token = req.token;
    if (token !== undefined && (!Number.isSafeInteger(token) || token < 0)) {
      throw new NextbestError('ARGUMENT_INVALID', `record: token must be a decision token (a non-negative safe integer), got ${String(token)}`);
    }
    if (outcome === 'impression') {
      hit.result = IMPRESSION;
      return hit;
    }
    hit.result = NO_DECISION;
    // slot: the customer's slot, or -1 when not in the log, as slotOf() just said (no second lookup)
    const c = slot === undefined ? this.customers.get(req.customerId) : slot >= 0 ? slot : undefined;
    if (c === undefined) return hit;
    const action = this.codes.get(req.actionId);
    if (action === undefined) return hit;
    let channel = -1;
    if (req.channel !== undefined) {
      const code = this.codes.get(req.channel);
      if (code === undefined) return hit;
      channel = code;
    }
    const k = this.offersPerCustomer;
    const meta = this.meta;
    const head = this.ring[2 * c]!;
    const count = this.ring[2 * c + 1]!;
    for (let n = 0; n < count; n++) {
      const i = (head - 1 - n + k) % k;
      const m = (c * k + i) * META;
      if (meta[m + M_ACTION] !== action) continue;
      if (channel >= 0 && meta[m + M_CHANNEL] !== channel) continue;
      if (token !== undefined && meta[m + M_TOKEN] !== token) continue;
      const decidedAt = meta[m + M_AT]!;
      if (at !== undefined && decidedAt > at) continue; // decided after the outcome: not this one
      if (meta[m + M_DONE] !== 0) {
        hit.result = meta[m + M_DONE] === DONE_RESET ? RESET : ALREADY;
        return hit;
      }
      if (at !== undefined && at - decidedAt > this.maxAgeMs) {
        hit.result = EXPIRED;
        return hit;
      }
      meta[m + M_DONE] = DONE_LEARNED;
      hit.result = undefined;
      hit.slot = meta[m + M_MODEL]!;
      hit.inst = meta[m + M_INST]!;
      hit.bins = this.bins;
      hit.offset = (c * k + i) * this.width;
      hit.scoreBin = meta[m + M_SCORE_BIN]!;
      hit.positive = outcome === 'accept';
      return hit;
    }
    return hit;
  }

  /**
   * Closes the open offers of the given learning instances (all, without a
   * set) after a reset: their outcomes say `reset` and are not learned from,
   * so a reset instance learns only from decisions made after it. Scans the
   * log once. Returns the offers closed.
   */
  closeOffers(instances?: ReadonlySet<number>): number {
    const meta = this.meta;
    let n = 0;
    for (let m = 0, end = this.used * this.offersPerCustomer * META; m < end; m += META) {
      if (meta[m + M_DONE] !== 0) continue; // (an unused entry marked here is reset by add())
      if (instances !== undefined && !instances.has(meta[m + M_INST]!)) continue;
      meta[m + M_DONE] = DONE_RESET;
      n++;
    }
    return n;
  }

  /** Forgets everything (e.g. after a bundle reload changed the adaptive models). */
  clear(): void {
    this.customers.clear();
    this.used = 0;
    this.current = -1;
    this.currentCustomer = '';
    this.head = -1;
    this.tail = -1;
    this.slotKeys = [];
    this.storeHandles = [];
  }

  /** Puts a slot at the head of the recency list. */
  private link(slot: number): void {
    this.newer[slot] = -1;
    this.older[slot] = this.head;
    if (this.head >= 0) this.newer[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const n = this.newer[slot]!;
    const o = this.older[slot]!;
    if (n >= 0) this.older[n] = o;
    else this.head = o;
    if (o >= 0) this.newer[o] = n;
    else this.tail = n;
  }

  /**
   * @internal engine.swap: takes over `prev`'s offers (customers in their
   * recency order, each customer's offers oldest first), with each offer's
   * model and instance mapped by `remap` into this log's learning; offers
   * it maps to undefined (a model that did not carry over) are left out.
   */
  adopt(prev: DecisionLog, remap: (slot: number, inst: number) => { slot: number; inst: number } | undefined): void {
    const k = prev.offersPerCustomer;
    const w = Math.min(prev.width, this.width);
    // oldest first along prev's recency list, so this log's recency ends the same
    for (let c = prev.tail; c >= 0; c = prev.newer[c]!) {
      const customerId = prev.slotKeys[c]!;
      const head = prev.ring[2 * c]!;
      const count = prev.ring[2 * c + 1]!;
      let slot = -1;
      for (let n = count - 1; n >= 0; n--) {
        const i = (head - 1 - n + 2 * k) % k;
        const m = (c * k + i) * META;
        const to = remap(prev.meta[m + M_MODEL]!, prev.meta[m + M_INST]!);
        if (to === undefined) continue;
        if (slot < 0) {
          this.begin(customerId, undefined, 0);
          slot = this.current;
        }
        const ok = this.offersPerCustomer;
        const j = this.ring[2 * slot]!;
        const o = slot * ok + j;
        const mm = o * META;
        this.meta.set(prev.meta.subarray(m, m + META), mm);
        this.meta[mm + M_ACTION] = this.intern(prev.idOf(prev.meta[m + M_ACTION]!));
        this.meta[mm + M_CHANNEL] = prev.meta[m + M_CHANNEL] === 0 ? 0 : this.intern(prev.idOf(prev.meta[m + M_CHANNEL]!));
        this.meta[mm + M_MODEL] = to.slot;
        this.meta[mm + M_INST] = to.inst;
        this.bins.fill(0, o * this.width, (o + 1) * this.width);
        this.bins.set(prev.bins.subarray((c * k + i) * prev.width, (c * k + i) * prev.width + w), o * this.width);
        this.ring[2 * slot] = (j + 1) % ok;
        if (this.ring[2 * slot + 1]! < ok) this.ring[2 * slot + 1]!++;
      }
    }
    this.nextToken = Math.max(this.nextToken, prev.nextToken);
    this.current = -1;
    this.currentCustomer = '';
  }

  /** The id of an interned code. */
  private idOf(code: number): string {
    if (this.names.length !== this.codes.size) this.names = [...this.codes.keys()];
    return this.names[code - 1]!;
  }

  /** Small integer code of an action or channel id (1, 2, ...). */
  private intern(id: string): number {
    let code = this.codes.get(id);
    if (code === undefined) {
      if (this.codes.size >= MAX_CODES) {
        throw new NextbestError('LIMIT_EXCEEDED', `decision log: more than ${MAX_CODES} distinct action and channel ids`, { limit: 'decisionLog.ids', max: MAX_CODES });
      }
      code = this.codes.size + 1;
      this.codes.set(id, code);
    }
    return code;
  }

  private grow(): void {
    const capacity = Math.min(this.maxCustomers, Math.max(1024, this.capacity * 2));
    const k = this.offersPerCustomer;
    const meta = new Float64Array(capacity * k * META);
    meta.set(this.meta);
    const bins = new Uint16Array(capacity * k * this.width);
    bins.set(this.bins);
    const ring = new Int32Array(capacity * 2);
    ring.set(this.ring);
    const newer = new Int32Array(capacity);
    newer.set(this.newer);
    const older = new Int32Array(capacity);
    older.set(this.older);
    this.meta = meta;
    this.bins = bins;
    this.ring = ring;
    this.newer = newer;
    this.older = older;
    this.capacity = capacity;
  }
}

/** Checks an id (customer, action, channel): a non-empty string of at most 256 characters. */
export function checkId(v: unknown, what: string): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > ID_MAX) {
    throw new NextbestError('ARGUMENT_INVALID', `${what} must be a non-empty string of at most ${ID_MAX} characters, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
}
