/**
 * A small Universal Binary JSON (UBJSON, draft 12) reader, enough for the
 * files XGBoost writes with `save_model("*.ubj")` and for any other valid
 * UBJSON document: all scalar markers (Z N T F i U I l L d D H C S), generic
 * and optimized containers (`$` type, `#` count). Numbers are big-endian.
 *
 * Optimized arrays of a numeric type come back as typed arrays (Float32Array
 * for `d`, Int32Array for `l`, ...), so a model's node arrays never become
 * millions of boxed numbers. Every length is checked against the bytes left
 * and nesting is bounded, so hostile input fails with MODEL_PARSE rather
 * than a crash, a hang or an out-of-memory.
 */
import { NextbestError } from '../errors.js';

export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | { [key: string]: UbjValue };

const MAX_DEPTH = 128;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class UbjReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(msg: string): never {
    throw new NextbestError('MODEL_PARSE', `UBJSON: ${msg} at byte ${this.pos}`, { offset: this.pos });
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.byteLength) this.fail(`unexpected end of data (needs ${n} more bytes)`);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  /** Next marker, skipping N (no-op) markers. */
  private marker(): number {
    let m = this.u8();
    while (m === 0x4e /* N */) m = this.u8();
    return m;
  }

  private int(marker: number): number {
    const v = this.view;
    switch (marker) {
      case 0x69 /* i */: this.need(1); return v.getInt8(this.pos++);
      case 0x55 /* U */: this.need(1); return v.getUint8(this.pos++);
      case 0x49 /* I */: { this.need(2); const x = v.getInt16(this.pos); this.pos += 2; return x; }
      case 0x6c /* l */: { this.need(4); const x = v.getInt32(this.pos); this.pos += 4; return x; }
      case 0x4c /* L */: {
        this.need(8);
        const x = v.getBigInt64(this.pos);
        this.pos += 8;
        if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`int64 ${x} does not fit a double`);
        return Number(x);
      }
      default:
        return this.fail(`expected an integer marker, got ${describeMarker(marker)}`);
    }
  }

  private length(): number {
    const n = this.int(this.marker());
    if (n < 0) this.fail(`negative length ${n}`);
    return n;
  }

  private string(): string {
    const n = this.length();
    this.need(n);
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return utf8.decode(s);
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  private scalar(marker: number, depth: number): UbjValue {
    const v = this.view;
    switch (marker) {
      case 0x5a /* Z */: return null;
      case 0x54 /* T */: return true;
      case 0x46 /* F */: return false;
      case 0x69: case 0x55: case 0x49: case 0x6c: case 0x4c:
        return this.int(marker);
      case 0x64 /* d */: { this.need(4); const x = v.getFloat32(this.pos); this.pos += 4; return x; }
      case 0x44 /* D */: { this.need(8); const x = v.getFloat64(this.pos); this.pos += 8; return x; }
      case 0x48 /* H */: {
        const s = this.string();
        const x = Number(s);
        if (s.trim() === '' || Number.isNaN(x)) this.fail(`high-precision number "${s.slice(0, 40)}" is not a number`);
        return x;
      }
      case 0x43 /* C */: return String.fromCharCode(this.u8());
      case 0x53 /* S */: return this.string();
      case 0x5b /* [ */: return this.array(depth + 1);
      case 0x7b /* { */: return this.object(depth + 1);
      default:
        return this.fail(`unknown marker ${describeMarker(marker)}`);
    }
  }

  value(depth = 0): UbjValue {
    return this.scalar(this.marker(), depth);
  }

  /** `$type` and `#count` of an optimized container, if present. */
  private header(): { type: number; count: number } {
    let type = -1;
    let count = -1;
    let m = this.bytes[this.pos];
    if (m === 0x24 /* $ */) {
      this.pos++;
      type = this.u8();
      m = this.bytes[this.pos];
      if (m !== 0x23) this.fail('an optimized container with a type must give a count (#)');
    }
    if (m === 0x23 /* # */) {
      this.pos++;
      count = this.length();
    }
    return { type, count };
  }

  private array(depth: number): UbjValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const { type, count } = this.header();
    if (type >= 0) {
      const typed = this.typedArray(type, count);
      if (typed) return typed;
      // Optimized array of a non-numeric type: each element is the payload without its marker.
      if (count > this.bytes.byteLength - this.pos && !(type === 0x5a || type === 0x54 || type === 0x46)) {
        this.fail(`array count ${count} exceeds the remaining data`);
      }
      if (count > 1 << 26) this.fail(`array count ${count} is too large`);
      const out: UbjValue[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = this.scalar(type, depth);
      return out;
    }
    const out: UbjValue[] = [];
    if (count >= 0) {
      // Every element takes at least one byte.
      if (count > this.bytes.byteLength - this.pos) this.fail(`array count ${count} exceeds the remaining data`);
      for (let i = 0; i < count; i++) out.push(this.value(depth));
      return out;
    }
    for (;;) {
      const m = this.marker();
      if (m === 0x5d /* ] */) return out;
      out.push(this.scalar(m, depth));
    }
  }

  private typedArray(type: number, count: number): UbjValue | null {
    const size = ({ 0x69: 1, 0x55: 1, 0x49: 2, 0x6c: 4, 0x64: 4, 0x44: 8, 0x4c: 8 } as Record<number, number>)[type];
    if (size === undefined) return null;
    this.need(count * size);
    const v = this.view;
    const p = this.pos;
    this.pos += count * size;
    switch (type) {
      case 0x55: return this.bytes.slice(p, p + count);
      case 0x69: return new Int8Array(this.bytes.slice(p, p + count).buffer);
      case 0x49: { const a = new Int16Array(count); for (let i = 0; i < count; i++) a[i] = v.getInt16(p + 2 * i); return a; }
      case 0x6c: { const a = new Int32Array(count); for (let i = 0; i < count; i++) a[i] = v.getInt32(p + 4 * i); return a; }
      case 0x64: { const a = new Float32Array(count); for (let i = 0; i < count; i++) a[i] = v.getFloat32(p + 4 * i); return a; }
      case 0x44: { const a = new Float64Array(count); for (let i = 0; i < count; i++) a[i] = v.getFloat64(p + 8 * i); return a; }
      default: {
        // int64: as doubles, refusing values a double cannot hold exactly.
        const a = new Float64Array(count);
        for (let i = 0; i < count; i++) {
          const x = v.getBigInt64(p + 8 * i);
          if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`int64 ${x} does not fit a double`);
          a[i] = Number(x);
        }
        return a;
      }
    }
  }

  private object(depth: number): UbjValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const { type, count } = this.header();
    const out: { [key: string]: UbjValue } = Object.create(null);
    const readValue = () => (type >= 0 ? this.scalar(type, depth) : this.value(depth));
    if (count >= 0) {
      if (count > this.bytes.byteLength - this.pos) this.fail(`object count ${count} exceeds the remaining data`);
      for (let i = 0; i < count; i++) {
        const k = this.string();
        out[k] = readValue();
      }
      return out;
    }
    for (;;) {
      // Keys are strings without their S marker; `}` ends the object.
      if (this.bytes[this.pos] === 0x7d /* } */) {
        this.pos++;
        return out;
      }
      const k = this.string();
      out[k] = readValue();
    }
  }

  get offset(): number {
    return this.pos;
  }
}

function describeMarker(m: number): string {
  return m >= 0x20 && m < 0x7f ? `'${String.fromCharCode(m)}'` : `0x${m.toString(16).padStart(2, '0')}`;
}

/** Decodes one UBJSON document; trailing bytes are an error. */
export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const r = new UbjReader(bytes);
  const v = r.value();
  if (r.offset !== bytes.byteLength) r.fail(`${bytes.byteLength - r.offset} unexpected bytes after the document`);
  return v;
}
