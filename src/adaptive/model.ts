/**
 * AdaptiveModel: one adaptive model with its learning state in its own wasm
 * instance, for use without a decision bundle (and for tests).
 *
 *   const m = await AdaptiveModel.create({ predictors: { tenure: { thresholds: [6, 24] }, plan: { categories: ['basic', 'premium'] } } });
 *   const obs = m.observe({ tenure: 12, plan: 'basic' }, { action: 'upgrade' });   // propensity, bins, score bin
 *   m.learn(obs, 'accept');                                                      // outcome of that decision
 *   m.learning.snapshot();  m.learning.merge(bytes);  m.report({ action: 'upgrade' });
 */
import { NextbestError } from '../errors.js';
import { decodeBundle, encodeBundle } from '../bundle/codec.js';
import type { BundleMeta } from '../bundle/format.js';
import { FeatureSchema, type EncodeOptions, type FeatureObject } from '../runtime/features.js';
import { WasmInstance, type WasmVariant } from '../runtime/wasm.js';
import { ModelHost } from '../models/host.js';
import { validateModels } from '../models/registry.js';
import { singleModelPayload } from '../models/model.js';
import { adaptiveSchemaFromSpec, compileAdaptive, type AdaptiveSpec, type AdaptiveTable } from '../models/adaptive.js';
import { Learning, type InstanceRef, type InstanceReport, type LearningOptions, type LearningOutcome, type Observation } from './learning.js';
import { decodeLearning, encodeLearning } from './snapshot.js';

export interface AdaptiveModelOptions {
  /** Which wasm build: 'release' (default) or 'debug'. */
  wasm?: WasmVariant;
  /** How feature objects are encoded. */
  encode?: EncodeOptions;
  /** Instance limit and exploration seed. */
  learning?: LearningOptions;
}

export interface AdaptiveCreateOptions extends AdaptiveModelOptions {
  /** Feature objects that seed equal-frequency bins and category lists. */
  sample?: FeatureObject[];
}

export class AdaptiveModel {
  readonly table: AdaptiveTable;
  readonly schema: FeatureSchema;
  /** Counts, snapshots, merges, exploration. */
  readonly learning: Learning;
  private readonly host: ModelHost;
  private readonly wasm: WasmInstance;

  private constructor(table: AdaptiveTable, schema: FeatureSchema, opts: AdaptiveModelOptions = {}) {
    this.table = table;
    this.schema = schema;
    this.wasm = WasmInstance.create(opts.wasm);
    this.host = new ModelHost(this.wasm, table, schema.size);
    this.learning = new Learning(this.wasm, [{ table, ptr: this.host.ptr }], schema, { ...opts.learning, encode: opts.encode });
  }

  /** An adaptive model from its readable spec (and an optional seeding sample). */
  static async create(spec: AdaptiveSpec, opts: AdaptiveCreateOptions = {}): Promise<AdaptiveModel> {
    const schema = new FeatureSchema(adaptiveSchemaFromSpec(spec));
    return new AdaptiveModel(compileAdaptive(spec, schema, opts.sample, opts.encode), schema, opts);
  }

  /** An adaptive model of a bundle, with the bundle's starting learning state for it. */
  static async fromBundle(bytes: Uint8Array, opts: AdaptiveModelOptions & { id?: string } = {}): Promise<AdaptiveModel> {
    const { payload } = decodeBundle(bytes);
    const schema = FeatureSchema.fromBundle(payload.features);
    const tables = validateModels(payload.models, schema.size).filter((t): t is AdaptiveTable => t.kind === 'adaptive');
    const table = opts.id !== undefined ? tables.find((t) => t.id === opts.id) : tables.length === 1 ? tables[0] : undefined;
    if (!table) {
      throw new NextbestError(
        'MODEL_UNKNOWN',
        opts.id !== undefined
          ? `the bundle has no adaptive model "${opts.id}"; it has: ${tables.map((t) => t.id).join(', ') || 'none'}`
          : `the bundle holds ${tables.length} adaptive models (${tables.map((t) => t.id).join(', ')}); pass { id } to pick one`,
      );
    }
    const m = new AdaptiveModel(table, schema, opts);
    if (payload.learning !== undefined) {
      let own: Uint8Array;
      try {
        const all = decodeLearning(payload.learning as Uint8Array);
        own = encodeLearning({ kind: all.kind, models: all.models.filter((x) => x.id === table.id) });
      } catch (e) {
        if (e instanceof NextbestError) throw new NextbestError('BUNDLE_INVALID', `bundle learning section: ${e.message}`);
        throw e;
      }
      m.learning.loadBundleSection(own);
    }
    return m;
  }

  get id(): string {
    return this.table.id;
  }

  /** Bins, score, score bin and propensity of one customer for one instance. */
  observe(features: FeatureObject | Float32Array, ref?: InstanceRef): Observation {
    return this.learning.observe(this.id, ref, features);
  }

  /** The propensity of one customer for one instance. */
  propensity(features: FeatureObject | Float32Array, ref?: InstanceRef): number {
    return this.learning.propensity(this.id, ref, features);
  }

  /** Propensities (f32) of n rows (schema order, row-major) for one instance. */
  predict(rows: Float32Array, n: number, ref?: InstanceRef, out?: Float32Array): Float32Array {
    const field = (this.host.ptr + 36) >> 2;
    const saved = this.wasm.i32[field]!;
    this.wasm.i32[field] = this.learning.instancePointer(this.id, ref);
    try {
      return this.host.run(rows, n, out, true);
    } finally {
      this.wasm.i32[field] = saved;
    }
  }

  /** Learns the outcome of an observation. */
  learn(obs: Observation, outcome: LearningOutcome): void {
    this.learning.learn(obs, outcome);
  }

  /** Counts, AUCs, predictor activity and classifier of one instance. */
  report(ref?: InstanceRef): InstanceReport {
    return this.learning.report(this.id, ref);
  }

  /** Encodes a feature object in schema order. */
  encode(row: FeatureObject): Float32Array {
    return this.schema.encode(row);
  }

  /** A bundle holding the definition and, unless `learning: false`, the current learning state as its starting state. */
  toBundle(meta?: Partial<Pick<BundleMeta, 'name' | 'version'>>, opts: { learning?: boolean } = {}): Uint8Array {
    return encodeBundle({
      ...singleModelPayload(this.table, this.schema, meta),
      ...(opts.learning === false ? {} : { learning: this.learning.snapshot() }),
    });
  }
}
