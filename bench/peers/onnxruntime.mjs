/**
 * onnxruntime-node as an optional benchmark peer (bench/suites/trees.bench.mjs).
 *
 * It is a devDependency whose CPU binary ships inside the npm package; its
 * postinstall only downloads CUDA providers (denied in package.json's
 * allowScripts; with an npm that ignores allowScripts, install with
 * ONNXRUNTIME_NODE_INSTALL=skip). When it is missing or its native binding
 * does not load on this platform, the suite skips it with the reason.
 *
 * Sessions run single-threaded (intra- and inter-op pools of 1, sequential),
 * like XGBoost's nthread=1 peer and our single-thread kernels.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** { ort, version } or { skipped: reason }. */
export async function loadOnnxRuntime() {
  let ort;
  try {
    ort = (await import('onnxruntime-node')).default;
  } catch (e) {
    const missing = e?.code === 'ERR_MODULE_NOT_FOUND' && /onnxruntime-node/.test(String(e.message));
    return {
      skipped: missing
        ? 'onnxruntime-node is not installed (a devDependency: `npm ci`; with an npm that ignores allowScripts, set ONNXRUNTIME_NODE_INSTALL=skip)'
        : `onnxruntime-node did not load on ${process.platform}/${process.arch}: ${String(e?.message ?? e).split('\n')[0]}`,
    };
  }
  return { ort, version: ort.env?.versions?.node ?? 'unknown' };
}

/** A single-threaded session for a gzipped .onnx file (bench/fixtures/, made by scripts/xgb-to-onnx.py). */
export async function onnxSession(ort, gzPath) {
  return ort.InferenceSession.create(gunzipSync(readFileSync(gzPath)), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
