#!/usr/bin/python3
"""XGBoost's own CPU predictor as a benchmark peer (run by bench/suites/trees.bench.mjs).

usage: xgboost_trees.py MODEL ROWS_F32 NUM_FEATURES BATCH_REPEATS SINGLE_CALLS
Prints one JSON object: batch rows/s of inplace_predict and of DMatrix predict (DMatrix
construction included, as a caller pays it), single-row inplace_predict latency p50/p99 in
microseconds, and the first 16 margins (so the suite can check it scored the same model).
Single thread (nthread=1).
"""
import gzip
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    model_path, rows_path, nf, repeats, single = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    raw = open(model_path, 'rb').read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    b = xgb.Booster()
    b.load_model(bytearray(raw))
    b.set_param({'nthread': 1})
    X = np.fromfile(rows_path, dtype='<f4').reshape(-1, nf)
    n = X.shape[0]
    names = b.feature_names

    def best_rate(fn):
        fn()  # warm-up
        best = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best = max(best, n / dt)
        return best

    inplace = best_rate(lambda: b.inplace_predict(X, predict_type='margin'))
    dmat = best_rate(lambda: b.predict(xgb.DMatrix(X, feature_names=names, nthread=1), output_margin=True))
    lat = []
    rows = [X[i:i + 1] for i in range(min(n, 1000))]
    for i in range(min(single, 2000)):
        b.inplace_predict(rows[i % len(rows)])
    for i in range(single):
        r = rows[i % len(rows)]
        t0 = time.perf_counter_ns()
        b.inplace_predict(r)
        lat.append(time.perf_counter_ns() - t0)
    lat.sort()
    margins = b.inplace_predict(X[:16], predict_type='margin')
    print(json.dumps({
        'xgboost': xgb.__version__,
        'inplace_rows_per_s': inplace,
        'dmatrix_rows_per_s': dmat,
        'single_p50_us': lat[len(lat) // 2] / 1000,
        'single_p99_us': lat[int(len(lat) * 0.99)] / 1000,
        'margins16': [float(x) for x in margins.reshape(-1)],
    }))


if __name__ == '__main__':
    main()
