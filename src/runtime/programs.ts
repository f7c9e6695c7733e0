/**
 * A set of expression programs placed in a wasm instance, with a frame and a
 * feature vector in linear memory to run them on. Journeys and decisions run
 * programs from inside their own kernels; this host serves the cases where
 * TypeScript evaluates programs itself (tests, benchmarks, tooling), with one
 * crossing for the whole set.
 */
import { NextbestError } from '../errors.js';
import { placePrograms, type ProgramSet } from '../compile/expr/bytecode.js';
import { wasmError, type WasmInstance } from './wasm.js';

export class ProgramHost {
  readonly wasm: WasmInstance;
  readonly set: ProgramSet;
  /** Pointer of each placed program. */
  readonly ptrs: Int32Array;
  private readonly listPtr: number;
  private readonly framePtr: number;
  private readonly featuresPtr: number;
  private readonly outPtr: number;
  private outView: Float64Array | null = null;

  constructor(wasm: WasmInstance, set: ProgramSet) {
    this.wasm = wasm;
    this.set = set;
    this.ptrs = placePrograms(wasm, set);
    this.listPtr = wasm.place(this.ptrs.length ? this.ptrs : new Int32Array(1));
    this.framePtr = wasm.alloc(Math.max(1, set.frameSlots) * 8, 16);
    this.featuresPtr = wasm.alloc(Math.max(1, set.features) * 4, 16);
    this.outPtr = wasm.alloc(Math.max(1, this.ptrs.length) * 8, 16);
  }

  get count(): number {
    return this.ptrs.length;
  }

  /** Copies the inputs into linear memory (lengths must match the set's bounds). */
  load(frame: Float64Array, features: Float32Array): void {
    if (!(frame instanceof Float64Array) || frame.length !== this.set.frameSlots) {
      throw new NextbestError('ARGUMENT_INVALID', `frame must be a Float64Array of ${this.set.frameSlots} slots`);
    }
    if (!(features instanceof Float32Array) || features.length !== this.set.features) {
      throw new NextbestError('ARGUMENT_INVALID', `features must be a Float32Array of ${this.set.features} values`);
    }
    this.wasm.f64.set(frame, this.framePtr >> 3);
    this.wasm.f32.set(features, this.featuresPtr >> 2);
  }

  /** Views of the frame and features in linear memory, to fill in place. */
  get frameView(): Float64Array {
    return this.wasm.f64.subarray(this.framePtr >> 3, (this.framePtr >> 3) + this.set.frameSlots);
  }

  get featuresView(): Float32Array {
    return this.wasm.f32.subarray(this.featuresPtr >> 2, (this.featuresPtr >> 2) + this.set.features);
  }

  /** Runs program i on the loaded inputs. */
  evalOne(i: number): number {
    const p = this.ptrs[i];
    if (p === undefined) throw new NextbestError('ARGUMENT_INVALID', `no program ${i} (the set has ${this.ptrs.length})`);
    try {
      return this.wasm.exports.evalProgram(p, this.framePtr, this.featuresPtr);
    } catch (e) {
      throw wasmError(e);
    }
  }

  /** Runs every program on the loaded inputs in one crossing; returns a view of the results (valid until the next call). */
  evalAll(): Float64Array {
    try {
      this.wasm.exports.evalPrograms(this.listPtr, this.ptrs.length, this.framePtr, this.featuresPtr, this.outPtr);
    } catch (e) {
      throw wasmError(e);
    }
    // Reuse the view while memory has not grown: growing detaches the old buffer, and a view of a
    // detached buffer has length 0 (a length check, where memory.buffer is a slow host getter).
    if (this.outView === null || this.outView.length !== this.ptrs.length || this.outView.buffer !== this.wasm.f64.buffer) {
      this.outView = new Float64Array(this.wasm.memory.buffer, this.outPtr, this.ptrs.length);
    }
    return this.outView;
  }
}
