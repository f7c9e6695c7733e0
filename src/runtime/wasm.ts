/**
 * The one module that touches WebAssembly. It finds the nextbest binary,
 * compiles it once per variant (the compiled WebAssembly.Module is cached and
 * shared), instantiates it through @assemblyscript/loader, and hands out a
 * WasmInstance: typed views over linear memory plus a bump allocator that the
 * table layout uses at load time. Nothing is allocated in wasm on the hot path.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';
import { NextbestError } from '../errors.js';
import type { KernelExports } from './abi.js';

export type WasmVariant = 'release' | 'debug';

const FILES: Record<WasmVariant, string> = { release: 'nextbest.wasm', debug: 'nextbest.debug.wasm' };
const PAGE = 65536;

const compiled = new Map<WasmVariant, WebAssembly.Module>();

/** The variant used when none is asked for: NEXTBEST_WASM=debug selects the assertion build. */
export function defaultVariant(): WasmVariant {
  return process.env.NEXTBEST_WASM === 'debug' ? 'debug' : 'release';
}

function moduleDir(): string {
  // In the published package this code is bundled into dist/index.{js,cjs} next
  // to the .wasm files; in the source tree (tests) it lives in src/runtime/.
  return dirname(fileURLToPath(import.meta.url));
}

/** Where the binary is: next to the bundled code, or in build/ of a source checkout. */
export function locateWasm(variant: WasmVariant): string {
  const file = FILES[variant];
  const here = moduleDir();
  const candidates = [join(here, file), join(here, '..', file), join(here, '..', '..', 'build', file), join(here, '..', 'build', file)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new NextbestError(
    'WASM_NOT_FOUND',
    `cannot find ${file}; looked in ${candidates.join(', ')}. Run \`npm run build\` in a source checkout, or reinstall the package.`,
  );
}

function compiledModule(variant: WasmVariant): WebAssembly.Module {
  let mod = compiled.get(variant);
  if (!mod) {
    mod = new WebAssembly.Module(readFileSync(locateWasm(variant)));
    compiled.set(variant, mod);
  }
  return mod;
}

/** Converts a wasm trap or abort into a NextbestError; other errors pass through. */
export function wasmError(e: unknown): unknown {
  if (e instanceof NextbestError) return e;
  if (e instanceof WebAssembly.RuntimeError) {
    return new NextbestError('WASM_TRAP', `kernel trapped: ${e.message}`, undefined, { cause: e });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new NextbestError('WASM_TRAP', `kernel overflowed the stack: ${e.message}`, undefined, { cause: e });
  }
  return e;
}

/**
 * One instance of the kernels with its own linear memory. An Engine or Model
 * owns exactly one; tables are placed once with alloc() and never freed (an
 * instance lives as long as the bundle it holds).
 */
export class WasmInstance {
  readonly exports: KernelExports;
  readonly variant: WasmVariant;
  readonly memory: WebAssembly.Memory;
  u8!: Uint8Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f32!: Float32Array;
  f64!: Float64Array;
  private top: number;

  private constructor(variant: WasmVariant) {
    this.variant = variant;
    let getString: ((ptr: number) => string) | null = null;
    const imports = {
      // The rule VM imports these so that it rounds exactly like the TypeScript reference (assembly/decide/rules.ts).
      Math: { exp: Math.exp, log: Math.log, log10: Math.log10, pow: Math.pow },
      env: {
        abort(msg: number, file: number, line: number, column: number): never {
          const m = getString ? getString(msg) : '?';
          const f = getString ? getString(file) : '?';
          throw new NextbestError('WASM_ABORT', `kernel aborted: ${m} at ${f}:${line}:${column}`, {
            file: f,
            line,
            column,
          });
        },
      },
    };
    const result = instantiateSync<Record<string, unknown>>(compiledModule(variant), imports);
    const ex = result.exports as unknown as KernelExports & { __getString(ptr: number): string };
    getString = (ptr: number) => (ptr ? ex.__getString(ptr) : '');
    // The loader wraps each export in a rest-arguments closure that records the
    // argument count (an array per call); the kernels take fixed arguments, so
    // calls go to the raw exports (`.original`), which matters for single rows.
    const raw: Record<string, unknown> = { ...ex };
    for (const [k, v] of Object.entries(ex)) {
      const original = typeof v === 'function' ? (v as { original?: unknown }).original : undefined;
      if (typeof original === 'function') raw[k] = original;
    }
    this.exports = raw as unknown as KernelExports;
    this.memory = ex.memory;
    this.top = align(ex.heapBase(), 16);
    this.refreshViews();
  }

  static create(variant: WasmVariant = defaultVariant()): WasmInstance {
    return new WasmInstance(variant);
  }

  /** Re-creates the typed views; needed after memory grows (the old buffer detaches). */
  refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /** Bytes allocated so far (tables and scratch), for inspection and limits. */
  get usedBytes(): number {
    return this.top;
  }

  /** Reserves `bytes` (zeroed) at `alignment`, growing memory as needed; returns the pointer. */
  alloc(bytes: number, alignment = 16): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: bad size ${bytes}`);
    const ptr = align(this.top, alignment);
    const end = ptr + bytes;
    if (end > 0x7fff0000) {
      throw new NextbestError('LIMIT_EXCEEDED', `tables need ${end} bytes of wasm memory, more than the 2 GiB the kernels address`, { limit: 'wasmMemory', value: end, max: 2 ** 31 });
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.refreshViews();
    }
    this.u8.fill(0, ptr, end);
    this.top = end;
    return ptr;
  }

  /** Copies a typed array into freshly allocated memory; returns its pointer. */
  place(data: Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Uint16Array | Int16Array): number {
    const ptr = this.alloc(data.byteLength, Math.max(16, data.BYTES_PER_ELEMENT));
    this.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
    return ptr;
  }
}

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
