/**
 * The feature schema: named features, numeric or categorical, in a fixed order.
 * A feature vector is a Float32Array in schema order; NaN means missing.
 * Categorical values are integer codes: the index of the string in the
 * feature's dictionary (or, for a feature without a dictionary, the code itself).
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import { ceilingError, checkInputString, DEFAULT_LIMITS, LIMIT_CEILINGS, limitError, type Limits } from '../limits.js';

export type FeatureType = 'numeric' | 'categorical';

export interface FeatureDef {
  name: string;
  type: FeatureType;
  /** Dictionary of a categorical feature: value -> code is the index. */
  categories?: string[];
}

export interface EncodeOptions {
  /** Ignore names that are not in the schema instead of failing (default false). */
  ignoreUnknown?: boolean;
  /**
   * What a categorical string outside the dictionary becomes: 'error' (default)
   * throws FEATURE_CATEGORY, 'missing' encodes NaN.
   */
  unknownCategory?: 'error' | 'missing';
}

export type FeatureValue = number | string | boolean | null | undefined;
export type FeatureObject = Record<string, FeatureValue>;

const MAX_FEATURES = LIMIT_CEILINGS.features;

/**
 * Schemas up to this size get a generated reader: beyond it the function
 * would be too large for V8 to optimize (about 60 KB of bytecode), and the
 * general path is as fast per feature.
 */
const MAX_READER_FEATURES = 512;

/** Writes the features of an object that has all of them (own enumerable, no other keys) at out[base..]. */
type FeatureReader = (obj: FeatureObject, out: Float32Array, base: number, opts: EncodeOptions | undefined) => void;

/**
 * The reader of a schema: straight-line code, per feature one property load
 * and the common case inline (a number for a numeric feature, a string in a
 * categorical feature's dictionary); everything else goes to encodeValue,
 * which encodes or throws exactly as the general path does. Names enter the
 * code as JSON string literals only. Null when the runtime refuses to
 * generate code (e.g. node --disallow-code-generation-from-strings) and
 * for schemas of more than MAX_READER_FEATURES.
 */
function featureReader(schema: FeatureSchema, dicts: readonly (Map<string, number> | null)[]): FeatureReader | null {
  if (schema.size > MAX_READER_FEATURES) return null;
  const lines: string[] = [];
  schema.defs.forEach((d, i) => {
    const load = `v = obj[${JSON.stringify(d.name)}];`;
    if (d.type === 'numeric') {
      lines.push(`${load} out[base + ${i}] = typeof v === 'number' ? v : schema.encodeValue(${i}, v, opts);`);
    } else if (d.categories) {
      lines.push(`${load} c = typeof v === 'string' ? dicts[${i}].get(v) : undefined; out[base + ${i}] = c !== undefined ? c : schema.encodeValue(${i}, v, opts);`);
    } else {
      lines.push(`${load} out[base + ${i}] = schema.encodeValue(${i}, v, opts);`);
    }
  });
  try {
    const make = new Function('schema', 'dicts', `'use strict';\nreturn function readFeatures(obj, out, base, opts) {\n  let v, c;\n  ${lines.join('\n  ')}\n};`);
    return make(schema, dicts) as FeatureReader;
  } catch {
    return null;
  }
}

export class FeatureSchema {
  readonly defs: readonly FeatureDef[];
  readonly names: readonly string[];
  private readonly index: Map<string, number>;
  private readonly dicts: (Map<string, number> | null)[];
  private readonly categorical: Uint8Array;
  /**
   * encodeInto's shape cache: the feature index of the key met at each
   * position of the last object. Objects built the same way list their keys
   * in the same order, and keys are internalized strings, so a hit costs one
   * pointer compare instead of a Map lookup (2.8 -> 0.4 us for 25 features).
   */
  private readonly shapeKeys: string[] = [];
  private readonly shapeIndex: Int32Array;
  /**
   * encodeInto's reader for objects that have every feature and nothing
   * else: one property load per feature, each its own load site, so each
   * stays monomorphic for objects of one shape (made once, on first use;
   * null where code cannot be generated). 0.8-0.9 -> 0.3-0.4 us for the
   * telco bundle's 25 features: no Object.values, no per-key dispatch.
   */
  private reader: FeatureReader | null | undefined = undefined;

