#!/usr/bin/python3
"""Trained models of the demo bundles (models/<name>/).

Run with Debian's python3 (xgboost 1.7.4 + numpy from apt: `apt-get install python3-xgboost`):

    /usr/bin/python3 scripts/gen-demo-models.py

Writes models/telco/churn.json: the telco churn model, XGBoost binary:logistic,
300 trees of depth at most 6, trained on 80,000 seeded synthetic telco
customers (the recipe below; scripts/demo-population.mjs draws customers from
the same distributions for the sample requests, the benchmarks and the
learning simulation). The label is "left within 12 months", drawn from a known
log-odds so the model has something real to find: contract type and the
months left on it, tenure, price, network quality (dropped calls), support
contacts and their interaction, late payments, an ageing handset, how many
lines and whether the household also has home broadband, survey scores
(missing for most customers), app engagement (missing for those who never
logged in) and a recent bill increase. The plan itself drives the truth but
is not a model input (its price is): XGBoost's categorical splits would send
every tree through the kernel's general walk instead of its branch-free
complete-tree path (src/models/trees.ts), several times slower for one row.

Everything is deterministic for a given xgboost version (seeded data, nthread=1).
After running it, `npm run models` rebuilds the bundles that embed the model.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'models', 'telco', 'churn.json')

PLANS = ['prepaid', 'basic', 'standard', 'unlimited', 'family']
FEATURES = [
    'tenure_months', 'contract_term_months', 'months_to_contract_end', 'monthly_charges', 'num_lines',
    'data_usage_pct', 'dropped_calls_30d', 'support_calls_90d', 'late_payments_12m', 'device_age_months',
    'has_home_broadband', 'nps', 'days_since_app_login', 'age', 'bill_increase_pct',
]


def telco_customers(rng, n):
    """Synthetic telco customers (columns in FEATURES order, NaN = missing) and their true churn log-odds."""
    plan = rng.choice(len(PLANS), n, p=[0.2, 0.25, 0.25, 0.18, 0.12])
    prepaid = plan == 0
    family = plan == 4
    tenure = np.clip(np.round(rng.gamma(1.6, 20.0, n)), 0, 120)
    term = rng.choice([0, 12, 24], n, p=[0.3, 0.25, 0.45]).astype(float)
    term[prepaid] = 0
    left = np.floor(rng.random(n) * np.maximum(term, 1))
    left[term == 0] = np.nan
    lines = np.where(family, rng.integers(2, 6, n), np.where(rng.random(n) < 0.1, 2, 1)).astype(float)
    price = np.array([15.0, 25.0, 40.0, 60.0, 70.0])[plan] + 9.0 * (lines - 1) * family + rng.normal(0, 8, n)
    price = np.round(np.clip(price, 5, None), 2)
    usage = np.round(np.clip(130 * rng.beta(2.0, 2.5, n), 0, 200), 1)
    bad_coverage = rng.random(n) < 0.08
    dropped = (rng.poisson(1.2, n) + bad_coverage * rng.poisson(7, n)).astype(float)
    support = (rng.poisson(0.6, n) + bad_coverage * rng.poisson(1.5, n)).astype(float)
    late = rng.poisson(0.3, n).astype(float)
    device_age = np.clip(np.round(rng.gamma(2.0, 10.0, n)), 0, 84)
    broadband = (rng.random(n) < 0.35).astype(float)
    nps = np.where(rng.random(n) < 0.4, np.clip(np.round(rng.normal(7, 2.2, n)), 0, 10), np.nan)
    login = np.where(rng.random(n) < 0.25, np.nan, np.clip(np.round(rng.exponential(10, n)), 0, 365))
    age = np.clip(np.round(rng.normal(42, 14, n)), 18, 90)
    increase = np.where(rng.random(n) < 0.15, rng.uniform(10, 60, n), rng.normal(0, 5, n))
    increase = np.round(increase, 1)

    logit = (-2.3
             + 1.1 * (term == 0) - 0.5 * (term == 24)
             + 0.9 * ((left <= 2) & (term > 0))
             - 0.035 * np.minimum(tenure, 60)
             + 0.025 * (price - 45)
             + 0.2 * np.minimum(dropped, 12)
             + 0.35 * support
             + 0.8 * ((support >= 3) & (dropped >= 5))
             + 0.3 * late
             + 0.02 * np.maximum(device_age - 24, 0)
             - 0.25 * (lines - 1)
             - 0.6 * broadband
             - 0.18 * np.nan_to_num(nps - 7, nan=0.0)
             + np.where(np.isnan(login), 0.5, 0.015 * np.minimum(np.nan_to_num(login), 90))
             + 0.015 * np.maximum(increase, 0)
             + np.array([0.5, 0.2, 0.0, -0.2, -0.4])[plan]
             - 0.01 * (age - 40))
    X = np.stack([tenure, term, left, price, lines, usage, dropped, support, late, device_age,
                  broadband, nps, login, age, increase], 1).astype(np.float32)
    return X, logit


def auc(y, p):
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


def main():
    rng = np.random.default_rng(20260115)
    X, logit = telco_customers(rng, 80_000)
    y = (rng.random(len(logit)) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    Xh, logit_h = telco_customers(rng, 20_000)
    yh = (rng.random(len(logit_h)) < 1 / (1 + np.exp(-logit_h))).astype(np.float32)

    def dmatrix(data, label=None):
        return xgb.DMatrix(data, label=label, feature_names=FEATURES, nthread=1)

    params = {
        'objective': 'binary:logistic', 'eval_metric': 'auc', 'tree_method': 'hist', 'max_depth': 6, 'eta': 0.05,
        'subsample': 0.8, 'colsample_bytree': 0.9, 'min_child_weight': 5,
        'nthread': 1, 'seed': 7,
    }
    booster = xgb.train(params, dmatrix(X, y), 300)
    p = booster.predict(dmatrix(Xh))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    booster.save_model(OUT)
    trees = json.load(open(OUT))['learner']['gradient_booster']['model']['trees']
    depth = max(tree_depth(t) for t in trees)
    print(f'{os.path.relpath(OUT, ROOT)}: {len(trees)} trees, max depth {depth}, '
          f'churn rate {y.mean():.3f}, holdout AUC {auc(yh, p):.4f} (true log-odds: {auc(yh, logit_h):.4f}), '
          f'xgboost {xgb.__version__}', file=sys.stderr)


def tree_depth(t):
    left, right = t['left_children'], t['right_children']
    best, stack = 0, [(0, 0)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if left[node] != -1:
            stack += [(left[node], d + 1), (right[node], d + 1)]
    return best


if __name__ == '__main__':
    main()
