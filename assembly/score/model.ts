// The common model header every scoring kernel starts from.
//
// A model table is placed in linear memory by the TypeScript layout
// (src/runtime/layout.ts). Its first 32 bytes are the same for every kind:
//   +0  kind       i32   MODEL_LINEAR | MODEL_SCORECARD | MODEL_TREES | ...
//   +4  nGroups    i32   margins per row (classes for multi-class trees)
//   +8  transform  i32   TRANSFORM_* applied to margins by modelTransform
//   +12 nOutputs   i32   values per row after the transform
//   +16 transform parameters: f64 scale at +16, f64 offset at +24
//       (TRANSFORM_SCALED_SIGMOID: sigmoid(scale * margin + offset); zero otherwise)
// Kind-specific fields start at +32. Pointers in tables are absolute.
// Kernels trust tables (the loader validated them) but never inputs: any f32
// bit pattern in a row is handled without reading out of bounds.
import { linearMargins } from "./linear";
import { adaptiveMargins } from "./adaptive";
import { treesMargins, treesTransform } from "./trees";
import { scorecardMargins } from "./scorecard";
import { sigmoid32, sigmoid64, softmaxInPlace, argmax32, exp32 } from "../shared/math";

export const MODEL_LINEAR: i32 = 1;
export const MODEL_SCORECARD: i32 = 2;
export const MODEL_TREES: i32 = 3;
export const MODEL_ADAPTIVE: i32 = 4;

export const TRANSFORM_IDENTITY: i32 = 0;
export const TRANSFORM_SIGMOID: i32 = 1;
export const TRANSFORM_SOFTMAX: i32 = 2;
export const TRANSFORM_ARGMAX: i32 = 3;
export const TRANSFORM_EXP: i32 = 4;
export const TRANSFORM_SCALED_SIGMOID: i32 = 5;

export const HEADER_KIND: usize = 0;
export const HEADER_GROUPS: usize = 4;
export const HEADER_TRANSFORM: usize = 8;
export const HEADER_OUTPUTS: usize = 12;
export const HEADER_SCALE: usize = 16;
export const HEADER_OFFSET: usize = 24;
export const HEADER_SIZE: usize = 32;

/** Raw margins for n rows (row i at rows + i*strideBytes) into out (n*nGroups f32). */
export function modelMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  const kind = load<i32>(model, HEADER_KIND);
  if (kind == MODEL_LINEAR) {
    linearMargins(model, rows, n, strideBytes, out);
  } else if (kind == MODEL_ADAPTIVE) {
    adaptiveMargins(model, rows, n, strideBytes, out);
  } else if (kind == MODEL_SCORECARD) {
    scorecardMargins(model, rows, n, strideBytes, out);
  } else if (kind == MODEL_TREES) {
    treesMargins(model, rows, n, strideBytes, out);
  } else {
    abort("unknown model kind");
  }
}

/** Applies the model's transform: margins (n*nGroups f32) -> out (n*nOutputs f32). May alias. */
export function modelTransform(model: usize, margins: usize, n: i32, out: usize): void {
  // Tree ensembles use XGBoost's own float32 recipes for their transforms.
  if (load<i32>(model, HEADER_KIND) == MODEL_TREES) {
    treesTransform(model, margins, n, out);
    return;
  }
  const transform = load<i32>(model, HEADER_TRANSFORM);
  const groups = load<i32>(model, HEADER_GROUPS);
  const total = n * groups;
  if (transform == TRANSFORM_IDENTITY) {
    if (out != margins) memory.copy(out, margins, <usize>total << 2);
  } else if (transform == TRANSFORM_SIGMOID) {
    for (let i = 0; i < total; i++) {
      store<f32>(out + (<usize>i << 2), sigmoid32(load<f32>(margins + (<usize>i << 2))));
    }
  } else if (transform == TRANSFORM_EXP) {
    for (let i = 0; i < total; i++) {
      store<f32>(out + (<usize>i << 2), exp32(load<f32>(margins + (<usize>i << 2))));
    }
  } else if (transform == TRANSFORM_SCALED_SIGMOID) {
    // Scorecard odds scaling: scale = ln 2 / pdo, offset = ln(baseOdds) - baseScore * scale.
    const scale = load<f64>(model, HEADER_SCALE);
    const offset = load<f64>(model, HEADER_OFFSET);
    for (let i = 0; i < total; i++) {
      const z = scale * <f64>load<f32>(margins + (<usize>i << 2)) + offset;
      store<f32>(out + (<usize>i << 2), <f32>sigmoid64(z));
    }
  } else if (transform == TRANSFORM_SOFTMAX) {
    if (out != margins) memory.copy(out, margins, <usize>total << 2);
    for (let r = 0; r < n; r++) softmaxInPlace(out + (<usize>(r * groups) << 2), groups);
  } else if (transform == TRANSFORM_ARGMAX) {
    // out may alias margins: row r's class is written at r, which is <= r*groups.
    for (let r = 0; r < n; r++) {
      store<f32>(out + (<usize>r << 2), <f32>argmax32(margins + (<usize>(r * groups) << 2), groups));
    }
  } else {
    abort("unknown transform");
  }
}
