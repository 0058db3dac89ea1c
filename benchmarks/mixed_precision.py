"""`model.fit` throughput under `mixed_bfloat16` against float32, on each engine.

    python benchmarks/mixed_precision.py [--engines torch,jax] [--repeats N] [--policy P]

Each engine runs in a process of its own (the script runs itself with `--worker`), since
cornu picks its engine when imported. In each, every workload is built twice from the same
initial weights, under the float32 policy and under the mixed policy (`--policy`, default
`mixed_bfloat16`), trained for one untimed epoch (compilation, warm-up), then timed: the best
of `--repeats` one-epoch `fit`s (no shuffling). The table gives samples/s for both and their
ratio (above 1: mixed precision is faster), from wall time and from process CPU time (robust
to a busy machine).

Workloads:
- MLP 784-512-512-10 (relu, softmax), batch 128, RMSprop;
- a small CNN, mnist_cnn's shape on 28x28x1 inputs (Conv 32 3x3, Conv 64 3x3, max-pool,
  Dense 128, Dense 10), batch 128, Adadelta.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

RESULT_MARK = 'MIXED_PRECISION_RESULT '
WORKLOADS = [('mlp', 'MLP 784-512-512-10, batch 128', 6400),
             ('cnn', 'CNN mnist_cnn shape, batch 128', 1024)]


def build(name):
    from cornu import layers
    from cornu.models import Sequential
    if name == 'mlp':
        return Sequential([layers.Dense(512, activation='relu', input_shape=(784,)),
                           layers.Dense(512, activation='relu'),
                           layers.Dense(10, activation='softmax')]), 'rmsprop', (784,)
    return Sequential([layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)),
                       layers.Conv2D(64, 3, activation='relu'), layers.MaxPooling2D(),
                       layers.Flatten(), layers.Dense(128, activation='relu'),
                       layers.Dense(10, activation='softmax')]), 'adadelta', (28, 28, 1)


def timed_fit(model, x, y, repeats):
    """Best wall and CPU seconds of `repeats` one-epoch fits, after an untimed one."""
    model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0)
    wall = cpu = float('inf')
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def worker(policy, repeats):
    from common import pin_threads
    from cornu import backend as K, mixed_precision
    if K.backend() == 'torch':
        pin_threads()
    rows = []
    for name, label, samples in WORKLOADS:
        start_weights = None
        times = {}
        for current in ('float32', policy):
            mixed_precision.set_global_policy(current)
            K.clear_session()
            model, optimizer, shape = build(name)
            if start_weights is None:
                start_weights = model.get_weights()
            model.set_weights(start_weights)
            model.compile(optimizer, 'categorical_crossentropy')
            rng = np.random.RandomState(0)
            x = rng.rand(samples, *shape).astype('float32')
            y = np.eye(10, dtype='float32')[rng.randint(0, 10, samples)]
            times[current] = timed_fit(model, x, y, repeats)
        rows.append({'engine': K.backend(), 'label': label, 'samples': samples,
                     'float32': times['float32'], 'mixed': times[policy]})
    print(RESULT_MARK + json.dumps(rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--engines', default='torch,jax')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--policy', default='mixed_bfloat16')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.policy, args.repeats)
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    for engine in args.engines.split(','):
        env = dict(os.environ, CORNU_BACKEND=engine,
                   PYTHONPATH=root + os.pathsep + os.environ.get('PYTHONPATH', ''))
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--worker',
                              '--repeats', str(args.repeats), '--policy', args.policy],
                             env=env, capture_output=True, text=True)
        results = [line for line in out.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if out.returncode != 0 or not results:
            print(f'{engine}: the worker failed\n{out.stderr[-2000:]}')
            continue
        rows.extend(json.loads(results[-1][len(RESULT_MARK):]))
    print(f'fit throughput, float32 vs {args.policy} (samples/s; ratio > 1: mixed is faster)')
    print('%-6s %-34s %12s %12s %7s %9s' % ('engine', 'workload', 'float32', args.policy[:12],
                                            'ratio', 'CPU ratio'))
    for row in rows:
        (wall32, cpu32), (wall_mixed, cpu_mixed) = row['float32'], row['mixed']
        print('%-6s %-34s %12.0f %12.0f %6.2fx %8.2fx' % (
            row['engine'], row['label'], row['samples'] / wall32, row['samples'] / wall_mixed,
            wall32 / wall_mixed, cpu32 / cpu_mixed))


if __name__ == '__main__':
    main()
