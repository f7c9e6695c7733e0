#!/usr/bin/python3
"""XGBoost JSON models -> ONNX TreeEnsembleRegressor graphs, for the onnxruntime-node peer
of the tree benchmark (bench/suites/trees.bench.mjs).

Run with Debian's python3 (onnx and xgboost from apt: `apt-get install python3-onnx python3-xgboost`):

    /usr/bin/python3 scripts/xgb-to-onnx.py            # writes bench/fixtures/bench_300x6.onnx.gz, bench_500x8.onnx.gz

There is no onnxmltools here, so the graph is built with onnx.helper from the model's own
JSON (save_model of XGBoost 1.7 or 2.x), the way onnxmltools lays out XGBoost trees:
one `ai.onnx.ml` TreeEnsembleRegressor (opset 3) with `BRANCH_LT` nodes (`x < threshold` is
the true branch = XGBoost's left child), `nodes_missing_value_tracks_true` = XGBoost's
`default_left`, leaf weights as targets, the objective's base margin as `base_values`, and
`post_transform` NONE: the graph computes raw margins, like `Model.margin` and XGBoost's
`output_margin=True`. (onnxmltools would emit a TreeEnsembleClassifier with a LOGISTIC post
transform for binary:logistic; ONNX Runtime evaluates both with the same tree code, so the
speed is the same.) Input `input` float [N, numFeatures], output `margin` float [N, 1].

Supported: gbtree models with one output group and numerical splits; objectives
binary:logistic, reg:logistic (base margin = logit(base_score) in float32), binary:logitraw and
reg:squarederror (base margin = base_score). Anything else is refused with a message.

Before writing, the script checks the graph (onnx.checker) and evaluates the written
attribute arrays with a small walker on the fixture's rows (test/fixtures/xgb/<name>.rows.f32),
summing in float32 the way ONNX Runtime does (trees in order, then the base value), against
XGBoost's own margins (<name>.margin.f32): the max difference is printed and must be tiny.
The output is gzipped and deterministic (fixed gzip mtime).
"""
import gzip
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'xgb')
OUT = os.path.join(ROOT, 'bench', 'fixtures')
MODELS = ['bench_300x6', 'bench_500x8']
LOGIT_OBJECTIVES = {'binary:logistic', 'reg:logistic'}
IDENTITY_OBJECTIVES = {'binary:logitraw', 'reg:squarederror'}


def fail(msg):
    sys.exit(f'xgb-to-onnx: {msg}')


def base_margin(learner):
    objective = learner['objective']['name']
    raw = learner['learner_model_param']['base_score']
    text = raw.strip('[]')
    if ',' in text:
        fail(f'base_score {raw} has several values; only single-output models are supported')
    p = np.float32(float(text))
    if objective in LOGIT_OBJECTIVES:
        one = np.float32(1.0)
        return np.float32(-np.log(one / p - one))
    if objective in IDENTITY_OBJECTIVES:
        return p
    fail(f'objective {objective} is not supported (supported: {sorted(LOGIT_OBJECTIVES | IDENTITY_OBJECTIVES)})')


