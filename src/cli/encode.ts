/**
 * Feature values of streamed rows -> feature vectors (schema order, NaN for
 * missing), for the CLI's row tasks (`score` rows, the `features` of
 * `decide` requests). Errors name the feature and the flag that changes
 * what happens (--ignore-unknown, --unknown-category missing).
 *
 * - CSV cells: numbers in decimal or exponent notation, true/false, inf;
 *   empty, NA, NaN, null and N/A are missing (io/values.ts). Categorical
 *   cells are category strings compared exactly (empty is missing); a
 *   categorical feature without a dictionary takes its integer code.
 * - JSON values: number | string (category) | boolean | null (missing).
 */
import { NextbestError } from '../errors.js';
import type { EncodeOptions, FeatureSchema } from '../runtime/features.js';
import { parseNumberCell } from '../io/values.js';

const hasOwn = Object.prototype.hasOwnProperty;

export class FeatureRowEncoder {
  readonly schema: FeatureSchema;
  readonly stride: number;
  private readonly encode: EncodeOptions;
  /** How the task says "used": "scored", "decided". */
  private readonly verb: string;
  /** What to suggest for a key that is not a feature. */
  private readonly unknownHint: string;
  /** CSV: (column, feature) pairs read from each record. */
  private csvCols: Int32Array = new Int32Array(0);
  private csvFeatures: Int32Array = new Int32Array(0);

  constructor(schema: FeatureSchema, encode: EncodeOptions, verb: string, unknownHint: string) {
    this.schema = schema;
    this.stride = schema.size;
    this.encode = encode;
    this.verb = verb;
    this.unknownHint = unknownHint;
  }

  /** Binds a CSV header: which columns are features, and a note naming the features the input lacks. */
  bindCsvHeader(names: readonly string[]): { used: boolean[]; notes: string[] } {
    const cols: number[] = [];
    const feats: number[] = [];
    const present = new Set<number>();
    const used = names.map((name, j) => {
      const f = this.schema.indexOf(name);
      if (f < 0) return false;
      cols.push(j);
      feats.push(f);
      present.add(f);
      return true;
    });
    this.csvCols = Int32Array.from(cols);
    this.csvFeatures = Int32Array.from(feats);
    const absent = this.schema.names.filter((_, f) => !present.has(f));
    const notes =
      absent.length === 0
        ? []
        : [`note: ${absent.length} of the bundle's ${this.stride} features are not in the input and are ${this.verb} as missing: ${absent.slice(0, 8).join(', ')}${absent.length > 8 ? ', ...' : ''}`];
    return { used, notes };
  }

  /** One CSV record (bound header) into rows[base ..]. */
  encodeCsv(rows: Float32Array, base: number, fields: readonly string[]): void {
    rows.fill(NaN, base, base + this.stride);
    for (let c = 0; c < this.csvCols.length; c++) {
      const f = this.csvFeatures[c]!;
      const cell = fields[this.csvCols[c]!]!;
      if (!this.schema.isCategorical(f)) {
        const v = parseNumberCell(cell);
        if (v === undefined) {
          throw new NextbestError('FEATURE_TYPE', `feature "${this.schema.names[f]}" is numeric: ${JSON.stringify(cell.slice(0, 40))} is not a number`, {
            feature: this.schema.names[f],
          });
        }
        rows[base + f] = v;
      } else if (cell.length > 0) {
        rows[base + f] = this.category(f, cell, true);
      }
    }
  }

  /** One JSON object of feature name -> value into rows[base ..]; keys in `reserved` are not features. */
  encodeJson(rows: Float32Array, base: number, obj: Record<string, unknown>, reserved: ReadonlySet<string>): void {
    rows.fill(NaN, base, base + this.stride);
    const schema = this.schema;
    let at = 0; // position among the object's feature keys (the schema's shape cache)
    for (const key in obj) {
      if (!hasOwn.call(obj, key)) continue;
      const f = schema.indexAt(key, at);
      if (f < 0) {
        if (reserved.has(key) || this.encode.ignoreUnknown) continue;
        throw new NextbestError('FEATURE_UNKNOWN', `unknown feature "${key.slice(0, 64)}" (not in the bundle's schema); ${this.unknownHint}`, { feature: key.slice(0, 64) });
      }
      at++;
      const v = obj[key];
      if (typeof v === 'number' && !schema.isCategorical(f)) rows[base + f] = v;
      else rows[base + f] = typeof v === 'string' && schema.isCategorical(f) ? this.category(f, v, false) : schema.encodeValue(f, v, this.encode);
    }
  }

  /** A category string as its code; CSV cells of a feature without a dictionary may hold the integer code. */
  private category(f: number, value: string, fromCsv: boolean): number {
    const code = this.schema.categoryCode(f, value);
    if (code >= 0) return code;
    const def = this.schema.defs[f]!;
    if (def.categories === undefined) {
      if (fromCsv && /^\d{1,7}$/.test(value)) return this.schema.encodeValue(f, Number(value));
      return this.schema.encodeValue(f, value, this.encode);
    }
    if (this.encode.unknownCategory === 'missing') return NaN;
    throw new NextbestError(
      'FEATURE_CATEGORY',
      `feature "${def.name}": ${JSON.stringify(value.slice(0, 64))} is not one of its ${def.categories.length} categories (pass --unknown-category missing to treat it as missing)`,
      { feature: def.name },
    );
  }
}
