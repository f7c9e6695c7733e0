// Float helpers whose results match the float32 semantics of the models we import.
// XGBoost evaluates its transforms in float32 with libm; we evaluate in float64
// and round once, which is within 1 ulp of it (the parity contract for
// probabilities; margins are bitwise).

/** 1 / (1 + e^-x), rounded to f32. */
@inline export function sigmoid32(x: f32): f32 {
  return <f32>(1.0 / (1.0 + Math.exp(-<f64>x)));
}

@inline export function exp32(x: f32): f32 {
  return <f32>Math.exp(<f64>x);
}

/** Softmax over k f32 values at p, in place, subtracting the max first like XGBoost. */
export function softmaxInPlace(p: usize, k: i32): void {
  let wmax = load<f32>(p);
  for (let i = 1; i < k; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v > wmax) wmax = v;
  }
  let sum: f64 = 0;
  for (let i = 0; i < k; i++) {
    sum += Math.exp(<f64>(load<f32>(p + (<usize>i << 2)) - wmax));
  }
  for (let i = 0; i < k; i++) {
    const e = Math.exp(<f64>(load<f32>(p + (<usize>i << 2)) - wmax));
    store<f32>(p + (<usize>i << 2), <f32>(e / sum));
  }
}

/** Index of the first maximum of k f32 values (NaN never wins), as XGBoost's softmax objective. */
export function argmax32(p: usize, k: i32): i32 {
  let best = 0;
  let bestV = load<f32>(p);
  for (let i = 1; i < k; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v > bestV || (bestV != bestV && v == v)) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/** Logistic sigmoid in f64, for decision arithmetic. */
@inline export function sigmoid64(x: f64): f64 {
  return 1.0 / (1.0 + Math.exp(-x));
}
