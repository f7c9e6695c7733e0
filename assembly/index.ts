// The ABI of the nextbest kernels: exports only, no logic.
// Pointers are byte offsets into this module's linear memory; the TypeScript
// side (src/runtime/) places tables and scratch buffers and passes them in.
export { modelMargins, modelTransform } from "./score/model";
export { scorecardExplain } from "./score/scorecard";

/** First free byte after static data; the TypeScript layout allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
export { evalProgram, evalPrograms } from "./decide/rules";
export { journeyObserve, journeyAdvance } from "./journey/automaton";
export { journeyValue, journeyValues } from "./journey/values";

// Adaptive models (assembly/score/adaptive.ts), exploration and the seeded PRNG.
export {
  adaptiveBinRow,
  adaptiveScore,
  adaptiveScoreBin,
  adaptiveClassify,
  adaptiveObserve,
  adaptiveUpdate,
  adaptiveRebuild,
  adaptiveRefresh,
  adaptivePropensities,
} from "./score/adaptive";
export { adaptiveExplore, adaptiveExploreMany, adaptiveAdmit, thompsonDraw } from "./score/explore";
export { prngSeed, prngNext, prngUniform, prngNormal, prngGamma, prngBeta } from "./shared/prng";
export { plog, pexp, tlog } from "./shared/logexp";

// Decisions (assembly/decide/arbitrate.ts): one call per decision; contact history records.
export { decide, decideSample, recordContact } from "./decide/arbitrate";
