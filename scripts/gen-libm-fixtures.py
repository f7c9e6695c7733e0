#!/usr/bin/python3
"""glibc's expf and logf on float32 inputs (test/fixtures/libm/), the functions XGBoost calls.

    /usr/bin/python3 scripts/gen-libm-fixtures.py

Writes expf.f32 and logf.f32: pairs (input, glibc result) as float32 little-endian. The inputs
are seeded random values over the ranges the transforms and base_score links use, plus edges.
test/models/libm32.test.ts checks src/models/libm32.ts (and through the kernels, AssemblyScript's
Mathf) against them bit for bit.
"""
import ctypes
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'libm')
libm = ctypes.CDLL('libm.so.6')
for f in (libm.expf, libm.logf):
    f.restype = ctypes.c_float
    f.argtypes = [ctypes.c_float]


def write(name, fn, xs):
    xs = np.asarray(xs, np.float32)
    ys = np.array([fn(float(x)) for x in xs], np.float32)
    np.stack([xs, ys], 1).astype('<f4').tofile(os.path.join(OUT, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(17)
    edges = [0, -0.0, 1, -1, 88.0, 88.7, 88.72, 88.73, -87.3, -103.9, -104, -110, 100, np.inf, -np.inf, np.nan, 1e-30, -1e-30]
    write('expf.f32', libm.expf, np.concatenate([edges, rng.uniform(-110, 95, 3000), rng.standard_normal(3000) * 4]))
    ledges = [1, 0.5, 2, 1e-45, 1e-40, 1.1754944e-38, 3.4028235e38, 0, -0.0, -1, np.inf, np.nan]
    write('logf.f32', libm.logf, np.concatenate([ledges, rng.uniform(0, 1, 3000), np.abs(rng.standard_normal(3000)) * 50,
                                                 np.exp(rng.uniform(-80, 80, 1000))]))


if __name__ == '__main__':
    main()
