/**
 * A model placed in a wasm instance, with the scratch buffers its calls use.
 * Batches are copied into the input scratch in chunks (one kernel call per
 * chunk); single rows are encoded straight into the scratch. Scratch is
 * allocated once, here, so steady-state calls allocate nothing in wasm.
 */
import { NextbestError } from '../errors.js';
import { wasmError, type WasmInstance } from '../runtime/wasm.js';
import type { FeatureObject, FeatureSchema, EncodeOptions } from '../runtime/features.js';
import { placeModel, type ModelTable } from './registry.js';

/** Bytes of input rows per kernel call for batches. */
const CHUNK_BYTES = 1 << 20;

export class ModelHost {
  readonly table: ModelTable;
  readonly ptr: number;
  readonly wasm: WasmInstance;
  private readonly stride: number;
  private readonly chunkRows: number;
  private readonly inPtr: number;
  private readonly outPtr: number;

  constructor(wasm: WasmInstance, table: ModelTable, numFeatures: number) {
    this.wasm = wasm;
    this.table = table;
    this.stride = numFeatures;
    this.ptr = placeModel(wasm, table);
    // Bounded by the input and the output width (a model may have thousands of groups).
    this.chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / (Math.max(1, numFeatures, table.nGroups) * 4)));
    this.inPtr = wasm.alloc(this.chunkRows * Math.max(1, numFeatures) * 4, 16);
    this.outPtr = wasm.alloc(this.chunkRows * table.nGroups * 4, 16);
  }

  private checkBatch(rows: Float32Array, n: number, out: Float32Array | undefined, width: number): Float32Array {
    if (!(rows instanceof Float32Array)) {
      throw new NextbestError('ARGUMENT_INVALID', 'rows must be a Float32Array (row-major, one feature vector per row)');
    }
    if (!Number.isInteger(n) || n < 0) throw new NextbestError('ARGUMENT_INVALID', `n must be a non-negative integer, got ${n}`);
    if (rows.length < n * this.stride) {
      throw new NextbestError(
        'ROWS_SHAPE',
        `rows holds ${rows.length} values but ${n} rows of ${this.stride} features need ${n * this.stride}`,
        { expected: n * this.stride, actual: rows.length },
      );
    }
    if (out === undefined) return new Float32Array(n * width);
    if (!(out instanceof Float32Array) || out.length < n * width) {
      throw new NextbestError('ROWS_SHAPE', `out must be a Float32Array of at least ${n * width} values`);
    }
    return out;
  }

  /** Raw margins (n * nGroups) or transformed predictions (n * nOutputs). */
  run(rows: Float32Array, n: number, out: Float32Array | undefined, transform: boolean): Float32Array {
    const t = this.table;
    const width = transform ? t.nOutputs : t.nGroups;
    const res = this.checkBatch(rows, n, out, width);
    const ex = this.wasm.exports;
    const strideBytes = this.stride * 4;
    try {
      for (let r0 = 0; r0 < n; r0 += this.chunkRows) {
        const m = Math.min(this.chunkRows, n - r0);
        this.wasm.f32.set(rows.subarray(r0 * this.stride, (r0 + m) * this.stride), this.inPtr >> 2);
        ex.modelMargins(this.ptr, this.inPtr, m, strideBytes, this.outPtr);
        if (transform) ex.modelTransform(this.ptr, this.outPtr, m, this.outPtr);
        res.set(this.wasm.f32.subarray(this.outPtr >> 2, (this.outPtr >> 2) + m * width), r0 * width);
      }
    } catch (e) {
      throw wasmError(e);
    }
    return res;
  }

  /** One row, from a feature vector or a feature object, encoded straight into the scratch. */
  runOne(
    row: Float32Array | FeatureObject,
    schema: FeatureSchema,
    out: Float32Array | undefined,
    transform: boolean,
    opts?: EncodeOptions,
  ): Float32Array {
    const t = this.table;
    const width = transform ? t.nOutputs : t.nGroups;
    const f32 = this.wasm.f32;
    const base = this.inPtr >> 2;
    if (row instanceof Float32Array) {
      if (row.length !== this.stride) {
        throw new NextbestError('ROWS_SHAPE', `a feature vector must have ${this.stride} values in schema order, got ${row.length}`, {
          expected: this.stride,
          actual: row.length,
        });
      }
      f32.set(row, base);
    } else {
      schema.encodeInto(row, f32, base, opts);
    }
    if (out === undefined) out = new Float32Array(width);
    else if (!(out instanceof Float32Array) || out.length < width) {
      throw new NextbestError('ROWS_SHAPE', `out must be a Float32Array of at least ${width} values`);
    }
    try {
      const ex = this.wasm.exports;
      ex.modelMargins(this.ptr, this.inPtr, 1, this.stride * 4, this.outPtr);
      if (transform) ex.modelTransform(this.ptr, this.outPtr, 1, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    const o = this.outPtr >> 2;
    for (let i = 0; i < width; i++) out[i] = f32[o + i]!;
    return out;
  }

  /** Pointer of the input scratch (one chunk of rows), for kernels that read it directly. */
  get inputPtr(): number {
    return this.inPtr;
  }
}
