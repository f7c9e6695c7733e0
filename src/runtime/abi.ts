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
  /**
   * One decision (assembly/decide/arbitrate.ts): ranks every action of the decision table dt for the
   * features, frame (context written by the caller) and customer state; writes the selected candidate
   * indices to out in rank order and returns how many.
   */
  decide(dt: number, features: number, frame: number, state: number, now: number, chanLo: number, chanHi: number, limit: number, explain: number, out: number): number;
  /**
   * Re-runs the decision just made (same inputs) `draws` times with the stream at the table's rng,
   * counting into hits (i32 per target) how often each (action, channel) pair at targets (two i32
   * each) is selected; returns draws, or -1 when the first run drew nothing (deterministic: exact hits).
   */
  decideSample(
    dt: number, features: number, frame: number, state: number, now: number, chanLo: number, chanHi: number,
    limit: number, draws: number, targets: number, nTargets: number, hits: number, out: number,
  ): number;
  /** Adds a contact event (outcome bit) of action a on channel c at tS (u32 seconds) to the state's contact history. */
  recordContact(dt: number, state: number, a: number, c: number, outcome: number, tS: number): number;

  // Adaptive models (assembly/score/adaptive.ts): model = definition pointer, inst = instance pointer.
  /** Bins of every predictor of a row into bins (u16 each). */
  adaptiveBinRow(model: number, row: number, bins: number): void;
  /** Score of binned predictors (refreshes derived state when stale). */
  adaptiveScore(model: number, inst: number, bins: number): number;
  /** Score bin of a score. */
  adaptiveScoreBin(model: number, score: number): number;
  /** Propensity of a score (classifier of its score bin). */
  adaptiveClassify(model: number, inst: number, score: number): number;
  /** Bins, scores and classifies a row; writes the observation at obs; returns the propensity. */
  adaptiveObserve(model: number, inst: number, row: number, obs: number): number;
  /** Learns one outcome of an observation; 0 ok, 1 observation out of range (nothing changed). */
  adaptiveUpdate(model: number, inst: number, obs: number, positive: number): number;
  /** Recomputes an instance's caches from its counts and marks it stale. */
  adaptiveRebuild(model: number, inst: number): void;
  /** Re-derives predictor activity (AUC) and the classifier (PAV). */
  adaptiveRefresh(model: number, inst: number): void;
  /** Bins a row once, then the propensity of each of n instances (pointers at insts) into out (f64). */
  adaptivePropensities(model: number, insts: number, n: number, row: number, bins: number, out: number): void;
  /** Exploration of n propensities (props, f64) of n instances into out (f64); one epsilon coin per call. */
  adaptiveExploreMany(model: number, insts: number, n: number, rng: number, props: number, out: number): void;
  /** Propensity to rank by under the model's exploration (rng: 16-byte PRNG state; coin: the decision's uniform draw). */
  adaptiveExplore(model: number, inst: number, rng: number, p: number, coin: number): number;
  /** 1 when the exposure ramp admits the instance in this decision. */
  adaptiveAdmit(model: number, inst: number, rng: number): number;
  /** Beta(p*e, (1-p)*e) draw, e = max(evidence, 2). */
  thompsonDraw(rng: number, p: number, evidence: number): number;
  // Seeded PRNG (assembly/shared/prng.ts) on a 16-byte state.
  prngSeed(state: number, seedLo: number, seedHi: number): void;
  prngNext(state: number): number;
  prngUniform(state: number): number;
  prngNormal(state: number): number;
  prngGamma(state: number, shape: number): number;
  prngBeta(state: number, a: number, b: number): number;
  // Portable log/exp (assembly/shared/logexp.ts), bit-identical to src/reference/logexp.ts.
  plog(x: number): number;
  pexp(x: number): number;
  /** Table-driven log of the adaptive hot paths, bit-identical to src/reference/logexp.ts tlog. */
  tlog(x: number): number;
}
