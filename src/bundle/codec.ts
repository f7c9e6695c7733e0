/**
 * Encoding and decoding of the bundle envelope (see format.ts).
 * Each way a container can be broken has its own error code: wrong magic,
 * unknown major version, checksum mismatch, truncation, undecodable bytes.
 */
import { createHash } from 'node:crypto';
import { Packr, Unpackr } from 'msgpackr';
import { NextbestError } from '../errors.js';
import {
  BUNDLE_FORMAT_MAJOR,
  BUNDLE_FORMAT_MINOR,
  BUNDLE_MAGIC,
  type BundleEnvelope,
  type BundlePayload,
} from './format.js';

// Plain msgpack maps (no record extension) so any msgpack reader can open a bundle.
const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', moreTypes: false });

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** msgpack bytes of any value, with this package's settings; the result owns its buffer. */
export function packValue(value: unknown): Uint8Array {
  return new Uint8Array(packr.pack(value));
}

/** Decodes msgpack bytes, mapping truncation and garbage to typed errors. */
export function unpackValue(bytes: Uint8Array, what: string): unknown {
  try {
    const v = unpackr.unpack(bytes);
    return v;
  } catch (e) {
    const err = e as { incomplete?: boolean; message?: string };
    if (err && err.incomplete) {
      throw new NextbestError('BUNDLE_TRUNCATED', `${what} ends early: the bytes are truncated (${bytes.byteLength} bytes read)`);
    }
    throw new NextbestError('BUNDLE_DECODE', `${what} is not valid msgpack: ${err?.message ?? String(e)}`, undefined, { cause: e });
  }
}

/** Wraps a payload object into envelope bytes. */
export function encodeBundle(payload: BundlePayload, extra?: { signature?: Uint8Array; keyId?: string }): Uint8Array {
  const body = packValue({ minor: BUNDLE_FORMAT_MINOR, ...payload });
  return encodeEnvelope(body, extra);
}

export function encodeEnvelope(body: Uint8Array, extra?: { signature?: Uint8Array; keyId?: string }): Uint8Array {
  const env: BundleEnvelope = {
    magic: BUNDLE_MAGIC,
    format: BUNDLE_FORMAT_MAJOR,
    payload: body,
    sha256: sha256(body),
  };
  if (extra?.signature) env.signature = extra.signature;
  if (extra?.keyId) env.keyId = extra.keyId;
  return packValue(env);
}

