/**
 * nextbest: the public API. This file is the only door; everything it does not
 * export is internal and may change.
 */
export { NextbestError, ErrorCodes, isNextbestError, type ErrorCode } from './errors.js';
export { Model, type ModelOptions, type BundleModelOptions } from './models/model.js';
export type { LinearSpec } from './models/linear.js';
export type { ScorecardSpec, ScorecardCharacteristic, ScorecardBin, ScorecardSpecialBin, ScorecardScaling } from './models/scorecard.js';
export type { ScorecardExplanation, ScorecardCharacteristicExplanation, ScorecardReason } from './models/scorecard-explain.js';
export { FeatureSchema, type FeatureDef, type FeatureType, type FeatureObject, type FeatureValue, type EncodeOptions } from './runtime/features.js';
export type { WasmVariant } from './runtime/wasm.js';
export type { BundleMeta } from './bundle/format.js';
export { VERSION } from './version.js';
export { Engine, type EngineOptions, type BundleInfo } from './engine.js';
export { MemoryStore, type MemoryStoreOptions } from './state/memory.js';
export type { StateStore } from './state/store.js';
export { compileSpec, compileSpecFile, type CompileOptions } from './compile/spec.js';
export { SpecSource } from './compile/source.js';
export { buildBundle, buildBundleFile } from './compile/build.js';
export { inspectBundle, formatReport, type BundleReport } from './bundle/inspect.js';
export { runCli } from './cli/main.js';
export { generateKeyPair, signBundle, type KeyPairPem } from './bundle/sign.js';
export {
  compileExpr,
  parseExpr,
  printExpr,
  mapEnv,
  type CompiledExpr,
  type CompileOptions as ExprCompileOptions,
  type ExprType,
  type ExprEnv,
  type Binding,
  type ExprOrigin,
  type ExprLimits,
  type Ast as ExprAst,
} from './compile/expr/index.js';
export { journeyBindings, journeyEnv, journeyValueDefs, type JourneyValueDef } from './compile/journey/bindings.js';
export {
  describeMatch,
  type JourneyEvent,
  type JourneyMatch,
  type JourneyMatchStep,
  type JourneyStats,
  type ObserveOptions,
  type ObserveResult,
  type ObserveStateResult,
  type AdvanceStateResult,
} from './runtime/journeys.js';
