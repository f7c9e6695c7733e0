/**
 * Mutation operators of the fuzzer (test/fuzz/targets.ts): bytes (bit flips,
 * interesting bytes, insert, delete, duplicate, truncate, edge integers),
 * text (characters, tokens, splices) and decoded trees (msgpack payloads,
 * XGBoost documents, specs): numeric edge values, huge counts, type changes,
 * deleted keys, swapped fields, subtrees moved, typed-array bytes. All of
 * them are pure functions of a seeded `rand`, so a case is reproduced from
 * its seed alone.
 */

export type Rand = () => number;

export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
export const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

/** Numbers that break code: non-finite, signed zero, integer and float boundaries, huge counts. */
export const EDGE_NUMBERS: readonly number[] = [
  NaN, Infinity, -Infinity, -0, 0, 1, -1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 0.5, -0.5, 1.5,
  65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 53 + 2,
  1e308, -1e308, 1.7976931348623157e308, 5e-324, 1e-45, 3.4028234663852886e38, 3.4028235677973366e38, 1e9, 1e12, 1e15,
];

/** Huge counts (lengths, sizes, ids) that a validator must refuse before allocating. */
export const HUGE_COUNTS: readonly number[] = [2 ** 20, 2 ** 24, 2 ** 28, 2 ** 30, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER];

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x80, 0xa0];

// ---- bytes

/** One to `max` byte mutations of a copy of `src`. */
export function mutateBytes(rand: Rand, src: Uint8Array, max = 4): Uint8Array {
  let b: Uint8Array = src.slice();
  const n = int(rand, 1, max);
  for (let k = 0; k < n; k++) b = mutateBytesOnce(rand, b);
  return b;
}

