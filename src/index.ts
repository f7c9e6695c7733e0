/**
 * nextbest: the public API. This file is the only door; everything it does not
 * export is internal and may change.
 */
export { NextbestError, ErrorCodes, isNextbestError, type ErrorCode } from './errors.js';
export { Model, type ModelOptions, type BundleModelOptions } from './models/model.js';
export type { LinearSpec } from './models/linear.js';
export type { ScorecardSpec, ScorecardCharacteristic, ScorecardBin, ScorecardSpecialBin, ScorecardScaling } from './models/scorecard.js';
export type { ScorecardExplanation, ScorecardCharacteristicExplanation, ScorecardReason } from './models/scorecard-explain.js';
export type { XGBoostOptions } from './models/xgboost.js';
export { FeatureSchema, type FeatureDef, type FeatureType, type FeatureObject, type FeatureValue, type EncodeOptions } from './runtime/features.js';
export type { WasmVariant } from './runtime/wasm.js';
export type { BundleMeta } from './bundle/format.js';
export { VERSION } from './version.js';
export { Engine, type EngineOptions, type BundleInfo, type SwapOptions, type SwapEvent } from './engine.js';
export { DEFAULT_LIMITS, LIMIT_CEILINGS, LIMIT_NAMES, type Limits, type LimitName } from './limits.js';
export { MemoryStore, type MemoryStoreOptions } from './state/memory.js';
export type { SlabStore, SlabStoreOptions } from './state/slab.js';
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
  type ObserveStateOptions,
  type ObserveResult,
  type ObserveStateResult,
  type AdvanceStateResult,
  type TriggeredDecision,
} from './runtime/journeys.js';
export type {
  DecisionRequest,
  DecisionContext,
  DecideOptions,
  Decision,
  DecidedAction,
  DecisionExplanation,
  CandidateExplanation,
  RuleExplanation,
  PolicyExplanation,
  Factors,
  ContactRecord,
  ContactRecordResult,
  DecidedRequest,
  ProbabilityEstimate,
  ActionInfo,
} from './decide/types.js';
export type { Stage, Outcome, ActionKind, TriggerTable } from './decide/tables.js';
export type { TriggerRequest, TriggerDecide, TriggerDecideOptions } from './decide/triggers.js';
export type { AdvanceOptions } from './runtime/journeys.js';
export type { JourneyFact } from './decide/journey-explain.js';
export { Pool, type PoolOptions, type PoolScoreOptions, type PoolStats, type PoolSwapOptions, type PoolSwapEvent } from './pool/pool.js';
export type { PoolDecideRequest, PoolDecideOptions, PoolDecision } from './pool/decide-batch.js';
export { AdaptiveModel, type AdaptiveModelOptions, type AdaptiveCreateOptions } from './adaptive/model.js';
export type { AdaptiveSpec, AdaptivePredictorSpec, InstanceScope, ExploreMethod } from './models/adaptive.js';
export {
  Learning,
  type LearningOptions,
  type LearningOutcome,
  type InstanceRef,
  type Observation,
  type InstanceReport,
  type PredictorReport,
  type BinReport,
  type MergeSummary,
  type LearningCarry,
} from './adaptive/learning.js';
export type { DecisionLogOptions, OfferedAction, RecordRequest, RecordResult, RecordReason } from './adaptive/outcomes.js';
export { Explorer } from './adaptive/explore.js';
export { evaluatePolicy, type Policy, type PolicyOutput, type EvaluateOptions, type EvaluationReport, type Estimate } from './evaluate/offline.js';
export { parseDecisionLog, toLogRecord, type LoggedDecision, type LogRecord } from './evaluate/log.js';
export { bundlePolicy, loadPolicyModule } from './evaluate/policy.js';
