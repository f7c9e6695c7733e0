// Linear and logistic models.
//
// Layout after the 32-byte model header:
//   +32 intercept f64
//   +40 nTerms    i32
//   +44 terms     usize -> nTerms records of 32 bytes:
//         +0  featByte i32   byte offset of the feature in a row (index * 4)
//         +4  kind     i32   TERM_NUMERIC | TERM_CATEGORICAL
//         +8  weight   f64   numeric: coefficient
//         +16 missing  f64   numeric: value used when the input is NaN;
//                            categorical: contribution when the input is NaN
//         +24 catPtr   usize categorical: f64 contribution per category code
//         +28 catCount i32   categorical: number of codes; other codes add 0
// The sum is accumulated in f64 in term order and rounded to f32 once.
export const LINEAR_INTERCEPT: usize = 32;
export const LINEAR_NTERMS: usize = 40;
export const LINEAR_TERMS: usize = 44;
export const TERM_SIZE: usize = 32;
export const TERM_NUMERIC: i32 = 0;
export const TERM_CATEGORICAL: i32 = 1;

@inline export function linearMarginRow(model: usize, row: usize): f64 {
  let sum = load<f64>(model, LINEAR_INTERCEPT);
  const nTerms = load<i32>(model, LINEAR_NTERMS);
  let term = load<usize>(model, LINEAR_TERMS);
  for (let t = 0; t < nTerms; t++, term += TERM_SIZE) {
    const x = load<f32>(row + <usize>load<i32>(term));
    if (load<i32>(term, 4) == TERM_NUMERIC) {
      sum += load<f64>(term, 8) * (x != x ? load<f64>(term, 16) : <f64>x);
    } else if (x != x) {
      sum += load<f64>(term, 16);
    } else {
      // Any float is a safe input: only exact integer codes in range index the table.
      const count = load<i32>(term, 28);
      if (x >= 0 && x < <f32>count) {
        const code = <i32>x;
        if (<f32>code == x) sum += load<f64>(load<usize>(term, 24) + (<usize>code << 3));
      }
    }
  }
  return sum;
}

export function linearMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  for (let r = 0; r < n; r++) {
    store<f32>(out + (<usize>r << 2), <f32>linearMarginRow(model, rows + <usize>(r * strideBytes)));
  }
}
