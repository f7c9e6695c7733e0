/**
 * The decision log: what recent decisions offered each customer, so an
 * outcome can be learned from without the caller resending features.
 *
 * Bounds (DecisionLogOptions): at most `maxCustomers` customers (the least
 * recently decided is forgotten first; a Map's insertion order is the LRU
 * order) and, per customer, the last `offersPerCustomer` offers in a ring
 * (the oldest is overwritten first). An offer keeps its action, channel,
 * decision token and time, learning instance, score bin and the bin of every
 * predictor (u16 each): about 60 + 2 x predictors bytes. Evicted customer
 * entries are recycled, so steady state allocates nothing.
 *
 * Matching an outcome {customerId, actionId, channel?, token?, at?}: the
 * newest offer of the customer with that action (and channel, and token, when
 * given) decided at or before `at`. It is learned from unless it already was
 * (the first accept or reject counts) or the outcome came more than
 * `maxAgeMs` after the decision. Impressions are not learned from.
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

export type RecordReason = 'learned' | 'no-decision' | 'already-learned' | 'expired' | 'impression';

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

class CustomerOffers {
  customerId = '';
  count = 0;
  head = 0;
  readonly token: Float64Array;
  readonly at: Float64Array;
  readonly slot: Int32Array;
  readonly inst: Int32Array;
  readonly scoreBin: Int32Array;
  readonly done: Uint8Array;
  readonly action: string[];
  readonly channel: (string | undefined)[];
  readonly bins: Uint16Array;

  constructor(k: number, width: number) {
    this.token = new Float64Array(k);
    this.at = new Float64Array(k);
    this.slot = new Int32Array(k);
    this.inst = new Int32Array(k);
    this.scoreBin = new Int32Array(k);
    this.done = new Uint8Array(k);
    this.action = new Array<string>(k).fill('');
    this.channel = new Array<string | undefined>(k).fill(undefined);
    this.bins = new Uint16Array(k * width);
  }
}

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

export class DecisionLog {
  readonly maxCustomers: number;
  readonly offersPerCustomer: number;
  readonly maxAgeMs: number;
  /** Width of a bins row: the most predictors of any adaptive model. */
  readonly width: number;
  /** Customers forgotten for the size cap, since creation. */
  evictions = 0;
  private readonly map = new Map<string, CustomerOffers>();
  private readonly pool: CustomerOffers[] = [];
  private current: CustomerOffers | undefined;
  private pendingAt = NaN;
  private nextToken = 1;
  private readonly hit: LogHit = { result: undefined, slot: 0, inst: 0, bins: new Uint16Array(0), offset: 0, scoreBin: 0, positive: false };

  constructor(width: number, opts: DecisionLogOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'learning.log options must be an object');
    const maxCustomers = opts.maxCustomers ?? 100_000;
    const k = opts.offersPerCustomer ?? 8;
    const maxAge = opts.maxAgeMs ?? 30 * 86_400_000;
    if (!Number.isInteger(maxCustomers) || maxCustomers < 1) {
      throw new NextbestError('OPTION_INVALID', `learning.log.maxCustomers must be a positive integer, got ${String(opts.maxCustomers)}`);
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
    return this.map.size;
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
    let e = this.map.get(customerId);
    if (e !== undefined) {
      this.map.delete(customerId);
    } else {
      if (this.map.size >= this.maxCustomers) {
        const oldest = this.map.keys().next().value as string;
        this.pool.push(this.map.get(oldest)!);
        this.map.delete(oldest);
        this.evictions++;
      }
      e = this.pool.pop() ?? new CustomerOffers(this.offersPerCustomer, this.width);
      e.customerId = customerId;
      e.count = 0;
      e.head = 0;
    }
    this.map.set(customerId, e);
    this.current = e;
    this.pendingAt = at ?? NaN;
    return tok;
  }

  /** Adds one offer to the decision begun last for this customer. */
  add(customerId: string, token: number, actionId: string, channel: string | undefined, slot: number, inst: number, scoreBin: number, bins: Uint16Array): void {
    const e = this.current;
    if (e === undefined || e.customerId !== customerId) {
      throw new NextbestError('ARGUMENT_INVALID', `decision log: add() for "${String(customerId).slice(0, 64)}" without begin()`);
    }
    checkId(actionId, 'actionId');
    if (channel !== undefined) checkId(channel, 'channel');
    if (bins.length > this.width) throw new NextbestError('ARGUMENT_INVALID', `decision log: ${bins.length} bins, at most ${this.width}`);
    const i = e.head;
    e.token[i] = token;
    e.at[i] = this.pendingAt;
    e.slot[i] = slot;
    e.inst[i] = inst;
    e.scoreBin[i] = scoreBin;
    e.done[i] = 0;
    e.action[i] = actionId;
    e.channel[i] = channel;
    e.bins.set(bins, i * this.width);
    e.head = (i + 1) % this.offersPerCustomer;
    if (e.count < this.offersPerCustomer) e.count++;
  }

  /**
   * Finds the offer an outcome is about and marks it learned. `result` is set
   * when there is nothing to learn (no decision, already learned, expired,
   * impression); otherwise the hit says where the observation is.
   */
  find(req: RecordRequest): LogHit {
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
    const e = this.map.get(req.customerId);
    if (e === undefined) return hit;
    const k = this.offersPerCustomer;
    for (let n = 0; n < e.count; n++) {
      const i = (e.head - 1 - n + k) % k;
      if (e.action[i] !== req.actionId) continue;
      if (req.channel !== undefined && e.channel[i] !== req.channel) continue;
      if (token !== undefined && e.token[i] !== token) continue;
      const decidedAt = e.at[i]!;
      if (at !== undefined && decidedAt > at) continue; // decided after the outcome: not this one
      if (e.done[i] !== 0) {
        hit.result = ALREADY;
        return hit;
      }
      if (at !== undefined && at - decidedAt > this.maxAgeMs) {
        hit.result = EXPIRED;
        return hit;
      }
      e.done[i] = 1;
      hit.result = undefined;
      hit.slot = e.slot[i]!;
      hit.inst = e.inst[i]!;
      hit.bins = e.bins;
      hit.offset = i * this.width;
      hit.scoreBin = e.scoreBin[i]!;
      hit.positive = outcome === 'accept';
      return hit;
    }
    return hit;
  }

  /** Forgets everything (e.g. after a bundle reload changed the adaptive models). */
  clear(): void {
    for (const e of this.map.values()) this.pool.push(e);
    this.map.clear();
    this.current = undefined;
  }
}

/** Checks an id (customer, action, channel): a non-empty string of at most 256 characters. */
export function checkId(v: unknown, what: string): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > ID_MAX) {
    throw new NextbestError('ARGUMENT_INVALID', `${what} must be a non-empty string of at most ${ID_MAX} characters, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
}