/** Decodes and checks the envelope only (magic, version, checksum); the payload stays bytes. */
export function decodeEnvelope(bytes: Uint8Array): BundleEnvelope {
  if (!(bytes instanceof Uint8Array)) {
    throw new NextbestError('ARGUMENT_INVALID', 'a bundle must be a Uint8Array (or Buffer) of bytes');
  }
  if (bytes.byteLength === 0) throw new NextbestError('BUNDLE_TRUNCATED', 'the bundle is empty (0 bytes)');
  const env = unpackValue(bytes, 'bundle envelope') as Partial<BundleEnvelope> | null;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw new NextbestError('BUNDLE_MAGIC', 'not a nextbest bundle: the bytes do not hold an envelope map');
  }
  for (const k of Object.keys(env)) {
    if (!ENVELOPE_KEYS.has(k)) {
      throw new NextbestError('BUNDLE_DECODE', `the bundle envelope has an unknown field "${k.slice(0, 40)}"; it was corrupted or written by an incompatible tool`);
    }
  }
  if (env.magic !== BUNDLE_MAGIC) {
    throw new NextbestError(
      'BUNDLE_MAGIC',
      `not a nextbest bundle: magic is ${JSON.stringify(env.magic)?.slice(0, 20)}, expected "${BUNDLE_MAGIC}"`,
    );
  }
  if (typeof env.format !== 'number' || env.format !== BUNDLE_FORMAT_MAJOR) {
    throw new NextbestError(
      'BUNDLE_VERSION',
      `bundle format ${String(env.format)} is not supported; this engine reads format ${BUNDLE_FORMAT_MAJOR}. Rebuild the bundle with this version of nextbest, or upgrade nextbest.`,
      { format: env.format },
    );
  }
  if (!(env.payload instanceof Uint8Array) || !(env.sha256 instanceof Uint8Array) || env.sha256.byteLength !== 32) {
    throw new NextbestError('BUNDLE_DECODE', 'the bundle envelope lacks a binary payload or a 32-byte sha256');
  }
  if (env.signature !== undefined && !(env.signature instanceof Uint8Array)) {
    throw new NextbestError('BUNDLE_DECODE', 'the bundle signature must be binary');
  }
  if (env.keyId !== undefined && (typeof env.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(env.keyId))) {
    throw new NextbestError('BUNDLE_DECODE', 'the bundle keyId must be 16 lowercase hex digits');
  }
  if ((env.signature === undefined) !== (env.keyId === undefined)) {
    throw new NextbestError('BUNDLE_DECODE', 'the bundle envelope must carry both a signature and a keyId, or neither');
  }
  const actual = sha256(env.payload);
  if (!timingSafeEqualBytes(actual, env.sha256)) {
    throw new NextbestError(
      'BUNDLE_CHECKSUM',
      `bundle payload checksum mismatch: expected ${hex(env.sha256)}, computed ${hex(actual)}; the file is corrupted or was modified`,
    );
  }
  return {
    magic: env.magic,
    format: env.format,
    payload: env.payload,
    sha256: env.sha256,
    ...(env.signature ? { signature: env.signature } : {}),
    ...(env.keyId ? { keyId: env.keyId } : {}),
  };
}

/** Decodes the payload map; its sections are validated by their own modules. */
export function decodePayload(env: BundleEnvelope): BundlePayload {
  const p = unpackValue(env.payload, 'bundle payload') as BundlePayload | null;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    throw new NextbestError('BUNDLE_INVALID', 'the bundle payload is not a map');
  }
  if (p.meta === null || typeof p.meta !== 'object' || Array.isArray(p.meta)) {
    throw new NextbestError('BUNDLE_INVALID', 'the bundle payload has no meta section');
  }
  checkMeta(p.meta as unknown as Record<string, unknown>);
  if (p.minor !== undefined && !(Number.isInteger(p.minor) && (p.minor as number) >= 0)) {
    throw new NextbestError('BUNDLE_INVALID', 'the bundle payload minor version must be a non-negative integer');
  }
  if (!Array.isArray(p.models)) {
    throw new NextbestError('BUNDLE_INVALID', 'the bundle payload has no models array');
  }
  return p;
}

/** Envelope and payload in one step. */
export function decodeBundle(bytes: Uint8Array): { envelope: BundleEnvelope; payload: BundlePayload } {
  const envelope = decodeEnvelope(bytes);
  return { envelope, payload: decodePayload(envelope) };
}

/** The meta fields every reader shows (engine.info, inspect, the pool): strings, and a map of path -> hash. */
function checkMeta(meta: Record<string, unknown>): void {
  for (const k of ['name', 'version', 'created', 'generator']) {
    const v = meta[k];
    if (v !== undefined && typeof v !== 'string') throw new NextbestError('BUNDLE_INVALID', `the bundle meta field ${k} must be a string`);
  }
  const src = meta.sources;
  if (src === undefined) return;
  if (src === null || typeof src !== 'object' || Array.isArray(src) || src instanceof Uint8Array || Object.values(src).some((h) => typeof h !== 'string')) {
    throw new NextbestError('BUNDLE_INVALID', 'the bundle meta field sources must be a map of source path -> sha256 hex');
  }
}

const ENVELOPE_KEYS = new Set(['magic', 'format', 'payload', 'sha256', 'signature', 'keyId']);

function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let d = 0;
  for (let i = 0; i < a.byteLength; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
