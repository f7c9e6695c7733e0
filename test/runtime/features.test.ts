/**
 * FeatureSchema.encodeInto with its shape cache and its generated reader
 * (objects with every feature and nothing else): whatever order keys come
 * in, shapes alternating, unknown and inherited keys, the result is the
 * plain one-lookup-per-key encoding.
 */
import { describe, expect, it } from 'vitest';
import { FeatureSchema, NextbestError, type FeatureObject } from '../../src/index.js';
import { mulberry32, randInt } from '../helpers/random.js';
import { pick } from '../helpers/scorecards.js';
import { codeOf } from '../helpers/errors.js';

const schema = new FeatureSchema([
  { name: 'a', type: 'numeric' },
  { name: 'b', type: 'numeric' },
  { name: 'plan', type: 'categorical', categories: ['basic', 'gold'] },
  { name: 'c', type: 'numeric' },
  { name: 'code', type: 'categorical' },
]);

/** The encoding without any cache: each own key looked up by name. */
function plain(obj: Record<string, unknown>): Float32Array {
  const out = new Float32Array(schema.size).fill(NaN);
  for (const key of Object.keys(obj)) {
    const i = schema.indexOf(key);
    if (i >= 0) out[i] = schema.encodeValue(i, obj[key]);
  }
  return out;
}

