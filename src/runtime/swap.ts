/**
 * What a bundle swap carries from the bundle being replaced to the next one
 * (engine.swap; docs/operations.md "Hot reload"), done after the next bundle
 * has loaded and before the engine switches to it. Nothing here changes the
 * previous bundle, so a failure (too many learning instances) leaves it
 * serving as it was.
 *
 * - Learning: adaptive models with the same id and binning keep their
 *   counts, unshipped deltas, logged offers and the exploration stream
 *   (Learning.carryFrom); instances of actions the next bundle lacks are
 *   dropped.
 * - Customer state: the next layout becomes current for the state migrator;
 *   states of the previous layout (and of every layout it remembers) are
 *   migrated when they are next read. The event reports which parts of the
 *   previous layout carry over.
 * - Journey counters continue.
 */
import type { BundleInfo, LoadedBundle } from './loaded-bundle.js';
import type { LearningCarry } from '../adaptive/learning.js';
import { planMigration, type StateMigrator } from '../state/migrate.js';

/** The `swap` event: what changed, for host logs. */
export interface SwapEvent {
  /** 1 for the engine's first swap, then 2, ... */
  swap: number;
  previous: BundleInfo;
  current: BundleInfo;
  /** Time from the swap call to the switch (reading, verifying, validating, placing, carrying over), ms. */
  durationMs: number;
  /**
   * Customer state of the previous bundle's layout, as it will be migrated
   * on first read (absent when neither bundle keeps customer state):
   * `carried` and `reset` are the new layout's parts (`journey/<id>`,
   * `aggregate/<id>`, `policy/<id>[/<action>]`, `journeys/header`); all
   * carried when the layout did not change.
   */
  state?: { layoutChanged: boolean; carried: string[]; reset: string[] };
  /** Adaptive learning state: which models carried over. */
  learning: LearningCarry;
}

export function swapBundle(prev: LoadedBundle, next: LoadedBundle, migrator: StateMigrator, n: number): SwapEvent {
  const actions = next.decisions ? new Set(next.decisions.tables.actions.map((a) => a.id)) : undefined;
  const channels = next.decisions ? new Set(next.decisions.tables.channels) : undefined;
  const learning = next.learning.carryFrom(prev.learning, (modelId, key) => {
    if (actions === undefined || key === '') return true;
    const cut = key.indexOf('/');
    if (cut < 0) return actions.has(key);
    return actions.has(key.slice(0, cut)) && (channels!.size === 0 || channels!.has(key.slice(cut + 1)));
  });
  if (prev.journeys && next.journeys) Object.assign(next.journeys.stats, prev.journeys.stats);
  let state: SwapEvent['state'];
  const from = prev.stateShape;
  const to = next.stateShape;
  if (from && to) {
    const plan = planMigration(from, to);
    state = { layoutChanged: from.layout.hash !== to.layout.hash, carried: plan.carried, reset: plan.reset };
  } else if (to) {
    state = { layoutChanged: true, carried: [], reset: to.parts.map((p) => p.key) };
  }
  migrator.setCurrent(to);
  return { swap: n, previous: prev.info, current: next.info, durationMs: 0, ...(state ? { state } : {}), learning };
}