  constructor(defs: readonly FeatureDef[]) {
    if (!Array.isArray(defs)) throw new NextbestError('ARGUMENT_INVALID', 'a feature schema is an array of { name, type }');
    if (defs.length > MAX_FEATURES) {
      throw ceilingError('features', defs.length, 'features of a schema');
    }
    const index = new Map<string, number>();
    const clean: FeatureDef[] = [];
    this.dicts = [];
    this.categorical = new Uint8Array(defs.length);
    defs.forEach((d, i) => {
      if (d === null || typeof d !== 'object') {
        throw new NextbestError('ARGUMENT_INVALID', `feature #${i}: expected { name, type }, got ${describe(d)}`);
      }
      if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 256) {
        throw new NextbestError('ARGUMENT_INVALID', `feature #${i}: name must be a non-empty string of at most 256 characters`);
      }
      if (index.has(d.name)) throw new NextbestError('ARGUMENT_INVALID', `feature "${d.name}" is declared twice`);
      if (d.type !== 'numeric' && d.type !== 'categorical') {
        throw new NextbestError('ARGUMENT_INVALID', `feature "${d.name}": type must be "numeric" or "categorical", got ${describe(d.type)}`);
      }
      index.set(d.name, i);
      if (d.type === 'categorical') {
        this.categorical[i] = 1;
        if (d.categories !== undefined) {
          if (!Array.isArray(d.categories) || (d.categories as unknown[]).some((c) => typeof c !== 'string')) {
            throw new NextbestError('ARGUMENT_INVALID', `feature "${d.name}": categories must be an array of strings`);
          }
          const m = new Map<string, number>();
          (d.categories as string[]).forEach((c, code) => {
            if (m.has(c)) throw new NextbestError('ARGUMENT_INVALID', `feature "${d.name}": category "${c}" appears twice`);
            m.set(c, code);
          });
          this.dicts.push(m);
          clean.push({ name: d.name, type: d.type, categories: [...d.categories] });
        } else {
          this.dicts.push(null);
          clean.push({ name: d.name, type: d.type });
        }
      } else {
        if (d.categories !== undefined) {
          throw new NextbestError('ARGUMENT_INVALID', `feature "${d.name}": a numeric feature cannot have categories`);
        }
        this.dicts.push(null);
        clean.push({ name: d.name, type: d.type });
      }
    });
    this.defs = clean;
    this.names = clean.map((d) => d.name);
    this.index = index;
    this.shapeIndex = new Int32Array(defs.length);
  }

  /**
   * @internal The input limits of the engine that loaded this schema
   * (stringLength, features): set by the loader, the defaults otherwise.
   */
  limits: Readonly<Limits> = DEFAULT_LIMITS;

  get size(): number {
    return this.defs.length;
  }

  indexOf(name: string): number {
    const i = this.index.get(name);
    return i === undefined ? -1 : i;
  }

  /** Code of a category string, or -1. */
  categoryCode(feature: number, value: string): number {
    const d = this.dicts[feature];
    if (!d) return -1;
    const c = d.get(value);
    return c === undefined ? -1 : c;
  }

  isCategorical(feature: number): boolean {
    return this.categorical[feature] === 1;
  }

  /**
   * Writes a feature object into `out` at `offset` (schema order, NaN for
   * missing keys). Hot path: one shape-cache compare per key (a Map lookup
   * when the object's keys come in another order).
   *
   * An object with every feature and no other key (the common request) is
   * read by the schema's generated reader, one property load per feature
   * (values that are not a plain number or dictionary string go through
   * encodeValue, so the same values encode; on a bad value the general
   * path runs and throws for the first bad key, as it always has).
   * Otherwise the own keys are read with Object.keys and each value by its
   * key (not Object.values, which costs ~3 us on an object in dictionary
   * mode, e.g. one built key by key with 20 computed keys), rather than
   * for-in: V8's fast for-in
   * (keys and field loads from the map's enum cache) depends on feedback that
   * one object met early in the process (one whose map was still changing as
   * objects of its shape were built) turns generic for good, and the generic
   * path costs a lookup per key: 1.2-1.8 us instead of 0.5-0.8 us for the
   * telco bundle's 25 features. Own enumerable string keys, each getter read
   * once: what for-in with an own-key check reads.
   */
  encodeInto(obj: FeatureObject, out: Float32Array, offset: number, opts?: EncodeOptions): void {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new NextbestError('ARGUMENT_INVALID', `features must be a plain object of name -> value, got ${describe(obj)}`);
    }
    const n = this.defs.length;
    const keys = Object.keys(obj);
    if (keys.length === n && n > 0 && this.reader !== null) {
      // Every key a feature and n distinct keys: the object has exactly the schema's features, as own enumerable properties.
      let all = true;
      for (let j = 0; j < n; j++) {
        if (this.indexAt(keys[j]!, j) < 0) {
          all = false;
          break;
        }
      }
      const read = all ? (this.reader === undefined ? (this.reader = featureReader(this, this.dicts)) : this.reader) : null;
      if (read !== null) {
        try {
          read(obj, out, offset, opts);
          return;
        } catch {
          // a bad value: the general path below throws for the first one in key order, as always
        }
      }
    }
    for (let k = 0; k < n; k++) out[offset + k] = NaN;
    const categorical = this.categorical;
    let at = 0; // position among the object's feature keys
    let skipped = 0;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!;
      const i = this.indexAt(key, at);
      if (i < 0) {
        if (opts?.ignoreUnknown) {
          if (++skipped + at > this.limits.features) throw limitError(this.limits, 'features', skipped + at, 'keys of a feature object (ignoreUnknown)');
          continue;
        }
        checkInputString(this.limits, key, 'a feature name');
        throw new NextbestError(
          'FEATURE_UNKNOWN',
          `unknown feature "${key.slice(0, 100)}"; the schema has ${n} features (${this.names.slice(0, 8).join(', ')}${n > 8 ? ', ...' : ''}). Pass { ignoreUnknown: true } to skip extra keys.`,
          { feature: key.slice(0, 100) },
        );
      }
      at++;
      const v = obj[key];
      out[offset + i] = typeof v === 'number' && categorical[i] === 0 ? v : this.encodeValue(i, v, opts);
    }
  }

  /**
   * The index of feature `key`, met at position `at` among an object's
   * feature keys, or -1 when it is not a feature; a hit on the shape cache
   * is one pointer compare.
   */
  indexAt(key: string, at: number): number {
    if (this.shapeKeys[at] === key) return this.shapeIndex[at]!;
    const i = this.index.get(key);
    if (i === undefined) return -1;
    this.shapeKeys[at] = key;
    this.shapeIndex[at] = i;
    return i;
  }

  /** Encodes one value for feature i. */
  encodeValue(i: number, v: unknown, opts?: EncodeOptions): number {
    if (v === null || v === undefined) return NaN;
    const def = this.defs[i]!;
    if (this.categorical[i] === 1) {
      if (typeof v === 'string') {
        const dict = this.dicts[i];
        const code = dict ? dict.get(v) : undefined;
        if (code !== undefined) return code;
        checkInputString(this.limits, v, `a value of feature "${def.name}"`);
        if (opts?.unknownCategory === 'missing') return NaN;
        throw new NextbestError(
          'FEATURE_CATEGORY',
          dict
            ? `feature "${def.name}": "${v.slice(0, 100)}" is not one of its ${dict.size} categories; add it to the schema or pass { unknownCategory: 'missing' }`
            : `feature "${def.name}" has no dictionary: give its integer category code, not the string "${v.slice(0, 100)}"`,
          { feature: def.name },
        );
      }
      if (typeof v === 'number') {
        if (Number.isNaN(v)) return NaN;
        if (Number.isInteger(v) && v >= 0 && v < 2 ** 24) return v;
        throw new NextbestError(
          'FEATURE_TYPE',
          `feature "${def.name}" is categorical: expected a category string or a non-negative integer code, got ${v}`,
          { feature: def.name },
        );
      }
      throw new NextbestError(
        'FEATURE_TYPE',
        `feature "${def.name}" is categorical: expected a string, got ${describe(v)}`,
        { feature: def.name },
      );
    }
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw new NextbestError('FEATURE_TYPE', `feature "${def.name}" is numeric: expected a number, got ${describe(v)}`, {
      feature: def.name,
    });
  }

  /** A fresh Float32Array for one feature object. */
  encode(obj: FeatureObject, opts?: EncodeOptions): Float32Array {
    const out = new Float32Array(this.defs.length);
    this.encodeInto(obj, out, 0, opts);
    return out;
  }

  /**
   * The feature object of a vector in schema order, such that encoding it
   * gives the same vector: numbers, category strings (codes outside the
   * dictionary stay codes), missing values (NaN) left out, and an infinity
   * as +-1e39, which JSON keeps and float32 encoding turns back into it.
   */
  decode(vector: ArrayLike<number>, offset = 0): Record<string, number | string> {
    const out: Record<string, number | string> = {};
    for (let i = 0; i < this.defs.length; i++) {
      const x = vector[offset + i]!;
      if (Number.isNaN(x)) continue;
      const categories = this.defs[i]!.categories;
      if (categories !== undefined && Number.isInteger(x) && x >= 0 && x < categories.length) out[this.names[i]!] = categories[x]!;
      else out[this.names[i]!] = x === Infinity ? 1e39 : x === -Infinity ? -1e39 : x;
    }
    return out;
  }

  toJSON(): FeatureDef[] {
    return this.defs.map((d) => ({ ...d, ...(d.categories ? { categories: [...d.categories] } : {}) }));
  }

  /** Validates a decoded bundle section and builds the schema. */
  static fromBundle(section: unknown): FeatureSchema {
    if (!Array.isArray(section)) throw new NextbestError('BUNDLE_INVALID', 'bundle features: expected an array of feature definitions');
    try {
      return new FeatureSchema(section as FeatureDef[]);
    } catch (e) {
      if (e instanceof NextbestError && e.code === 'ARGUMENT_INVALID') {
        throw new NextbestError('BUNDLE_INVALID', `bundle features: ${e.message}`);
      }
      throw e;
    }
  }
}