function mutateBytesOnce(rand: Rand, b: Uint8Array): Uint8Array {
  const len = b.length;
  const at = () => (len === 0 ? 0 : int(rand, 0, len - 1));
  switch (int(rand, 0, 8)) {
    case 0: {
      // bit flip
      if (len === 0) return b;
      const i = at();
      b[i] = b[i]! ^ (1 << int(rand, 0, 7));
      return b;
    }
    case 1: {
      if (len === 0) return b;
      b[at()] = pick(rand, INTERESTING_BYTES);
      return b;
    }
    case 2: {
      // insert 1..8 random bytes
      const i = int(rand, 0, len);
      const ins = Uint8Array.from({ length: int(rand, 1, 8) }, () => (rand() < 0.5 ? pick(rand, INTERESTING_BYTES) : int(rand, 0, 255)));
      return concat(b.subarray(0, i), ins, b.subarray(i));
    }
    case 3: {
      // delete a range
      if (len === 0) return b;
      const i = at();
      const n = Math.min(len - i, rand() < 0.7 ? int(rand, 1, 4) : int(rand, 1, 256));
      return concat(b.subarray(0, i), b.subarray(i + n));
    }
    case 4: {
      // truncate
      return b.slice(0, int(rand, 0, len));
    }
    case 5: {
      // duplicate a range
      if (len === 0) return b;
      const i = at();
      const n = Math.min(len - i, int(rand, 1, 64));
      return concat(b.subarray(0, i + n), b.subarray(i, i + n), b.subarray(i + n));
    }
    case 6: {
      // overwrite 4 bytes with an edge integer or float
      if (len < 4) return b;
      const i = int(rand, 0, len - 4);
      const v = new DataView(b.buffer, b.byteOffset + i, 4);
      const x = pick(rand, EDGE_NUMBERS);
      if (rand() < 0.5) v.setFloat32(0, x, rand() < 0.5);
      else v.setUint32(0, Number.isFinite(x) ? x >>> 0 : 0xffffffff, rand() < 0.5);
      return b;
    }
    case 7: {
      // random byte
      if (len === 0) return b;
      b[at()] = int(rand, 0, 255);
      return b;
    }
    default: {
      // swap two ranges' bytes
      if (len < 2) return b;
      const i = at();
      const j = at();
      const n = Math.min(int(rand, 1, 16), len - Math.max(i, j));
      const tmp = b.slice(i, i + n);
      b.copyWithin(i, j, j + n);
      b.set(tmp, j);
      return b;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---- text

const TOKENS = [
  '(', ')', '[', ']', '{', '}', ',', ':', '"', "'", '.', '+', '-', '*', '/', '%', '?', '!', '<', '>', '=', '==', '!=', '<=', '>=',
  ' and ', ' or ', ' not ', ' in ', 'true', 'false', 'missing', 'NaN', 'Infinity', '-Infinity', '1e308', '1e-400', '-0', '0x10',
  '999999999999999999999', '\n', '\r\n', '\t', ' ', '\\', '\u0000', '\uFFFF', '\uD800', '#', '&', '|', '||', '&&', '- ', ': ', '---', '*a', '&a ', '!!binary ',
  '__proto__', 'constructor', 'prototype', 'toString', 'e', '1d', '24h', '5m',
];

/** One to `max` text mutations of `src`: characters, tokens, splices of itself, deletions, repetition. */
export function mutateText(rand: Rand, src: string, max = 3, extraTokens: readonly string[] = []): string {
  let s = src;
  const n = int(rand, 1, max);
  for (let k = 0; k < n; k++) {
    const len = s.length;
    const i = int(rand, 0, len);
    switch (int(rand, 0, 6)) {
      case 0:
        s = s.slice(0, i) + String.fromCharCode(int(rand, 0, 127)) + s.slice(i);
        break;
      case 1:
        s = s.slice(0, i) + pick(rand, extraTokens.length && rand() < 0.5 ? extraTokens : TOKENS) + s.slice(i);
        break;
      case 2:
        s = s.slice(0, i) + s.slice(Math.min(len, i + int(rand, 1, 8)));
        break;
      case 3: {
        const j = int(rand, 0, len);
        const m = int(rand, 1, 40);
        s = s.slice(0, i) + s.slice(j, j + m) + s.slice(i);
        break;
      }
      case 4:
        s = s.slice(0, i);
        break;
      case 5: {
        // replace a number with an edge number
        s = s.replace(/-?\d+(\.\d+)?(e-?\d+)?/, () => edgeNumberText(rand));
        break;
      }
      default: {
        // repeat a slice (nesting, long tokens)
        const m = int(rand, 1, 6);
        const piece = s.slice(i, i + m);
        s = s.slice(0, i) + piece.repeat(int(rand, 2, 64)) + s.slice(i);
      }
    }
  }
  return s;
}

function edgeNumberText(rand: Rand): string {
  const x = pick(rand, EDGE_NUMBERS);
  if (Number.isNaN(x)) return pick(rand, ['NaN', '.nan', 'nan']);
  if (x === Infinity) return pick(rand, ['Infinity', '.inf', '1e999']);
  if (x === -Infinity) return pick(rand, ['-Infinity', '-.inf', '-1e999']);
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

// ---- trees (decoded msgpack / JSON)

type Node = unknown;
interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** Every (parent, key) of a tree, in depth-first order; bounded to `limit` slots. */
export function slots(root: Node, limit = 20000): Slot[] {
  const out: Slot[] = [];
  const walk = (v: Node) => {
    if (out.length >= limit) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && out.length < limit; i++) {
        out.push({ parent: v, key: i });
        walk(v[i]);
      }
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      for (const k of Object.keys(v)) {
        if (out.length >= limit) break;
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(root);
  return out;
}

/** A deep copy of a decoded tree (objects, arrays, bytes, scalars). */
export function cloneTree<T>(v: T): T {
  if (v instanceof Uint8Array) return v.slice() as T;
  if (Array.isArray(v)) return v.map(cloneTree) as T;
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) defineKey(o, k, cloneTree((v as Record<string, unknown>)[k]));
    return o as T;
  }
  return v;
}

/** Sets an own property, even `__proto__` (a plain assignment would change the prototype instead). */
export function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const get = (s: Slot): Node => (s.parent as Record<string | number, unknown>)[s.key];
const set = (s: Slot, v: Node) => {
  if (Array.isArray(s.parent)) s.parent[s.key as number] = v;
  else defineKey(s.parent, s.key as string, v);
};

/**
 * One to `max` structural mutations of a copy of `root`: numbers to edge
 * values or huge counts, values to other types, keys deleted or added,
 * sibling values swapped, subtrees copied elsewhere, arrays shortened,
 * lengthened or emptied, binary fields mutated as bytes or as typed arrays.
 */
export function mutateTree<T>(rand: Rand, root: T, max = 3): T {
  const r = cloneTree(root);
  const n = int(rand, 1, max);
  for (let k = 0; k < n; k++) {
    const all = slots(r);
    if (all.length === 0) break;
    mutateSlot(rand, pick(rand, all), all);
  }
  return r;
}

function mutateSlot(rand: Rand, s: Slot, all: Slot[]): void {
  const v = get(s);
  const roll = rand();
  if (typeof v === 'number' && roll < 0.6) {
    const r = rand();
    set(s, r < 0.5 ? pick(rand, EDGE_NUMBERS) : r < 0.7 ? pick(rand, HUGE_COUNTS) : r < 0.85 ? v + pick(rand, [-1, 1, -2, 2]) : -v);
    return;
  }
  if (v instanceof Uint8Array && roll < 0.6) {
    set(s, rand() < 0.6 ? mutateTypedBytes(rand, v) : mutateBytes(rand, v, 2));
    return;
  }
  if (Array.isArray(v) && roll < 0.4) {
    const r = rand();
    if (r < 0.25 || v.length === 0) v.length = 0;
    else if (r < 0.5) v.splice(int(rand, 0, v.length - 1), 1);
    else if (r < 0.75) v.push(cloneTree(pick(rand, v)));
    else v.reverse();
    return;
  }
  if (typeof v === 'string' && roll < 0.4) {
    set(s, rand() < 0.5 ? mutateText(rand, v, 1) : pick(rand, ['', '__proto__', 'constructor', 'x'.repeat(int(rand, 100, 5000)), v + v]));
    return;
  }
  const r = rand();
  if (r < 0.2) {
    // another type
    set(s, pick(rand, [null, true, false, '', 'x', [], {}, new Uint8Array(0), new Uint8Array(3), 0, -1, NaN, [1, 2, 3], { a: 1 }]));
  } else if (r < 0.35) {
    // delete the key (or the array element)
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete s.parent[s.key as string];
  } else if (r < 0.55) {
    // swap with a sibling
    const keys = Array.isArray(s.parent) ? s.parent.map((_, i) => i) : Object.keys(s.parent);
    const other = pick(rand, keys as (string | number)[]);
    const o = { parent: s.parent, key: other };
    const tmp = get(o);
    set(o, v);
    set(s, tmp);
  } else if (r < 0.75) {
    // copy a subtree from elsewhere
    set(s, cloneTree(get(pick(rand, all))));
  } else if (r < 0.85 && !Array.isArray(s.parent)) {
    // add a key
    defineKey(s.parent, pick(rand, ['__proto__', 'constructor', 'extra', 'x', 'version', 'id']), cloneTree(get(pick(rand, all))));
  } else if (typeof v === 'number') {
    set(s, pick(rand, HUGE_COUNTS));
  } else {
    set(s, pick(rand, EDGE_NUMBERS));
  }
}

/** Bytes of a typed array with one to three elements (i32 or f32 view, else u8/u16) set to edge values, or resized. */
function mutateTypedBytes(rand: Rand, src: Uint8Array): Uint8Array {
  const r = rand();
  if (r < 0.15) return src.slice(0, Math.max(0, src.length - int(rand, 1, 5)));
  if (r < 0.25) return concat(src, new Uint8Array(int(rand, 1, 7)).fill(rand() < 0.5 ? 0 : 0xff));
  const b = src.slice();
  const width = pick(rand, [4, 4, 4, 2, 1, 8]);
  const n = Math.floor(b.length / width);
  if (n === 0) return b;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let k = int(rand, 1, 3); k > 0; k--) {
    const at = int(rand, 0, n - 1) * width;
    const x = pick(rand, EDGE_NUMBERS);
    if (width === 4) {
      if (rand() < 0.5) dv.setFloat32(at, x, true);
      else dv.setInt32(at, Number.isFinite(x) ? x | 0 : -1, true);
    } else if (width === 8) dv.setFloat64(at, x, true);
    else if (width === 2) dv.setUint16(at, Number.isFinite(x) ? x & 0xffff : 0xffff, true);
    else dv.setUint8(at, Number.isFinite(x) ? x & 0xff : 0xff);
  }
  return b;
}