describe('FeatureSchema.encodeInto', () => {
  it('equals a lookup per key for random key orders, subsets and values, shapes repeating and alternating', () => {
    const rand = mulberry32(5);
    const names = ['a', 'b', 'plan', 'c', 'code'];
    const shapes = Array.from({ length: 6 }, () => names.filter(() => rand() < 0.7).sort(() => rand() - 0.5));
    const out = new Float32Array(schema.size + 3);
    for (let k = 0; k < 3000; k++) {
      const shape = shapes[rand() < 0.8 ? k % 2 : randInt(rand, 0, shapes.length - 1)]!;
      const obj: Record<string, unknown> = {};
      for (const n of shape) {
        const u = rand();
        obj[n] = n === 'plan' ? (u < 0.1 ? null : u < 0.5 ? 'basic' : 'gold') : n === 'code' ? randInt(rand, 0, 9) : u < 0.1 ? null : u < 0.2 ? true : (rand() - 0.5) * 100;
      }
      schema.encodeInto(obj as FeatureObject, out, 3, { ignoreUnknown: false });
      expect([...out.subarray(3)], JSON.stringify(obj)).toEqual([...plain(obj)]);
    }
  });

  it('skips inherited keys and refuses unknown ones at any position, also after a cached shape', () => {
    const out = new Float32Array(schema.size);
    schema.encodeInto({ a: 1, b: 2, c: 3 }, out, 0);
    schema.encodeInto({ a: 1, b: 2, c: 3 }, out, 0);
    const inherited = Object.create({ c: 99 }) as FeatureObject;
    inherited.a = 1;
    inherited.b = 2;
    schema.encodeInto(inherited, out, 0);
    expect([...out]).toEqual([1, 2, NaN, NaN, NaN]);
    expect(() => schema.encodeInto({ a: 1, bb: 2, c: 3 } as FeatureObject, out, 0)).toThrow(NextbestError);
    let err: unknown;
    try {
      schema.encodeInto({ a: 1, b: 2, cc: 3 } as FeatureObject, out, 0);
    } catch (e) {
      err = e;
    }
    expect((err as NextbestError).code).toBe('FEATURE_UNKNOWN');
    expect((err as NextbestError).details).toEqual({ feature: 'cc' });
    schema.encodeInto({ a: 1, zz: 5, b: 2 } as FeatureObject, out, 0, { ignoreUnknown: true });
    expect([...out]).toEqual([1, 2, NaN, NaN, NaN]);
    expect(() => schema.encodeInto({ plan: 'platinum' }, out, 0)).toThrow(/not one of its 2 categories/);
  });

  it('reads own enumerable string keys once each: getters, non-enumerable and symbol keys, objects with deleted keys, class instances', () => {
    const out = new Float32Array(schema.size);
    let reads = 0;
    const withGetter = { a: 1, get b() {
      reads++;
      return 7;
    } } as unknown as FeatureObject;
    schema.encodeInto(withGetter, out, 0);
    expect(reads).toBe(1);
    expect([...out]).toEqual([1, 7, NaN, NaN, NaN]);
    const hidden = { a: 2 } as Record<string | symbol, unknown>;
    Object.defineProperty(hidden, 'b', { value: 5, enumerable: false });
    hidden[Symbol('c')] = 3;
    schema.encodeInto(hidden as FeatureObject, out, 0);
    expect([...out]).toEqual([2, NaN, NaN, NaN, NaN]);
    const deleted: Record<string, unknown> = { a: 1, zz: 0, b: 2, plan: 'gold', c: 3 };
    delete deleted.zz; // dictionary-mode object in V8
    schema.encodeInto(deleted as FeatureObject, out, 0);
    expect([...out]).toEqual([...plain(deleted)]);
    class Row {
      c = 4;
      plan = 'basic';
    }
    schema.encodeInto(new Row() as unknown as FeatureObject, out, 0);
    expect([...out]).toEqual([NaN, NaN, 0, 4, NaN]);
  });

  it('reads objects with every feature as the plain encoding does, values of every kind, keys in any order', () => {
    const rand = mulberry32(11);
    const names = ['a', 'b', 'plan', 'c', 'code'];
    const values = [0, -0, 1.5, -1e39, NaN, Infinity, null, undefined, true, false, 'basic', 'gold', 'platinum', 3, 2.5, -1, 2 ** 24, {}, [1]];
    const out = new Float32Array(schema.size);
    let fast = 0;
    for (let k = 0; k < 3000; k++) {
      const order = rand() < 0.7 ? names : [...names].sort(() => rand() - 0.5);
      const obj: Record<string, unknown> = {};
      for (const n of order) obj[n] = rand() < 0.8 ? (n === 'plan' ? pick(rand, ['basic', 'gold', null]) : n === 'code' ? randInt(rand, 0, 9) : (rand() - 0.5) * 100) : pick(rand, values);
      const want = codeOf(() => plain(obj));
      const got = codeOf(() => schema.encodeInto(obj as FeatureObject, out, 0));
      expect(got, JSON.stringify(obj)).toBe(want);
      if (got === 'ok') {
        expect([...out], JSON.stringify(obj)).toEqual([...plain(obj)]);
        fast++;
      }
    }
    expect(fast).toBeGreaterThan(1000);
  });

  it('reads a complete object exactly: own values over inherited ones, getters once, an extra key or a hidden feature still refused or left out', () => {
    const out = new Float32Array(schema.size);
    const full = { a: 1, b: 2, plan: 'gold', c: 3, code: 4 };
    schema.encodeInto(full, out, 0);
    expect([...out]).toEqual([1, 2, 1, 3, 4]);
    const shadowing = Object.assign(Object.create({ a: 100, c: 300 }) as FeatureObject, full);
    schema.encodeInto(shadowing, out, 0);
    expect([...out]).toEqual([1, 2, 1, 3, 4]);
    let reads = 0;
    const getter = { ...full, get c() {
      reads++;
      return 9;
    } } as unknown as FeatureObject;
    schema.encodeInto(getter, out, 0);
    expect(reads).toBe(1);
    expect([...out]).toEqual([1, 2, 1, 9, 4]);
    // as many keys as features, one unknown: the feature it replaces is non-enumerable
    const hidden = { a: 1, b: 2, plan: 'gold', zz: 3, code: 4 } as Record<string, unknown>;
    Object.defineProperty(hidden, 'c', { value: 5, enumerable: false });
    expect(() => schema.encodeInto(hidden as FeatureObject, out, 0)).toThrow(/unknown feature "zz"/);
    schema.encodeInto(hidden as FeatureObject, out, 0, { ignoreUnknown: true });
    expect([...out]).toEqual([1, 2, 1, NaN, 4]);
    class Row {
      a = 1;
      b = 2;
      plan = 'basic';
      c = 3;
      code = 0;
    }
    schema.encodeInto(new Row() as unknown as FeatureObject, out, 0);
    expect([...out]).toEqual([1, 2, 0, 3, 0]);
    expect(() => schema.encodeInto({ ...full, plan: 'platinum' }, out, 0)).toThrow(/not one of its 2 categories/);
    schema.encodeInto({ ...full, plan: 'platinum' }, out, 0, { unknownCategory: 'missing' });
    expect([...out]).toEqual([1, 2, NaN, 3, 4]);
    expect(() => schema.encodeInto({ ...full, b: '2' } as unknown as FeatureObject, out, 0)).toThrow(/feature "b" is numeric/);
  });

  it('reads complete objects of a schema too large for a generated reader through the general path', () => {
    const wide = new FeatureSchema(Array.from({ length: 600 }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const })));
    const obj = Object.fromEntries(wide.names.map((n, i) => [n, i * 0.5]));
    expect([...wide.encode(obj)]).toEqual(wide.names.map((_, i) => i * 0.5));
    expect(() => wide.encode({ ...obj, f7: 'x' } as unknown as FeatureObject)).toThrow(/feature "f7" is numeric/);
  });

  it('encodes the same without generated code (a runtime that refuses new Function)', () => {
    const fresh = new FeatureSchema(schema.defs);
    const original = globalThis.Function;
    globalThis.Function = function refuse() {
      throw new EvalError('code generation from strings disallowed');
    } as unknown as FunctionConstructor;
    const out = new Float32Array(schema.size);
    try {
      fresh.encodeInto({ a: 1, b: 2, plan: 'gold', c: 3, code: 4 }, out, 0);
    } finally {
      globalThis.Function = original;
    }
    expect([...out]).toEqual([1, 2, 1, 3, 4]);
    fresh.encodeInto({ a: 5, b: 6, plan: 'basic', c: 7, code: 8 }, out, 0);
    expect([...out]).toEqual([5, 6, 0, 7, 8]);
  });
});
