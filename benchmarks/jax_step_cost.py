"""What XLA's compiled training step of a peer workload reads and writes, on the JAX engine: a
measure that load does not disturb.

    python benchmarks/jax_step_cost.py                      # imdb_lstm
    python benchmarks/jax_step_cost.py --workload mnist_mlp --top 12

The workload's model (`peer_bench`) is fitted for one epoch on a few batches; its training
step is then compiled for a full batch and the script prints XLA's cost analysis of the step
(flops, bytes accessed) and, for the largest arrays of the step (by default those of the
largest weight: the 20000x128 embedding table of imdb_lstm), every top-level operation of the
compiled program that makes one, with the bytes it reads and writes. Each such operation is
one pass over the array in memory (a fusion reading three operands of that size and writing
one makes four).
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# This checkout's cornu, not another one installed in the environment.
sys.path[:0] = [HERE, os.path.dirname(HERE)]
os.environ['CORNU_BACKEND'] = 'jax'

import numpy as np  # noqa: E402

from peer_bench.workloads import WORKLOADS, build_keras_model, make_data, sized  # noqa: E402

def compiled_train_step(workload, batches=4):
    """The compiled training step of `workload` (a `peer_bench` name) and its first batch's
    weights: `(compiled, weight_shapes)`."""
    from cornu.backend.jax.steps import _real_count
    spec = sized(WORKLOADS[workload], samples=batches * WORKLOADS[workload].batch_size)
    data = make_data(spec)
    np.random.seed(0)
    # One compiled call per step (a small model's steps would otherwise run in groups).
    model = build_keras_model(spec, 'cornu', {'steps_per_execution': 1})
    model.fit(data['x'], data['targets'], batch_size=spec.batch_size, epochs=1, verbose=0)
    step = model._trainer._train_step
    plan, = step._plans.values()
    rows = slice(0, spec.batch_size)
    x = data['x'][rows]
    if x.dtype.kind in 'iu':
        # Token ids reach the step as the model's (float) input, as `fit` feeds them.
        x = x.astype('float32')
    args = ([x], [data['targets'][rows]], [None], None, _real_count(spec.batch_size))
    lowered = plan.compiled.lower(*step._values(plan), args)
    return lowered.compile(), [tuple(w.shape) for w in model.get_weights()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workload', default='imdb_lstm', choices=list(WORKLOADS))
    parser.add_argument('--top', type=int, default=20, help='operations listed at most')
    args = parser.parse_args()
    compiled, shapes = compiled_train_step(args.workload)
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    print('%s train step: %.3f GFLOP, %.1f MB accessed (XLA cost analysis)'
          % (args.workload, cost['flops'] / 1e9, cost['bytes accessed'] / 1e6))
    largest = max(shapes, key=lambda s: int(np.prod(s)))
    marker = '[%s]' % ','.join(map(str, largest))
    text = compiled.as_text()
    entry = text[text.index('\nENTRY'):]
    shapes_of = dict(re.findall(r'%([\w.-]+) = (\S+\[[0-9,]*\])', entry))
    passes, listed = 0, 0
    print('Operations making an array of shape %s (the largest weight):' % (largest,))
    for line in entry.split('\n'):
        match = re.match(r'\s*(?:ROOT )?%(\S+) = (\S+\[[0-9,]*\])\S* (\w[\w-]*)\((.*?)\)', line)
        if not match or marker not in match.group(2) or match.group(3) == 'parameter':
            continue
        name = match.group(1)
        reads = [o for o in re.findall(r'%([\w.-]+)', match.group(4))
                 if marker in shapes_of.get(o, '')]
        if 'scatter' in name:
            # Updated in place: only the scattered rows are touched.
            note = 'in place (the scattered rows only)'
        else:
            passes += len(reads) + 1
            note = 'reads %d and writes 1: %s' % (len(reads), ', '.join(reads) or '-')
        if listed < args.top:
            listed += 1
            print('  %-28s %-8s %s' % (name, match.group(3), note))
    print('%d whole passes over arrays of %.1f MB' % (passes, int(np.prod(largest)) * 4 / 1e6))


if __name__ == '__main__':
    main()
