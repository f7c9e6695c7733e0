/**
 * FeatureSchema.encodeInto with its shape cache: whatever order keys come
 * in, shapes alternating, unknown and inherited keys, the result is the
 * plain one-lookup-per-key encoding.
 */
import { describe, expect, it } from 'vitest';
import { FeatureSchema, NextbestError, type FeatureObject } from '../../src/index.js';
import { mulberry32, randInt } from '../helpers/random.js';

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
});