def convert(model_json):
    learner = model_json['learner']
    booster = learner['gradient_booster']
    if booster['name'] != 'gbtree':
        fail(f'booster {booster["name"]} is not supported (gbtree only)')
    model = booster['model']
    if any(g != 0 for g in model['tree_info']):
        fail('several output groups (multi-class) are not supported')
    nf = int(learner['learner_model_param']['num_feature'])
    a = {k: [] for k in ['treeids', 'nodeids', 'featureids', 'modes', 'values', 'true', 'false', 'missing']}
    t = {k: [] for k in ['treeids', 'nodeids', 'weights']}
    for tid, tree in enumerate(model['trees']):
        left, right = tree['left_children'], tree['right_children']
        if any(st != 0 for st in tree.get('split_type', [])):
            fail(f'tree {tid} has categorical splits, which TreeEnsembleRegressor cannot express as XGBoost does')
        # Only the nodes reachable from the root, in id order (deleted nodes are skipped).
        reachable, stack = set(), [0]
        while stack:
            n = stack.pop()
            if n in reachable or not 0 <= n < len(left):
                fail(f'tree {tid}: node {n} is out of range or reached twice')
            reachable.add(n)
            if left[n] != -1:
                stack += [left[n], right[n]]
        for n in sorted(reachable):
            leaf = left[n] == -1
            a['treeids'].append(tid)
            a['nodeids'].append(n)
            a['featureids'].append(0 if leaf else tree['split_indices'][n])
            a['modes'].append('LEAF' if leaf else 'BRANCH_LT')
            a['values'].append(0.0 if leaf else float(tree['split_conditions'][n]))
            a['true'].append(0 if leaf else left[n])
            a['false'].append(0 if leaf else right[n])
            a['missing'].append(0 if leaf else int(tree['default_left'][n]))
            if leaf:
                t['treeids'].append(tid)
                t['nodeids'].append(n)
                t['weights'].append(float(tree['split_conditions'][n]))
    node = helper.make_node(
        'TreeEnsembleRegressor', ['input'], ['margin'], domain='ai.onnx.ml', name='trees',
        n_targets=1, aggregate_function='SUM', post_transform='NONE',
        base_values=[float(base_margin(learner))],
        nodes_treeids=a['treeids'], nodes_nodeids=a['nodeids'], nodes_featureids=a['featureids'],
        nodes_modes=a['modes'], nodes_values=a['values'],
        nodes_truenodeids=a['true'], nodes_falsenodeids=a['false'],
        nodes_missing_value_tracks_true=a['missing'],
        target_treeids=t['treeids'], target_nodeids=t['nodeids'],
        target_ids=[0] * len(t['weights']), target_weights=t['weights'],
    )
    graph = helper.make_graph(
        [node], 'xgboost_trees',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', nf])],
        [helper.make_tensor_value_info('margin', TensorProto.FLOAT, ['N', 1])],
    )
    onnx_model = helper.make_model(
        graph, producer_name='nextbest scripts/xgb-to-onnx.py', producer_version='1',
        opset_imports=[helper.make_opsetid('', 15), helper.make_opsetid('ai.onnx.ml', 3)],
    )
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model, nf


def attributes(onnx_model):
    return {at.name: helper.get_attribute_value(at) for at in onnx_model.graph.node[0].attribute}


def walk(onnx_model, rows):
    """Margins of the written graph: trees in order, float32 sums, then the base value (ORT's order)."""
    at = attributes(onnx_model)
    key = lambda tid, nid: (tid << 32) | nid
    index = {key(tid, nid): i for i, (tid, nid) in enumerate(zip(at['nodes_treeids'], at['nodes_nodeids']))}
    weight = {key(tid, nid): np.float32(w) for tid, nid, w in zip(at['target_treeids'], at['target_nodeids'], at['target_weights'])}
    values = np.array(at['nodes_values'], dtype=np.float32)
    roots = sorted(set(at['nodes_treeids']))
    out = np.empty(rows.shape[0], dtype=np.float32)
    for r, x in enumerate(rows):
        s = np.float32(0)
        for tid in roots:
            i = index[key(tid, 0)]
            while at['nodes_modes'][i] != b'LEAF':
                v = x[at['nodes_featureids'][i]]
                go_true = v < values[i] or (np.isnan(v) and at['nodes_missing_value_tracks_true'][i] == 1)
                nxt = at['nodes_truenodeids'][i] if go_true else at['nodes_falsenodeids'][i]
                i = index[key(tid, nxt)]
            s = np.float32(s + weight[key(tid, at['nodes_nodeids'][i])])
        out[r] = np.float32(s + np.float32(at['base_values'][0]))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in MODELS:
        with gzip.open(os.path.join(FIXTURES, f'{name}.json.gz'), 'rt') as f:
            model_json = json.load(f)
        onnx_model, nf = convert(model_json)
        rows = np.fromfile(os.path.join(FIXTURES, f'{name}.rows.f32'), dtype='<f4').reshape(-1, nf)
        want = np.fromfile(os.path.join(FIXTURES, f'{name}.margin.f32'), dtype='<f4')
        got = walk(onnx_model, rows)
        diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
        exact = int(np.sum(got.view(np.uint32) == want.view(np.uint32)))
        if not diff <= 1e-4:
            fail(f'{name}: the graph disagrees with XGBoost\'s margins (max difference {diff})')
        data = onnx_model.SerializeToString()
        path = os.path.join(OUT, f'{name}.onnx.gz')
        with open(path, 'wb') as f:
            f.write(gzip.compress(data, compresslevel=9, mtime=0))
        nodes = len(attributes(onnx_model)['nodes_treeids'])
        print(f'{os.path.relpath(path, ROOT)}: {len(data)} bytes ({os.path.getsize(path)} gzipped), {nodes} nodes; '
              f'{len(rows)} fixture rows: {exact} margins bitwise equal to XGBoost\'s, max difference {diff:.3g}')


if __name__ == '__main__':
    main()
