/**
 * Learning state as bytes: snapshots and deltas of adaptive models' counts.
 *
 * Envelope (msgpack map):  { magic: "NBLS", format: 1, payload: bin, sha256: bin(32) }
 * Payload (msgpack map):   { kind: "snapshot" | "delta",
 *                            models: [ { id, shape, instances: [ [key, counts bin], ... ] }, ... ] }
 *
 * counts are little-endian f64 in an instance's count layout (positives,
 * negatives, binPos[B], binNeg[B], scorePos[S], scoreNeg[S]); every value is a
 * non-negative integer below 2^53, so adding them is exact and merges are
 * commutative and associative bit for bit. `shape` digests the model's
 * binning (src/models/adaptive.ts adaptiveShape): state only merges into a
 * model binned the same way.
 *
 * The bytes are canonical: models sorted by id, instances by key (UTF-16
 * code unit order), instances whose counts are all zero left out, no
 * timestamps. Equal learning state gives equal bytes.
 */
import { NextbestError } from '../errors.js';
import { hex, packValue, sha256, unpackValue } from '../bundle/codec.js';
import { describe, readF64, toBin } from '../bundle/binary.js';

export const LEARNING_MAGIC = 'NBLS';
export const LEARNING_FORMAT = 1;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export type LearningKind = 'snapshot' | 'delta';

export interface LearningModelState {
  id: string;
  shape: string;
  /** key -> counts, sorted by key. */
  instances: [string, Float64Array][];
}

export interface LearningState {
  kind: LearningKind;
  models: LearningModelState[];
}

function bad(msg: string): NextbestError {
  return new NextbestError('LEARNING_INVALID', msg);
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isZero(c: Float64Array): boolean {
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) return false;
  return true;
}

/** Canonical bytes of learning state. */
export function encodeLearning(state: LearningState): Uint8Array {
  const models = [...state.models]
    .sort((a, b) => compareKeys(a.id, b.id))
    .map((m) => ({
      id: m.id,
      shape: m.shape,
      instances: m.instances
        .filter(([, c]) => !isZero(c))
        .sort((a, b) => compareKeys(a[0], b[0]))
        .map(([k, c]) => [k, toBin(c)]),
    }));
  const payload = packValue({ kind: state.kind, models });
  return packValue({ magic: LEARNING_MAGIC, format: LEARNING_FORMAT, payload, sha256: sha256(payload) });
}

/**
 * Decodes and checks learning bytes: envelope, checksum, types, counts that
 * are non-negative integers below 2^53, sorted unique ids and keys. Whether
 * the state fits a bundle's models is checked where it is merged.
 */
export function decodeLearning(bytes: Uint8Array): LearningState {
  if (!(bytes instanceof Uint8Array)) throw new NextbestError('ARGUMENT_INVALID', 'learning state must be a Uint8Array (from snapshot() or delta())');
  if (bytes.byteLength === 0) throw bad('learning state is empty (0 bytes)');
  let env: Record<string, unknown>;
  try {
    env = unpackValue(bytes, 'learning state') as Record<string, unknown>;
  } catch (e) {
    throw bad(`learning state is not readable: ${(e as Error).message}`);
  }
  if (env === null || typeof env !== 'object' || env.magic !== LEARNING_MAGIC) {
    throw bad('not nextbest learning state (magic is not "NBLS"); pass bytes from snapshot() or delta()');
  }
  if (env.format !== LEARNING_FORMAT) {
    throw bad(`learning state format ${describe(env.format)} is not supported; this engine reads format ${LEARNING_FORMAT}`);
  }
  if (!(env.payload instanceof Uint8Array) || !(env.sha256 instanceof Uint8Array)) throw bad('learning state lacks its payload or checksum');
  const actual = sha256(env.payload);
  if (hex(actual) !== hex(env.sha256)) throw bad('learning state checksum mismatch: the bytes are corrupted');
  let p: Record<string, unknown>;
  try {
    p = unpackValue(env.payload, 'learning state payload') as Record<string, unknown>;
  } catch (e) {
    throw bad(`learning state payload is not readable: ${(e as Error).message}`);
  }
  if (p === null || typeof p !== 'object') throw bad('learning state payload is not a map');
  if (p.kind !== 'snapshot' && p.kind !== 'delta') throw bad(`learning state kind must be snapshot or delta, got ${describe(p.kind)}`);
  if (!Array.isArray(p.models)) throw bad('learning state has no models list');
  let prevId: string | undefined;
  const models = p.models.map((raw, i): LearningModelState => {
    const m = raw as Record<string, unknown>;
    if (m === null || typeof m !== 'object' || typeof m.id !== 'string' || typeof m.shape !== 'string' || !Array.isArray(m.instances)) {
      throw bad(`learning state models[${i}] must be { id, shape, instances }`);
    }
    if (prevId !== undefined && compareKeys(prevId, m.id) >= 0) throw bad(`learning state models are not sorted by id or repeat "${m.id}"`);
    prevId = m.id;
    let prevKey: string | undefined;
    const instances = m.instances.map((e, j): [string, Float64Array] => {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') throw bad(`learning state model "${m.id}" instance ${j} must be [key, counts]`);
      const key = e[0];
      if (prevKey !== undefined && compareKeys(prevKey, key) >= 0) throw bad(`learning state model "${m.id}": instances are not sorted or repeat "${key}"`);
      prevKey = key;
      let counts: Float64Array;
      try {
        counts = readF64(e[1], `model "${m.id}" instance "${key}"`);
      } catch (err) {
        throw bad(`learning state ${(err as Error).message}`);
      }
      for (let k = 0; k < counts.length; k++) {
        const v = counts[k]!;
        if (!(v >= 0 && v <= MAX_SAFE && Number.isInteger(v))) {
          throw bad(`learning state model "${m.id}" instance "${key}": count ${k} is ${v}; counts are non-negative integers`);
        }
      }
      return [key, counts];
    });
    return { id: m.id, shape: m.shape, instances };
  });
  return { kind: p.kind, models };
}
