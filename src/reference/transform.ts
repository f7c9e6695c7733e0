/**
 * Plain-TypeScript twin of modelTransform (assembly/score/model.ts): margins
 * of one row -> the model's outputs, with the same f64 arithmetic and one
 * rounding to f32 per output; tree ensembles go to their own twin
 * (src/reference/trees.ts). (The kernel's exp is AssemblyScript's libm,
 * which can differ from V8's in the last bit of a double; rounded to f32 the
 * outputs agree except with a probability of about 2^-29 per value.)
 */
import type { ModelTable } from '../models/registry.js';
import { scalingCoefficients } from '../models/scorecard.js';
import { referenceTreesTransform } from './trees.js';

export function referenceTransform(t: ModelTable, margins: Float32Array): Float32Array {
  // Tree ensembles use XGBoost's float32 recipes (as the kernel does).
  if (t.kind === 'trees') return referenceTreesTransform(t, margins, 1);
  const g = t.nGroups;
  switch (t.transform) {
    case 'identity':
      return Float32Array.from(margins.subarray(0, g));
    case 'sigmoid':
      return Float32Array.from(margins.subarray(0, g), (x) => 1 / (1 + Math.exp(-x)));
    case 'exp':
      return Float32Array.from(margins.subarray(0, g), (x) => Math.exp(x));
    case 'scaledSigmoid': {
      const s = t.kind === 'scorecard' ? t.scaling : undefined;
      const { scale, offset } = s ? scalingCoefficients(s) : { scale: 0, offset: 0 };
      return Float32Array.from(margins.subarray(0, g), (x) => 1 / (1 + Math.exp(-(scale * x + offset))));
    }
    case 'softmax': {
      let wmax = margins[0]!;
      for (let i = 1; i < g; i++) if (margins[i]! > wmax) wmax = margins[i]!;
      let sum = 0;
      for (let i = 0; i < g; i++) sum += Math.exp(Math.fround(margins[i]! - wmax));
      return Float32Array.from(margins.subarray(0, g), (x) => Math.exp(Math.fround(x - wmax)) / sum);
    }
    case 'argmax': {
      let best = 0;
      let bestV = margins[0]!;
      for (let i = 1; i < g; i++) {
        const v = margins[i]!;
        if (v > bestV || (bestV !== bestV && v === v)) {
          best = i;
          bestV = v;
        }
      }
      return Float32Array.of(best);
    }
  }
}
