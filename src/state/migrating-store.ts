/**
 * The engine's view of the host's state store across bundle swaps: a state
 * written under an earlier bundle's layout is migrated (src/state/migrate.ts)
 * the first time the engine reads it, and written back, so a store never has
 * to be rewritten at a swap. A state that needs no migration passes through
 * untouched (four byte compares); one of a layout this engine never served
 * passes through too, and the engine's own check refuses it (STATE_INVALID).
 */
import type { StateStore } from './store.js';
import type { StateMigrator } from './migrate.js';

export class MigratingStore implements StateStore {
  readonly inner: StateStore;
  private readonly migrator: StateMigrator;

  constructor(inner: StateStore, migrator: StateMigrator) {
    this.inner = inner;
    this.migrator = migrator;
  }

  get live(): boolean | undefined {
    return this.inner.live;
  }

  get size(): number {
    return this.inner.size;
  }

  get(customerId: string): Uint8Array | undefined {
    const s = this.inner.get(customerId);
    if (s === undefined) return undefined;
    const m = this.migrator.migrate(s);
    if (m === undefined) return s;
    this.inner.set(customerId, m);
    // a live store hands out its own bytes: return those, so in-place updates land in the store
    if (this.inner.live === true) return (this.inner.peek ? this.inner.peek(customerId) : this.inner.get(customerId)) ?? m;
    return m;
  }

  /** Without refreshing recency: a migrated state is returned but not written back (the caller writes it when it changes it). */
  peek(customerId: string): Uint8Array | undefined {
    const s = this.inner.peek ? this.inner.peek(customerId) : this.inner.get(customerId);
    if (s === undefined) return undefined;
    return this.migrator.migrate(s) ?? s;
  }

  set(customerId: string, state: Uint8Array): void {
    this.inner.set(customerId, state);
  }

  delete(customerId: string): boolean {
    return this.inner.delete(customerId);
  }

  keys(): IterableIterator<string> {
    return this.inner.keys();
  }

  clear(): void {
    this.inner.clear();
  }
}
