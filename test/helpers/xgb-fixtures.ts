/** Reads the XGBoost parity fixtures written by scripts/gen-xgb-fixtures.py. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const XGB_FIXTURES = join(__dirname, '..', 'fixtures', 'xgb');

export interface XgbCase {
  name: string;
  objective: string;
  note: string;
  model: { json: string; ubj: string };
  rows: number;
  features: number;
  groups: number;
  outputs: number;
  trees: number;
  xgboost: string;
  categorical?: string[];
}

export function xgbManifest(): XgbCase[] {
  return JSON.parse(readFileSync(join(XGB_FIXTURES, 'manifest.json'), 'utf8')).cases;
}

export function readF32File(file: string): Float32Array {
  const b = readFileSync(join(XGB_FIXTURES, file));
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export function readModelFile(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(XGB_FIXTURES, file)));
}

export function caseData(c: XgbCase): { rows: Float32Array; margin: Float32Array; pred: Float32Array } {
  return {
    rows: readF32File(`${c.name}.rows.f32`),
    margin: readF32File(`${c.name}.margin.f32`),
    pred: readF32File(`${c.name}.pred.f32`),
  };
}

/** Distance in units in the last place between two float32 values (0 when bitwise equal). */
export function ulpDistance(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const ka = i[0]! < 0 ? 0x80000000 - i[0]! : i[0]!;
  const kb = i[1]! < 0 ? 0x80000000 - i[1]! : i[1]!;
  return Math.abs(ka - kb);
}
