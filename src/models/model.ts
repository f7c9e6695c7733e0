/**
 * Model: one predictive model with its feature schema, scored in wasm.
 *
 *   const m = await Model.fromLinear({ intercept: -2, link: 'logit', weights: { tenure: -0.03 } });
 *   m.predict(rows, n);            // batch: Float32Array n*numFeatures -> n*numOutputs
 *   m.predictOne({ tenure: 12 });  // request path
 *   const bytes = m.toBundle();    // deployable bundle; Model.fromBundle(bytes) reads it back
 */
import { NextbestError } from '../errors.js';
import { decodeBundle, encodeBundle } from '../bundle/codec.js';
import type { BundleMeta, BundlePayload } from '../bundle/format.js';
import { FeatureSchema, type EncodeOptions, type FeatureDef, type FeatureObject } from '../runtime/features.js';
import { WasmInstance, type WasmVariant } from '../runtime/wasm.js';
import { compileLinear, linearSchemaFromSpec, type LinearSpec } from './linear.js';
import { compileScorecard, scorecardSchemaFromSpec, type ScorecardSpec } from './scorecard.js';
import { explainScorecard, type ScorecardExplanation } from './scorecard-explain.js';
import { modelToBundle, validateModels, type ModelTable } from './registry.js';
import { ModelHost } from './host.js';
import { importXGBoost, type XGBoostOptions } from './xgboost.js';
import { VERSION } from '../version.js';

export interface ModelOptions {
  /** Which wasm build to run: 'release' (default) or 'debug' (assertions on). Env NEXTBEST_WASM=debug changes the default. */
  wasm?: WasmVariant;
  /** How feature objects given to predictOne are encoded. */
  encode?: EncodeOptions;
}

export interface BundleModelOptions extends ModelOptions {
  /** Which model of a bundle with several; may be omitted when the bundle holds one. */
  id?: string;
}

export class Model {
  /** The validated table (flat arrays), as stored in a bundle. */
  readonly table: ModelTable;
  readonly schema: FeatureSchema;
  private readonly host: ModelHost;
  private readonly encodeOptions: EncodeOptions | undefined;

  /** @internal use the static factories. */
  constructor(table: ModelTable, schema: FeatureSchema, opts?: ModelOptions) {
    if (table.kind === 'adaptive') {
      throw new NextbestError('MODEL_KIND', `"${table.id}" is an adaptive model: its scores depend on learning state; load it with AdaptiveModel.fromBundle`);
    }
    this.table = table;
    this.schema = schema;
    this.host = new ModelHost(WasmInstance.create(opts?.wasm), table, schema.size);
    this.encodeOptions = opts?.encode;
  }

  /** A linear or logistic model from its readable spec. */
  static async fromLinear(spec: LinearSpec, opts?: ModelOptions): Promise<Model> {
    const schema = new FeatureSchema(linearSchemaFromSpec(spec));
    return new Model(compileLinear(spec, schema), schema, opts);
  }

  /**
   * A tree ensemble from an XGBoost model file (`save_model` output of 1.x or 2.x):
   * JSON text or bytes, or UBJ bytes (gzip-compressed files are accepted too).
   * Scores exactly as XGBoost does; see src/models/xgboost.ts for what is supported.
   */
  static async fromXGBoost(bytesOrText: string | Uint8Array | ArrayBuffer, opts?: ModelOptions & XGBoostOptions): Promise<Model> {
    const { table, features } = importXGBoost(bytesOrText, opts);
    return new Model(table, new FeatureSchema(features), opts);
  }

  /** A scorecard (base points + points per characteristic bin, optional odds scaling) from its readable spec. */
  static async fromScorecard(spec: ScorecardSpec, opts?: ModelOptions): Promise<Model> {
    const schema = new FeatureSchema(scorecardSchemaFromSpec(spec));
    return new Model(compileScorecard(spec, schema), schema, opts);
  }

  /** A model stored in a bundle (from `toBundle()`, or one model of an engine bundle). */
  static async fromBundle(bytes: Uint8Array, opts?: BundleModelOptions): Promise<Model> {
    const { payload } = decodeBundle(bytes);
    const schema = FeatureSchema.fromBundle(payload.features);
    const tables = validateModels(payload.models, schema.size);
    let table: ModelTable | undefined;
    if (opts?.id !== undefined) table = tables.find((t) => t.id === opts.id);
    else if (tables.length === 1) table = tables[0];
    if (!table) {
      throw new NextbestError(
        'MODEL_UNKNOWN',
        opts?.id !== undefined
          ? `the bundle has no model "${opts.id}"; it has: ${tables.map((t) => t.id).join(', ') || 'none'}`
          : `the bundle holds ${tables.length} models (${tables.map((t) => t.id).join(', ')}); pass { id } to pick one`,
      );
    }
    return new Model(table, schema, opts);
  }

  get id(): string {
    return this.table.id;
  }
  get kind(): ModelTable['kind'] {
    return this.table.kind;
  }
  get numFeatures(): number {
    return this.schema.size;
  }
  /** Values per row returned by predict (1 for binary and regression, classes for softprob). */
  get numOutputs(): number {
    return this.table.nOutputs;
  }
  /** Values per row returned by margin (classes for multi-class models, else 1). */
  get numGroups(): number {
    return this.table.nGroups;
  }
  get featureNames(): string[] {
    return [...this.schema.names];
  }

  /** Transformed predictions for n rows (row-major, numFeatures each): n * numOutputs values. */
  predict(rows: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.host.run(rows, n, out, true);
  }

  /** Raw margins for n rows: n * numGroups values. */
  margin(rows: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.host.run(rows, n, out, false);
  }

  /** Prediction for one row: a feature vector in schema order, or an object of name -> value. */
  predictOne(row: Float32Array | FeatureObject, out?: Float32Array): Float32Array {
    return this.host.runOne(row, this.schema, out, true, this.encodeOptions);
  }

  /** Margin for one row. */
  marginOne(row: Float32Array | FeatureObject, out?: Float32Array): Float32Array {
    return this.host.runOne(row, this.schema, out, false, this.encodeOptions);
  }

  /**
   * Scorecards only (else MODEL_KIND): the score, each characteristic's bin and
   * points as the kernel computed them, and the top-k reason codes by points
   * below maximum (default 4; see docs/models.md for the method and tie-break).
   */
  explain(row: Float32Array | FeatureObject, k?: number): ScorecardExplanation {
    return explainScorecard(this.host, this.schema, row, k, this.encodeOptions);
  }

  /** Encodes a feature object into a vector in schema order (NaN for missing). */
  encode(row: FeatureObject): Float32Array {
    return this.schema.encode(row, this.encodeOptions);
  }

  /** A deployable bundle holding this model and its schema. */
  toBundle(meta?: Partial<Pick<BundleMeta, 'name' | 'version'>>): Uint8Array {
    return encodeBundle(singleModelPayload(this.table, this.schema, meta));
  }
}

/** The payload of a bundle holding one model and its schema (Model and AdaptiveModel toBundle). */
export function singleModelPayload(table: ModelTable, schema: FeatureSchema, meta?: Partial<Pick<BundleMeta, 'name' | 'version'>>): BundlePayload {
  return {
    meta: {
      name: meta?.name ?? table.id,
      version: meta?.version ?? '1',
      created: new Date().toISOString(),
      generator: `nextbest ${VERSION}`,
      sources: {},
    },
    features: schema.toJSON() as FeatureDef[],
    models: [modelToBundle(table)],
  };
}
