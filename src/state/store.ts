/**
 * Where per-customer state lives between calls. State is opaque bytes whose
 * layout the bundle defines (DESIGN.md rule 4); a store only keeps them.
 * The engine's calls are synchronous, so a store is too; an external store
 * (Redis, a file) is used through the pure forms (`observeState`, ...) or by
 * loading and saving around engine calls.
 */
export interface StateStore {
  /** The state of a customer, or undefined. The engine may update the returned array in place and then call set. */
  get(customerId: string): Uint8Array | undefined;
  /**
   * Optional: true when get returns the stored bytes themselves and refreshes the
   * customer's recency, so that writing into them updates the store and a set
   * after an in-place update can be skipped (the engine then skips it).
   */
  readonly live?: boolean;
  /** Stores (or replaces) a customer's state. */
  set(customerId: string, state: Uint8Array): void;
  delete(customerId: string): boolean;
  /**
   * Optional: the state without refreshing the customer's recency or TTL (sweeps
   * such as advanceAll use it so that a sweep does not keep every customer alive).
   */
  peek?(customerId: string): Uint8Array | undefined;
  /** Customer ids currently held (for sweeps such as advanceAll). */
  keys(): IterableIterator<string>;
  readonly size: number;
  clear(): void;
}
