/**
 * The exports of assembly/index.ts, typed for the TypeScript side. Pointers are
 * byte offsets into linear memory. Keep in step with assembly/index.ts.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  /** Raw margins for n rows (row stride in bytes) into out (n*nGroups f32). */
  modelMargins(model: number, rows: number, n: number, strideBytes: number, out: number): void;
  /** margins (n*nGroups f32) -> out (n*nOutputs f32); out may alias margins. */
  modelTransform(model: number, margins: number, n: number, out: number): void;
  /** Scorecard model, one row: bin (i32 at +0) and points (f64 at +8) per characteristic at out + c*16; returns the score. */
  scorecardExplain(model: number, row: number, out: number): number;
  /** Evaluates the placed expression program at prog over frame (f64[]) and features (f32[]). */
  evalProgram(prog: number, frame: number, features: number): number;
  /** Evaluates n programs (i32 pointers at progs) over one frame and feature vector into out (n f64). */
  evalPrograms(progs: number, n: number, frame: number, features: number, out: number): void;
  /** Observes one event (frame: time, attributes) on the customer state at state; matches at out. Returns matches, -1 late, -2 ignored. */
  journeyObserve(journeys: number, state: number, type: number, frame: number, features: number, out: number): number;
  /** Fires absence deadlines at or before now; matches at out. */
  journeyAdvance(journeys: number, state: number, now: number, out: number): number;
  /** One journey value (src/compile/journey/bindings.ts ids) of the state at now. */
  journeyValue(journeys: number, state: number, now: number, valueId: number): number;
  /** Every journey value into out (f64 each). */
  journeyValues(journeys: number, state: number, now: number, out: number): void;
}
