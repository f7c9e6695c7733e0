/**
 * Typed arrays travel through msgpack as little-endian `bin` blobs. These
 * helpers convert in both directions; the readers always copy into a fresh,
 * aligned array (msgpackr may hand out views into a buffer it reuses) and
 * check that the byte length is a whole number of elements.
 */
import { NextbestError } from '../errors.js';

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Int16Array | Uint8Array;

/** Bytes of a typed array, copied (so the result owns its buffer). */
export function toBin(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function bytesOf(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new NextbestError('BUNDLE_INVALID', `${what}: expected binary data, got ${describe(v)}`, { field: what });
}

function reader<T extends Typed>(ctor: { new (buf: ArrayBuffer): T; BYTES_PER_ELEMENT: number }) {
  return (v: unknown, what: string): T => {
    const b = bytesOf(v, what);
    if (b.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
      throw new NextbestError(
        'BUNDLE_INVALID',
        `${what}: ${b.byteLength} bytes is not a whole number of ${ctor.BYTES_PER_ELEMENT}-byte elements`,
        { field: what },
      );
    }
    const copy = new ArrayBuffer(b.byteLength);
    new Uint8Array(copy).set(b);
    return new ctor(copy);
  };
}

export const readF32 = reader(Float32Array);
export const readF64 = reader(Float64Array);
export const readI32 = reader(Int32Array);
export const readU32 = reader(Uint32Array);
export const readU16 = reader(Uint16Array);
export const readU8 = reader(Uint8Array);

/** A short description of any value for messages; never runs the value's own code (no toString, no getters). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return `${v.byteLength} bytes of binary`;
  switch (typeof v) {
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return `bigint ${(v as bigint).toString().slice(0, 40)}`;
    case 'undefined':
      return 'undefined';
    case 'number':
      return `number ${String(v)}`;
    default:
      return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
  }
}
