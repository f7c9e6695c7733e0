/**
 * The plain-TypeScript twins of the kernels, bundled as dist/reference.{js,cjs}
 * for the benchmarks' plain-JS peers. Internal: not part of the package's
 * public exports and free to change.
 */
export { referenceLinearMargin } from './linear.js';
export { referenceTreesMargins, referenceTreesTransform, referenceTreeLeaf } from './trees.js';
export { referenceAdaptiveObserve, referenceAdaptiveUpdate, referenceCounts } from './adaptive.js';
// the counts of a learning snapshot, to hand an adaptive model's state to its twin
export { decodeLearning } from '../adaptive/snapshot.js';
// journeys: the twin and the state codec (plain data <-> bytes)
export { ReferenceJourneys } from './journeys.js';
export { decodeSection, encodeSection } from '../state/journeys.js';
export { referenceScorecardMargin } from './scorecard.js';
// the decision twin, the plain-JS peer of engine.decide (bench/suites/decide.bench.mjs)
export { referenceDecide, referenceRecord } from './decide.js';
// the exploration stream of the twin (adaptive propensities in referenceDecide)
export { ReferencePrng } from './prng.js';
