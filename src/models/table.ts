/**
 * Model tables: the flat, validated form in which every model lives in a
 * bundle and in linear memory. Each kind has a module with four functions:
 * compile (spec -> table), validate (decoded bundle section -> table, or a
 * BUNDLE_INVALID / MODEL_INVALID error), place (table -> pointer in wasm
 * memory) and a reference twin in src/reference/.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';

/** scaledSigmoid: sigmoid(scale * margin + offset), parameters at header +16/+24 (scorecard odds scaling). */
export type Transform = 'identity' | 'sigmoid' | 'softmax' | 'argmax' | 'exp' | 'scaledSigmoid';
export const TRANSFORM_CODES: Record<Transform, number> = { identity: 0, sigmoid: 1, softmax: 2, argmax: 3, exp: 4, scaledSigmoid: 5 };
export const MODEL_KIND_CODES = { linear: 1, scorecard: 2, trees: 3, adaptive: 4 } as const;
export type ModelKind = keyof typeof MODEL_KIND_CODES;

/** Fields every model table has. */
export interface ModelTableBase {
  kind: ModelKind;
  /** Unique within a bundle; `[A-Za-z_][A-Za-z0-9_]*`, referenced by expressions as score.<id>. */
  id: string;
  /** Margins per row (classes of a multi-class model, else 1). */
  nGroups: number;
  /** Values per row after the transform. */
  nOutputs: number;
  transform: Transform;
}

export const MODEL_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Header shared by every kind (assembly/score/model.ts): 32 bytes. */
export const HEADER_SIZE = 32;

export function writeHeader(i32: Int32Array, ptr: number, t: ModelTableBase): void {
  const b = ptr >> 2;
  i32[b] = MODEL_KIND_CODES[t.kind];
  i32[b + 1] = t.nGroups;
  i32[b + 2] = TRANSFORM_CODES[t.transform];
  i32[b + 3] = t.nOutputs;
}

/** Checks the common fields of a decoded table; `what` names it in messages. */
export function validateBase(t: Record<string, unknown>, what: string): void {
  if (typeof t.id !== 'string' || !MODEL_ID_PATTERN.test(t.id)) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: id must match ${MODEL_ID_PATTERN}, got ${describe(t.id)}`);
  }
  if (!Number.isInteger(t.nGroups) || (t.nGroups as number) < 1 || (t.nGroups as number) > 4096) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: nGroups must be an integer in [1, 4096], got ${describe(t.nGroups)}`);
  }
  if (typeof t.transform !== 'string' || !(t.transform in TRANSFORM_CODES)) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: unknown transform ${describe(t.transform)}`);
  }
  const expectOutputs = t.transform === 'argmax' ? 1 : t.nGroups;
  if (t.nOutputs !== expectOutputs) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: nOutputs must be ${expectOutputs} for transform ${t.transform}`);
  }
  if ((t.transform === 'softmax' || t.transform === 'argmax') && (t.nGroups as number) < 2) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: transform ${t.transform} needs at least 2 groups`);
  }
}

export function requireNumber(v: unknown, what: string, opts?: { integer?: boolean; min?: number; max?: number; finite?: boolean }): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: expected a number, got ${describe(v)}`);
  }
  if (opts?.integer && !Number.isInteger(v)) throw new NextbestError('BUNDLE_INVALID', `${what}: expected an integer, got ${v}`);
  if ((opts?.finite ?? true) && !Number.isFinite(v)) throw new NextbestError('BUNDLE_INVALID', `${what}: expected a finite number, got ${v}`);
  if (opts?.min !== undefined && v < opts.min) throw new NextbestError('BUNDLE_INVALID', `${what}: ${v} is below ${opts.min}`);
  if (opts?.max !== undefined && v > opts.max) throw new NextbestError('BUNDLE_INVALID', `${what}: ${v} is above ${opts.max}`);
  return v;
}

export function requireObject(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: expected a map, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}
