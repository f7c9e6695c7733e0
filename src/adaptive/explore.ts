/**
 * Explorer: the seeded samplers of the exploration kernels
 * (assembly/shared/prng.ts, assembly/score/explore.ts) as a TS API, for
 * simulations and tests. Same seed, same draws, bit for bit, as the decision
 * kernel and as the TS twin (src/reference/prng.ts).
 *
 *   const x = Explorer.create(42);
 *   x.thompson(0.12, 800);   // Beta(0.12 * 800, 0.88 * 800)
 *   x.beta(2, 5); x.gamma(3); x.normal(); x.uniform();
 */
import { NextbestError } from '../errors.js';
import { WasmInstance, type WasmVariant } from '../runtime/wasm.js';

/** Bytes of a PRNG stream's state in wasm memory (assembly/shared/prng.ts). */
export const PRNG_STATE_BYTES = 32;

/** Splits a seed (a non-negative safe integer) into the two u32 halves the kernels take. */
export function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

export class Explorer {
  private readonly wasm: WasmInstance;
  private readonly state: number;

  private constructor(wasm: WasmInstance, seed: number) {
    this.wasm = wasm;
    this.state = wasm.alloc(PRNG_STATE_BYTES, 16);
    this.seed(seed);
  }

  /** A stream with its own wasm instance (or sharing one). */
  static create(seed = 0, opts: { wasm?: WasmVariant | WasmInstance } = {}): Explorer {
    const w = opts.wasm instanceof WasmInstance ? opts.wasm : WasmInstance.create(opts.wasm);
    return new Explorer(w, seed);
  }

  /** Restarts the stream from a seed (a non-negative safe integer). */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new NextbestError('ARGUMENT_INVALID', `a seed is a non-negative safe integer, got ${String(seed)}`);
    const [lo, hi] = seedWords(seed);
    this.wasm.exports.prngSeed(this.state, lo, hi);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.wasm.exports.prngUniform(this.state);
  }

  /** Standard normal. */
  normal(): number {
    return this.wasm.exports.prngNormal(this.state);
  }

  /** Gamma(shape, 1); NaN unless shape > 0 and finite. */
  gamma(shape: number): number {
    return this.wasm.exports.prngGamma(this.state, shape);
  }

  /** Beta(a, b). */
  beta(a: number, b: number): number {
    return this.wasm.exports.prngBeta(this.state, a, b);
  }

  /** A Thompson draw around propensity p: Beta(p e, (1 - p) e) with e = max(evidence, 2). */
  thompson(p: number, evidence: number): number {
    return this.wasm.exports.thompsonDraw(this.state, p, evidence);
  }
}
