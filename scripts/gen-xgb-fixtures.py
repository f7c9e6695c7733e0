#!/usr/bin/python3
"""Parity fixtures for the XGBoost importer (test/fixtures/xgb/).

Run with Debian's python3 (xgboost 1.7.4 + numpy from apt: `apt-get install python3-xgboost`):

    /usr/bin/python3 scripts/gen-xgb-fixtures.py

Trains small models on seeded synthetic "customer" data and writes, per case:
  <case>.json / <case>.ubj        the model, saved by XGBoost itself (save_model)
  <case>.rows.f32                 input rows, float32 little-endian, row-major, NaN = missing
  <case>.margin.f32               XGBoost's predict(output_margin=True) on a fresh DMatrix
  <case>.pred.f32                 XGBoost's predict() (transformed)
and manifest.json describing every case. The big benchmark models are stored gzipped.
Everything is deterministic for a given xgboost version (seeded data, nthread=1).
"""
import gzip
import json
import os
import sys

import numpy as np
import xgboost as xgb

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'xgb')

NUMERIC = [
    'tenure_months', 'monthly_charges', 'total_spend', 'support_calls_90d', 'age',
    'days_since_login', 'num_products', 'discount_pct', 'late_payments_12m', 'data_usage_gb',
]
CATEGORICAL = {'plan': 5, 'region': 40}


def customers(rng, n, missing=0.0, categorical=False):
    """Synthetic customers: numeric features (+ optional category codes), labels from a known score."""
    tenure = rng.gamma(2.0, 18.0, n)
    charges = rng.normal(65, 20, n).clip(10, None)
    spend = tenure * charges * rng.uniform(0.8, 1.2, n)
    calls = rng.poisson(1.5, n).astype(float)
    age = rng.normal(45, 14, n).clip(18, 95).round()
    login = rng.exponential(12, n).round()
    products = rng.integers(1, 6, n).astype(float)
    discount = rng.choice([0, 0, 5, 10, 15, 25], n).astype(float)
    late = rng.poisson(0.6, n).astype(float)
    usage = rng.lognormal(2.5, 0.8, n)
    cols = [tenure, charges, spend, calls, age, login, products, discount, late, usage]
    score = (-0.03 * tenure + 0.02 * (charges - 65) + 0.35 * calls + 0.05 * login
             - 0.25 * products + 0.4 * late - 0.02 * discount)
    names = list(NUMERIC)
    types = ['q'] * len(NUMERIC)
    if categorical:
        plan = rng.integers(0, CATEGORICAL['plan'], n).astype(float)
        region = rng.integers(0, CATEGORICAL['region'], n).astype(float)
        score = score + np.array([0.6, -0.4, 0.0, 0.9, -0.8])[plan.astype(int)]
        score = score + np.where(region.astype(int) % 3 == 0, 0.7, -0.3) + np.where(region > 30, 0.5, 0.0)
        cols += [plan, region]
        names += ['plan', 'region']
        types += ['c', 'c']
    X = np.stack(cols, 1).astype(np.float32)
    if missing > 0:
        mask = rng.random(X.shape) < missing
        X[mask] = np.nan
    return X, score.astype(np.float64), names, types


def f32_below(v):
    return np.nextafter(np.float32(v), np.float32(-np.inf), dtype=np.float32)


def edge_rows(model_json, F, rng, base_rows, max_threshold_rows):
    """All missing, all zero, +-1e9, and rows that sit exactly on split thresholds and one float32 below."""
    rows = [np.full(F, np.nan, np.float32), np.zeros(F, np.float32), np.full(F, 1e9, np.float32),
            np.full(F, -1e9, np.float32), np.full(F, -0.0, np.float32)]
    trees = model_json['learner']['gradient_booster']
    trees = (trees['gbtree'] if trees['name'] == 'dart' else trees)['model']['trees']
    splits = []
    for t in trees:
        for nid, (l, f, c, st) in enumerate(zip(t['left_children'], t['split_indices'], t['split_conditions'],
                                                t.get('split_type', [0] * len(t['left_children'])))):
            if l != -1 and st == 0:
                splits.append((f, np.float32(c)))
    rng.shuffle(splits)
    for f, c in splits[:max_threshold_rows]:
        base = base_rows[rng.integers(0, len(base_rows))].copy()
        on = base.copy()
        on[f] = c
        below = base.copy()
        below[f] = f32_below(c)
        rows += [on, below]
        # the whole row on thresholds of the same feature value (exercises several nodes at once)
        allon = np.full(F, c, np.float32)
        rows.append(allon)
    return np.stack(rows).astype(np.float32)


def dmatrix(X, types=None, label=None, names=None):
    if types is not None and 'c' in types:
        return xgb.DMatrix(X, label=label, feature_names=names, feature_types=types, enable_categorical=True, nthread=1)
    return xgb.DMatrix(X, label=label, feature_names=names, nthread=1)


def write_f32(path, a):
    np.ascontiguousarray(a, dtype='<f4').tofile(path)


