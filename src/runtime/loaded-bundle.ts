/**
 * One bundle loaded into one wasm instance: what an Engine serves until the
 * next swap. Loading decodes the envelope (checking size, magic, version,
 * checksum and, with trusted keys, the signature), validates every section,
 * checks the configured limits, and only then places the tables in a fresh
 * wasm instance. Any failure is a NextbestError and leaves nothing behind,
 * which is what lets engine.swap keep the old bundle serving.
 */
import { NextbestError } from '../errors.js';
import { decodeEnvelope, decodePayload, hex } from '../bundle/codec.js';
import { parseTrustedKeys, verifyEnvelope } from '../bundle/sign.js';
import type { BundleMeta, BundlePayload } from '../bundle/format.js';
import { checkBundleBytes, checkBundleLimits } from '../bundle/limits.js';
import type { Limits } from '../limits.js';
import { FeatureSchema, type EncodeOptions } from './features.js';
import { WasmInstance, type WasmVariant } from './wasm.js';
import { validateModels } from '../models/registry.js';
import { ModelHost } from '../models/host.js';
import { validateLayout, type StateLayout } from '../state/layout.js';
import { stateShape, type StateShape } from '../state/migrate.js';
import { validateJourneys } from '../compile/journey/bundle.js';
import { journeyValueDefs } from '../compile/journey/bindings.js';
import { JourneyRuntime } from './journeys.js';
import { validateDecisions } from '../decide/tables.js';
import { Decisions } from '../decide/decider.js';
import { Triggers } from '../decide/triggers.js';
import { Learning, type LearningOptions } from '../adaptive/learning.js';
import type { AdaptiveTable } from '../models/adaptive.js';

/** What a host logs about the bundle it runs. */
export interface BundleInfo {
  name: string;
  version: string;
  created: string;
  generator: string;
  /** sha256 of the payload, hex: the bundle's identity. */
  sha256: string;
  /** Key id of the signature, when signed. */
  keyId?: string;
  /** True when the signature was verified against a trusted key. */
  verified: boolean;
}

export interface LoadOptions {
  wasm?: WasmVariant;
  encode?: EncodeOptions;
  trustedKeys?: string[];
  learning?: LearningOptions;
  limits: Readonly<Limits>;
}

/** The identity of a decoded envelope and payload. */
export function bundleInfo(envelope: { sha256: Uint8Array; keyId?: string }, payload: BundlePayload, verifiedKey: string | undefined): BundleInfo {
  const meta = payload.meta as Partial<BundleMeta>;
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v).slice(0, 256));
  return {
    name: text(meta.name),
    version: text(meta.version),
    created: text(meta.created),
    generator: text(meta.generator),
    sha256: hex(envelope.sha256),
    ...(verifiedKey ? { keyId: verifiedKey } : envelope.keyId ? { keyId: envelope.keyId } : {}),
    verified: verifiedKey !== undefined,
  };
}

export class LoadedBundle {
  readonly info: BundleInfo;
  readonly schema: FeatureSchema;
  readonly context: FeatureSchema;
  readonly wasm: WasmInstance;
  readonly payload: BundlePayload;
  readonly stateLayout: StateLayout | undefined;
  /** The parts of the state layout, for migrating state across swaps. */
  readonly stateShape: StateShape | undefined;
  readonly journeys: JourneyRuntime | undefined;
  readonly models = new Map<string, ModelHost>();
  readonly decisions: Decisions | undefined;
  /** The bundle's triggers at run time, when it has any. */
  readonly triggers: Triggers | undefined;
  readonly learning: Learning;
  readonly encode: EncodeOptions | undefined;
  readonly limits: Readonly<Limits>;

  constructor(bytes: Uint8Array, opts: LoadOptions) {
    if (!(bytes instanceof Uint8Array)) throw new NextbestError('ARGUMENT_INVALID', 'a bundle must be a Uint8Array (or Buffer) of bytes, or a path');
    checkBundleBytes(opts.limits, bytes.byteLength);
    const envelope = decodeEnvelope(bytes);
    const verifiedKey = opts.trustedKeys ? verifyEnvelope(envelope, parseTrustedKeys(opts.trustedKeys)) : undefined;
    const payload = decodePayload(envelope);
    this.info = bundleInfo(envelope, payload, verifiedKey);
    this.payload = payload;
    this.limits = opts.limits;
    this.schema = FeatureSchema.fromBundle(payload.features);
    this.context = payload.context === undefined ? new FeatureSchema([]) : FeatureSchema.fromBundle(payload.context);
    this.schema.limits = opts.limits;
    this.context.limits = opts.limits;
    const tables = validateModels(payload.models, this.schema.size);
    this.stateLayout = payload.state === undefined ? undefined : validateLayout(payload.state);
    const journeys = payload.journeys === undefined ? undefined : validateJourneys(payload.journeys, this.schema.size, payload.state);
    const channel = this.context.indexOf('channel');
    const decisionTables =
      payload.decisions === undefined
        ? undefined
        : validateDecisions(payload.decisions, {
            features: this.schema.size,
            contextFields: this.context.size,
            models: tables,
            state: this.stateLayout,
            journeyValues: journeys ? journeyValueDefs(journeys.set).length : 0,
            journeyIds: journeys ? journeys.set.journeys.map((j) => j.id) : [],
            contextDefs: this.context.defs,
            ...(channel >= 0 ? { channelDictionary: this.context.defs[channel]!.categories ?? [] } : {}),
          });
    checkBundleLimits(opts.limits, {
      bytes: bytes.byteLength,
      schema: this.schema,
      context: this.context,
      models: tables,
      ...(this.stateLayout ? { state: this.stateLayout } : {}),
      ...(journeys ? { journeys: journeys.set } : {}),
      ...(decisionTables ? { decisions: decisionTables } : {}),
    });
    this.stateShape = this.stateLayout && stateShape(this.stateLayout, journeys?.set, decisionTables);
    // Everything is validated before anything is placed.
    this.wasm = WasmInstance.create(opts.wasm);
    for (const t of tables) this.models.set(t.id, new ModelHost(this.wasm, t, this.schema.size));
    this.journeys = journeys && new JourneyRuntime(this.wasm, journeys, this.schema, opts.encode);
    this.encode = opts.encode;
    const adaptive = tables.filter((t): t is AdaptiveTable => t.kind === 'adaptive');
    this.learning = new Learning(this.wasm, adaptive.map((t) => ({ table: t, ptr: this.models.get(t.id)!.ptr })), this.schema, {
      ...opts.learning,
      encode: opts.encode,
    });
    if (payload.learning !== undefined) this.learning.loadBundleSection(payload.learning);
    // decisions: placed in the same instance, reading the placed models and the learning instances
    this.decisions =
      decisionTables &&
      new Decisions(
        this.wasm,
        decisionTables,
        new Map([...this.models].map(([id, h]) => [id, { table: h.table, ptr: h.ptr }])),
        this.schema,
        this.context,
        this.stateLayout!,
        this.learning,
        opts.encode,
        this.journeys && { table: this.journeys.table, set: this.journeys.set },
      );
    this.triggers = this.decisions && this.decisions.tables.triggers.length > 0 ? new Triggers(this.decisions, this.schema, opts.encode) : undefined;
  }
}
