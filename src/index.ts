/**
 * nextbest: the public API. This file is the only door; everything it does not
 * export is internal and may change.
 */
export { NextbestError, ErrorCodes, isNextbestError, type ErrorCode } from './errors.js';
export { Model, type ModelOptions, type BundleModelOptions } from './models/model.js';
export type { LinearSpec } from './models/linear.js';
export type { XGBoostOptions } from './models/xgboost.js';
export { FeatureSchema, type FeatureDef, type FeatureType, type FeatureObject, type FeatureValue, type EncodeOptions } from './runtime/features.js';
export type { WasmVariant } from './runtime/wasm.js';
export type { BundleMeta } from './bundle/format.js';
export { VERSION } from './version.js';