def save_case(manifest, name, booster, X_eval, types, objective, note, gz=False, extra=None):
    json_path = os.path.join(OUT, name + '.json')
    ubj_path = os.path.join(OUT, name + '.ubj')
    booster.save_model(json_path)
    booster.save_model(ubj_path)
    model_json = json.load(open(json_path))
    rng = np.random.default_rng(len(name))
    rows = np.concatenate([X_eval, edge_rows(model_json, X_eval.shape[1], rng, X_eval, 60 if not gz else 40)])
    names = booster.feature_names
    margin = booster.predict(dmatrix(rows, types, names=names), output_margin=True)
    pred = booster.predict(dmatrix(rows, types, names=names))
    # The in-place predictor must agree with DMatrix prediction (same kernels); check it here.
    # Not for dart: 1.7's in-place dart path scales (base + leaf - base) instead of the leaf, so
    # it differs from DMatrix prediction in the last bits; DMatrix prediction is the reference.
    if 'c' not in (types or []) and booster.save_config().find('"name":"dart"') < 0:
        inplace = booster.inplace_predict(rows, predict_type='margin')
        assert np.array_equal(inplace.view(np.uint32), margin.view(np.uint32)), name
    files = {}
    for kind, path in (('json', json_path), ('ubj', ubj_path)):
        if gz:
            data = open(path, 'rb').read()
            with gzip.GzipFile(path + '.gz', 'wb', mtime=0, compresslevel=9) as f:
                f.write(data)
            os.remove(path)
            path = path + '.gz'
        files[kind] = os.path.basename(path)
    write_f32(os.path.join(OUT, name + '.rows.f32'), rows)
    write_f32(os.path.join(OUT, name + '.margin.f32'), margin)
    write_f32(os.path.join(OUT, name + '.pred.f32'), pred)
    g = margin.shape[1] if margin.ndim == 2 else 1
    outputs = pred.shape[1] if pred.ndim == 2 else 1
    entry = {
        'name': name, 'objective': objective, 'note': note, 'model': files,
        'rows': int(rows.shape[0]), 'features': int(rows.shape[1]), 'groups': int(g), 'outputs': int(outputs),
        'trees': len(model_json['learner']['gradient_booster'].get('gbtree', model_json['learner']['gradient_booster'])['model']['trees']),
        'xgboost': xgb.__version__,
    }
    if extra:
        entry.update(extra)
    manifest.append(entry)
    print(f'{name}: {entry["trees"]} trees, {entry["rows"]} rows', file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    manifest = []
    rng = np.random.default_rng(20240601)
    base = {'nthread': 1, 'seed': 7, 'tree_method': 'hist'}

    def binary_labels(score, rng):
        return (rng.random(len(score)) < 1 / (1 + np.exp(-(score - 1.0)))).astype(np.float32)

    # 1. binary:logistic, ~10% missing, explicit base_score
    X, s, names, types = customers(rng, 3000, missing=0.10)
    y = binary_labels(s, rng)
    d = dmatrix(X, label=y)
    d.feature_names = names
    b = xgb.train({**base, 'objective': 'binary:logistic', 'max_depth': 5, 'eta': 0.2, 'base_score': 0.3}, d, 40)
    Xe, _, _, _ = customers(rng, 500, missing=0.10)
    save_case(manifest, 'binary_missing', b, Xe, None, 'binary:logistic', '10% missing values, base_score=0.3, feature names')

    # 2. binary:logitraw with an explicit base_score (transformed to a margin like logistic)
    b = xgb.train({**base, 'objective': 'binary:logitraw', 'max_depth': 4, 'eta': 0.3, 'base_score': 0.4}, dmatrix(X, label=y), 30)
    save_case(manifest, 'binary_logitraw', b, Xe[:300], None, 'binary:logitraw', 'base_score=0.4, no names')

    # 3. reg:squarederror (default base_score 0.5)
    Xr, sr, _, _ = customers(rng, 3000, missing=0.05)
    yr = (sr * 10 + rng.normal(0, 2, len(sr)) + 40).astype(np.float32)
    b = xgb.train({**base, 'objective': 'reg:squarederror', 'max_depth': 6, 'eta': 0.2}, dmatrix(Xr, label=yr), 30)
    Xe, _, _, _ = customers(rng, 300, missing=0.05)
    save_case(manifest, 'regression', b, Xe, None, 'reg:squarederror', 'default base_score')

    # 4. reg:logistic on probabilities
    yp = (1 / (1 + np.exp(-(sr - 1.0)))).astype(np.float32)
    b = xgb.train({**base, 'objective': 'reg:logistic', 'max_depth': 4, 'eta': 0.2, 'base_score': 0.62}, dmatrix(Xr, label=yp), 40)
    save_case(manifest, 'reg_logistic', b, Xe, None, 'reg:logistic', 'base_score=0.62')

    # 5/6. 4-class softprob and softmax
    cls = np.digitize(sr + rng.normal(0, 0.5, len(sr)), np.quantile(sr, [0.25, 0.5, 0.75])).astype(np.float32)
    for obj in ('multi:softprob', 'multi:softmax'):
        b = xgb.train({**base, 'objective': obj, 'num_class': 4, 'max_depth': 4, 'eta': 0.3}, dmatrix(Xr, label=cls), 15)
        save_case(manifest, obj.replace(':', '_'), b, Xe, None, obj, '4 classes, tree_info interleaves groups')

    # 7. categorical features (partition splits on region, one-hot style on plan), with missing values
    Xc, s, names, types = customers(rng, 4000, missing=0.05, categorical=True)
    yc = binary_labels(s, rng)
    dc = dmatrix(Xc, types, label=yc)
    dc.feature_names = names
    b = xgb.train({**base, 'objective': 'binary:logistic', 'max_depth': 5, 'eta': 0.3, 'max_cat_to_onehot': 6}, dc, 40)
    Xe, _, _, _ = customers(rng, 400, missing=0.05, categorical=True)
    # out-of-range, negative, fractional and huge category codes
    odd = Xe[:40].copy()
    odd[:, -1] = np.array([-1, -0.5, -0.0, 0.5, 2.7, 39.9, 40, 41, 63, 64, 100, 1e6, 16777215, 16777216, 1e9,
                           3, 6, 9, 12, 31, 32, 33, 29.99, 30, 0, 1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 15, 16, 17, 18, 19],
                          np.float32)
    odd[:, -2] = np.array([-1, 0, 1, 2, 3, 4, 5, 6, 7, 4.5] * 4, np.float32)
    save_case(manifest, 'categorical', b, np.concatenate([Xe, odd]), types, 'binary:logistic',
              'categorical plan (5) and region (40), odd codes', extra={'categorical': [n for n, t in zip(names, types) if t == 'c']})

    # 8. a few other links: poisson, gamma, tweedie (log base_score, exp transform), pairwise ranking, dart
    ycount = rng.poisson(np.exp(np.clip(sr, -3, 3) * 0.5)).astype(np.float32)
    b = xgb.train({**base, 'objective': 'count:poisson', 'max_depth': 4, 'eta': 0.2}, dmatrix(Xr, label=ycount), 30)
    save_case(manifest, 'poisson', b, Xe[:, :10], None, 'count:poisson', 'log base_score, exp transform')
    ypos = np.exp(sr * 0.3 + rng.normal(0, 0.3, len(sr))).astype(np.float32)
    b = xgb.train({**base, 'objective': 'reg:gamma', 'max_depth': 4, 'eta': 0.2, 'base_score': 1.7}, dmatrix(Xr, label=ypos), 30)
    save_case(manifest, 'gamma', b, Xe[:200, :10], None, 'reg:gamma', 'base_score=1.7')
    b = xgb.train({**base, 'objective': 'reg:tweedie', 'max_depth': 3, 'eta': 0.2}, dmatrix(Xr, label=ycount), 20)
    save_case(manifest, 'tweedie', b, Xe[:200, :10], None, 'reg:tweedie', '')
    dr = dmatrix(Xr, label=np.clip(cls, 0, 3))
    dr.set_group([30] * 100)
    b = xgb.train({**base, 'objective': 'rank:pairwise', 'max_depth': 4, 'eta': 0.2}, dr, 20)
    save_case(manifest, 'rank_pairwise', b, Xe[:200, :10], None, 'rank:pairwise', '')
    b = xgb.train({**base, 'booster': 'dart', 'objective': 'binary:logistic', 'max_depth': 4, 'eta': 0.3,
                   'rate_drop': 0.3, 'skip_drop': 0.0, 'base_score': 0.45}, dmatrix(X, label=y), 30)
    save_case(manifest, 'dart', b, Xe[:300, :10], None, 'binary:logistic', 'dart: leaves scaled by weight_drop')

    # 9. the benchmark models: 300 trees of depth 6 and 500 trees of depth 8 (binary, 5% missing)
    Xb, s, names, _ = customers(rng, 20000, missing=0.05)
    yb = binary_labels(s, rng)
    db = dmatrix(Xb, label=yb)
    db.feature_names = names
    Xe, _, _, _ = customers(rng, 200, missing=0.05)
    b = xgb.train({**base, 'objective': 'binary:logistic', 'max_depth': 6, 'eta': 0.05, 'min_child_weight': 2}, db, 300)
    save_case(manifest, 'bench_300x6', b, Xe, None, 'binary:logistic', 'benchmark model', gz=True)
    b = xgb.train({**base, 'objective': 'binary:logistic', 'max_depth': 8, 'eta': 0.03, 'min_child_weight': 8,
                   'subsample': 0.8}, db, 500)
    save_case(manifest, 'bench_500x8', b, Xe[:120], None, 'binary:logistic', 'benchmark model', gz=True)

    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump({'generator': 'scripts/gen-xgb-fixtures.py', 'xgboost': xgb.__version__, 'cases': manifest}, f, indent=1)


if __name__ == '__main__':
    main()
