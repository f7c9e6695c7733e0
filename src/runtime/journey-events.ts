/**
 * Event encoding for journeys: one precompiled encoder per event type writes
 * an event's attributes into the frame (f64 slots 1.., slot 0 is the time).
 *
 * An encoder is generated code, made once per type at load: it reads each
 * attribute by its literal name (so V8 caches the property lookup for the
 * shape of the caller's events), takes the common case inline (a number for
 * a numeric attribute, a known category string, an integer code in range)
 * and hands everything else to one general routine that has the exact rules
 * and the error messages (missing, null, booleans, NaN, unknown categories).
 * Nothing is allocated per event.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import type { EventTypeDef } from '../compile/journey/model.js';
import type { EncodeOptions } from './features.js';

/** Writes an event's attributes at `f64[base + 1 + i]`; throws NextbestError (after `onInvalid`) for a bad attribute. */
export type AttributeEncoder = (event: Record<string, unknown>, f64: Float64Array, base: number) => void;

export interface EventTypeEncoder {
  index: number;
  def: EventTypeDef;
  encode: AttributeEncoder;
}

/**
 * The encoder of one event type. `onInvalid` runs before an attribute error
 * is thrown (the runtime counts invalid events); `checkString` refuses an
 * unknown string over the engine's input limits.
 */
export function eventTypeEncoder(
  index: number,
  def: EventTypeDef,
  opts: EncodeOptions | undefined,
  onInvalid: () => void,
  checkString: (s: string, what: string) => void,
): EventTypeEncoder {
  const attrs = def.attributes;
  const dicts = attrs.map((a) => (a.categories ? new Map(a.categories.map((c, i) => [c, i])) : null));
  const sizes = attrs.map((a) => (a.categories ? a.categories.length : 1 << 24));
  const missingUnknown = opts?.unknownCategory === 'missing';
  const fail = (attribute: string, msg: string): never => {
    onInvalid();
    throw new NextbestError('EVENT_ATTRIBUTE', `event "${def.name}": ${msg}`, { type: def.name, attribute });
  };
  /** The exact rules for attribute i (every value the inline fast path does not take). */
  const general = (i: number, v: unknown): number => {
    const a = attrs[i]!;
    const required = a.required === true;
    let x: number;
    if (v === undefined || v === null) {
      if (required) fail(a.name, `required attribute "${a.name}" is missing`);
      return NaN;
    }
    if (a.type === 'categorical') {
      const dict = dicts[i];
      if (typeof v === 'string') {
        const code = dict?.get(v);
        if (code !== undefined) return code;
        try {
          checkString(v, `attribute "${a.name}" of event "${def.name}"`); // LIMIT_EXCEEDED for an input string over the limit
        } catch (e) {
          onInvalid();
          throw e;
        }
        if (dict && missingUnknown) x = NaN;
        else
          x = fail(
          a.name,
          dict
            ? `"${v.slice(0, 100)}" is not a category of attribute "${a.name}" (${a.categories!.slice(0, 10).join(', ')}${dict.size > 10 ? ', ...' : ''})`
            : `attribute "${a.name}" has no dictionary: give its integer code, not "${v.slice(0, 100)}"`,
          );
      } else if (typeof v === 'number') {
        if (v !== v) x = NaN;
        else if (Number.isInteger(v) && v >= 0 && v < sizes[i]!) return v;
        else x = fail(a.name, `attribute "${a.name}" is categorical: expected a category string or an integer code, got ${describe(v)}`);
      } else x = fail(a.name, `attribute "${a.name}" is categorical: expected a category string or an integer code, got ${describe(v)}`);
    } else if (typeof v === 'number') x = v;
    else if (typeof v === 'boolean') x = v ? 1 : 0;
    else x = fail(a.name, `attribute "${a.name}" is numeric, got ${describe(v)}`);
    if (x !== x && required) fail(a.name, `required attribute "${a.name}" is missing (NaN)`);
    return x;
  };
  const body: string[] = ['let v, x;'];
  attrs.forEach((a, i) => {
    const key = JSON.stringify(a.name);
    const at = `f[b + ${1 + i}]`;
    // a name that Object.prototype also has (constructor, toString, __proto__) is read as an own property only
    body.push(a.name in Object.prototype ? `v = h.call(e, ${key}) ? e[${key}] : undefined;` : `v = e[${key}];`);
    if (a.type === 'categorical' && dicts[i]) {
      body.push(`if (typeof v === 'string' && (x = d[${i}].get(v)) !== undefined) ${at} = x; else ${at} = g(${i}, v);`);
    } else if (a.type === 'categorical') {
      body.push(`if (typeof v === 'number' && v >= 0 && v < ${sizes[i]} && Math.floor(v) === v) ${at} = v; else ${at} = g(${i}, v);`);
    } else if (a.required === true) {
      body.push(`if (typeof v === 'number' && v === v) ${at} = v; else ${at} = g(${i}, v);`);
    } else {
      body.push(`if (typeof v === 'number') ${at} = v; else ${at} = g(${i}, v);`);
    }
  });
  const own = Object.prototype.hasOwnProperty;
  let encode: AttributeEncoder;
  try {
    // Generated from attribute names only through JSON.stringify (string literals) and indices.
    const make = new Function('d', 'g', 'h', `return function encode(e, f, b) {\n${body.join('\n')}\n};`) as (
      d: (Map<string, number> | null)[],
      g: (i: number, v: unknown) => number,
      h: typeof Object.prototype.hasOwnProperty,
    ) => AttributeEncoder;
    encode = make(dicts, general, own);
  } catch {
    // the runtime refuses to generate code (node --disallow-code-generation-from-strings):
    // the same reads, each value through general (the generated fast paths are its shortcuts)
    const names = attrs.map((a) => a.name);
    const ownOnly = names.map((n) => n in Object.prototype);
    encode = (e, f, b) => {
      for (let i = 0; i < names.length; i++) {
        const n = names[i]!;
        f[b + 1 + i] = general(i, ownOnly[i] && !own.call(e, n) ? undefined : e[n]);
      }
    };
  }
  return { index, def, encode };
}
