"""Single-sample latency: `model.predict(x[:1])` and `model.predict_on_batch(x[:1])` against
calling the hand-written model on one sample, after the first call.

    python benchmarks/latency.py                        # both engines, MLP, CNN and LSTM
    python benchmarks/latency.py --engines torch --models mlp --calls 2000 --block 50

The models are those of `benchmarks/peers.py`: `mlp` (mnist_mlp), `cnn` (mnist_cnn) and
`lstm` (imdb_lstm). On the PyTorch engine the baseline is the PyTorch module called under
`torch.inference_mode` (from the NumPy sample to the NumPy output, activation included); on
JAX it is the jitted forward function of the hand-written JAX model, with the same ends.
Each engine runs in a process of its own; within it the three take turns after a warm-up, in
blocks of `--block` calls each (`--calls` calls in all): a server calls one model again and
again, with its weights in the CPU's caches, whereas alternating call by call would have
each call fetch its weights again after the other's (the first call after the baseline
measured 1.5 times slower than the same call after another cornu call). The table gives
the median microseconds per call and the ratio to the baseline (below 1.5 is the goal),
then the Python function calls one call makes (a count that machine load does not change).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from peer_bench import workloads  # noqa: E402

MODELS = {'mlp': 'mnist_mlp', 'cnn': 'mnist_cnn', 'lstm': 'imdb_lstm'}
RESULT_MARK = 'LATENCY_RESULT '


def torch_baseline(workload, sample):
    import torch
    from peer_bench import raw_torch
    module = raw_torch.module(workload).eval()
    if workload.name == 'mnist_cnn':
        sample = sample.transpose(0, 3, 1, 2).copy()  # PyTorch data is NCHW from the start
    if workload.name == 'imdb_lstm':
        sample = sample.astype('int64')
    if workload.classes == 1:
        activation = torch.sigmoid
    else:
        def activation(logits):
            return torch.softmax(logits, dim=-1)

    def call():
        with torch.inference_mode():
            return activation(module(torch.from_numpy(sample))).numpy()
    return call


def jax_baseline(workload, sample):
    import jax
    import numpy as np
    from peer_bench import raw_jax
    key = jax.random.PRNGKey(0)
    params = raw_jax.initial_params(workload, key)

    @jax.jit
    def forward(params, x):
        out = raw_jax.logits(workload, params, x, False, key)
        return jax.nn.sigmoid(out) if workload.classes == 1 else jax.nn.softmax(out)

    def call():
        return np.asarray(forward(params, sample))
    return call


def python_calls(fn):
    """How many Python functions (and builtins) one call of `fn` enters."""
    count = [0]

    def profiler(frame, event, arg):
        if event in ('call', 'c_call'):
            count[0] += 1
    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count[0]


def measure(model_name, calls, threads, block):
    """Runs in the engine's process: median seconds per call of each contender."""
    from cornu import backend as K
    if K.backend() == 'torch':
        import torch
        torch.set_num_threads(threads)
    workload = workloads.WORKLOADS[MODELS[model_name]]
    sample = workloads.make_data(workload._replace(samples=4))['x'][:1]
    model = workloads.build_keras_model(workload, 'cornu')
    baseline = (torch_baseline if K.backend() == 'torch' else jax_baseline)(workload, sample)
    contenders = {'baseline': baseline,
                  'predict': lambda: model.predict(sample),
                  'predict_on_batch': lambda: model.predict_on_batch(sample)}
    for fn in contenders.values():
        for _ in range(5):
            fn()
    times = {name: [] for name in contenders}
    cpu = dict.fromkeys(contenders, 0.0)
    for _ in range(max(1, calls // block)):
        for name, fn in contenders.items():
            for _ in range(block):
                wall, start = time.perf_counter(), time.process_time()
                fn()
                times[name].append(time.perf_counter() - wall)
                cpu[name] += time.process_time() - start
    return {'model': model_name, 'engine': K.backend(),
            'median_s': {name: statistics.median(values) for name, values in times.items()},
            'cpu_s': {name: total / len(times[name]) for name, total in cpu.items()},
            'python_calls': {name: python_calls(fn) for name, fn in contenders.items()}}


def render(results):
    lines = ['| model | engine | baseline us | predict us (ratio, cpu ratio) | '
             'predict_on_batch us (ratio, cpu ratio) | Python calls: baseline / predict / '
             'predict_on_batch |', '|---|---|---|---|---|---|']
    for r in results:
        base, base_cpu = r['median_s']['baseline'], r['cpu_s']['baseline']
        cells = ['%.0f (%.2f, %.2f)' % (r['median_s'][name] * 1e6, r['median_s'][name] / base,
                                         r['cpu_s'][name] / base_cpu)
                 for name in ('predict', 'predict_on_batch')]
        counts = ' / '.join(str(r['python_calls'][name])
                            for name in ('baseline', 'predict', 'predict_on_batch'))
        lines.append('| %s | %s | %.0f | %s | %s | %s |' % (r['model'], r['engine'],
                                                            base * 1e6, cells[0], cells[1],
                                                            counts))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--engines', default='torch,jax')
    parser.add_argument('--models', default=','.join(MODELS))
    parser.add_argument('--calls', type=int, default=500)
    parser.add_argument('--block', type=int, default=25,
                        help='consecutive calls of one contender before the next takes over')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--json', metavar='OUT')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    models = [name.strip() for name in args.models.split(',') if name.strip()]
    for name in models:
        if name not in MODELS:
            parser.error("unknown model '%s' (expected one of: %s)" % (name, ', '.join(MODELS)))
    if args.calls < 1 or args.block < 1:
        parser.error('--calls and --block must be at least 1 (got %d, %d)'
                     % (args.calls, args.block))
    if args.worker:
        for name in models:
            print(RESULT_MARK + json.dumps(measure(name, args.calls, args.threads, args.block)),
                  flush=True)
        return 0
    results = []
    for engine in [name.strip() for name in args.engines.split(',') if name.strip()]:
        if engine not in ('torch', 'jax'):
            parser.error("unknown engine '%s' (expected torch or jax)" % engine)
        env = dict(os.environ, CORNU_BACKEND=engine, OMP_NUM_THREADS=str(args.threads),
                   PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get('PYTHONPATH')])))
        done = subprocess.run([sys.executable, os.path.abspath(__file__), '--worker',
                               '--models', ','.join(models), '--calls', str(args.calls),
                               '--block', str(args.block), '--threads', str(args.threads)],
                              env=env, cwd=REPO, text=True, stdout=subprocess.PIPE)
        results += [json.loads(line[len(RESULT_MARK):]) for line in done.stdout.splitlines()
                    if line.startswith(RESULT_MARK)]
        if done.returncode:
            print('the %s engine failed (exit status %d)' % (engine, done.returncode),
                  file=sys.stderr)
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(results, handle, indent=1)
    print(render(results))
    return 0 if len(results) == len(models) * len(args.engines.split(',')) else 1


if __name__ == '__main__':
    sys.exit(main())
