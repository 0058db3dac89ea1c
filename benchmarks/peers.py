"""cornu against hand-written PyTorch and JAX + optax loops and against the other Keras
implementations, on four workloads, as one Markdown table.

    python benchmarks/peers.py                                   # cornu + raw loops
    python benchmarks/peers.py --python-keras3 VENV_A/bin/python \\
        --python-tf-keras VENV_B/bin/python --json peers.json    # every implementation
    python benchmarks/peers.py --scale 0.1 --repeats 1           # a quick look
    python benchmarks/peers.py --report peers.json more.json     # re-print, pooling runs

Implementations (`--impls`): `torch` and `jax` (hand-written loops), `cornu-torch`,
`cornu-jax`, `keras3-torch`, `keras3-jax` (Keras 3; `--python-keras3` or
`BENCH_PYTHON_KERAS3` names an interpreter that has keras, torch, jax), `tf-keras`
(`--python-tf-keras` or `BENCH_PYTHON_TF_KERAS`: one with tensorflow and tf_keras). cornu and
the raw loops run under `--python` (this interpreter by default) with the repository on
`PYTHONPATH`; a raw loop whose framework that interpreter lacks runs under the Keras 3 one.
An implementation whose interpreter is not given or lacks a module is reported as skipped.

Every (implementation, workload, repeat) runs in a subprocess of its own
(`peer_bench/worker.py`): it builds the model, warms up with `fit` and `predict` on a subset
(`--warmup-batches` full batches plus a batch of the epoch's ragged size; these compile
times are reported apart), then times one epoch of `fit` and one `predict` over all the
data. The table gives medians over `--repeats` of samples per second, and beside each the
ratio to the raw PyTorch loop by wall time and by CPU time of the worker (the one a busy
machine disturbs least). `--threads` sets the workers' torch / OpenMP / TensorFlow threads
(with 1, XLA's multi-threaded Eigen is turned off as well).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from peer_bench import table, workloads  # noqa: E402
from peer_bench.worker import RESULT_MARK  # noqa: E402

WORKER = os.path.join(HERE, 'peer_bench', 'worker.py')
# The modules each implementation needs, and the interpreters it may run under in turn.
NEEDS = {'torch': ['torch'], 'jax': ['jax', 'optax'], 'cornu-torch': ['torch'],
         'cornu-jax': ['jax'], 'keras3-torch': ['keras', 'torch'],
         'keras3-jax': ['keras', 'jax'], 'tf-keras': ['tensorflow', 'tf_keras']}
INTERPRETERS = {'torch': ('python', 'keras3'), 'jax': ('python', 'keras3'),
                'cornu-torch': ('python',), 'cornu-jax': ('python',),
                'keras3-torch': ('keras3',), 'keras3-jax': ('keras3',),
                'tf-keras': ('tf_keras',)}


def _names(text, known, what):
    names = [name.strip() for name in text.split(',') if name.strip()]
    for name in names:
        if name not in known:
            raise SystemExit("peers.py: unknown %s '%s' (expected one of: %s)"
                             % (what, name, ', '.join(known)))
    return names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workloads', default=','.join(workloads.WORKLOADS))
    parser.add_argument('--impls', default=','.join(table.IMPLS))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--scale', type=float, default=1.0,
                        help='multiply every workload\'s sample count')
    parser.add_argument('--samples', action='append', default=[], metavar='WORKLOAD=N',
                        help='sample count of one workload (repeatable)')
    parser.add_argument('--warmup-batches', type=int, default=3)
    parser.add_argument('--python', default=sys.executable,
                        help='interpreter of cornu and the raw loops')
    parser.add_argument('--python-keras3', default=os.environ.get('BENCH_PYTHON_KERAS3'))
    parser.add_argument('--python-tf-keras', default=os.environ.get('BENCH_PYTHON_TF_KERAS'))
    parser.add_argument('--timeout', type=float, default=1800, help='seconds per run')
    parser.add_argument('--json', metavar='OUT', help='write the settings and every run')
    parser.add_argument('--report', nargs='+', metavar='FILE',
                        help='print the table of earlier --json files instead of running')
    args = parser.parse_args(argv)
    if args.report:
        return args
    args.workloads = _names(args.workloads, workloads.WORKLOADS, 'workload')
    args.impls = _names(args.impls, table.IMPLS, 'implementation')
    sizes = {}
    for item in args.samples:
        name, _, count = item.partition('=')
        _names(name, workloads.WORKLOADS, 'workload')
        if not count.isdigit() or int(count) < 1:
            raise SystemExit("peers.py: --samples %s: expected WORKLOAD=N with N a positive "
                             "integer" % item)
        sizes[name] = int(count)
    if args.repeats < 1 or args.threads < 1 or args.scale <= 0:
        raise SystemExit('peers.py: --repeats and --threads must be at least 1 and --scale '
                         'positive (got %d, %d, %g)' % (args.repeats, args.threads, args.scale))
    args.sizes = {name: workloads.sized(workloads.WORKLOADS[name], args.scale,
                                        sizes.get(name)).samples for name in args.workloads}
    return args


_MISSING = {}  # (python, modules) -> the missing ones, probed once per run


def _missing(python, modules):
    """The modules of `modules` that `python` cannot import (found without importing), or
    the error that kept it from running."""
    key = (python, tuple(modules))
    if key not in _MISSING:
        probe = ('import importlib.util, sys; print(",".join(m for m in sys.argv[1:] '
                 'if importlib.util.find_spec(m) is None))')
        try:
            done = subprocess.run([python, '-c', probe] + list(modules), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  timeout=60)
            _MISSING[key] = done.stdout.strip().split(',') if done.stdout.strip() else []
        except (OSError, subprocess.TimeoutExpired) as error:
            _MISSING[key] = error
    return _MISSING[key]


def interpreter(impl, args):
    """(python, None) to run `impl` with, or (None, why it is skipped)."""
    pythons = {'python': args.python, 'keras3': args.python_keras3,
               'tf_keras': args.python_tf_keras}
    reasons = []
    for role in INTERPRETERS[impl]:
        python = pythons[role]
        if not python:
            reasons.append('no --python-%s given' % role.replace('_', '-'))
            continue
        missing = _missing(python, NEEDS[impl])
        if isinstance(missing, Exception):
            reasons.append('cannot run %s (%s)' % (python, missing))
        elif missing:
            reasons.append('%s has no %s' % (python, ', '.join(missing)))
        else:
            return python, None
    return None, '; '.join(reasons)


def worker_env(impl, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1')
    for name in ('CORNU_BACKEND', 'KERAS_BACKEND'):
        env.pop(name, None)
    if threads == 1:
        env['XLA_FLAGS'] = (env.get('XLA_FLAGS', '') + ' --xla_cpu_multi_thread_eigen=false '
                            'intra_op_parallelism_threads=1').strip()
    if impl.startswith('cornu-'):
        env['CORNU_BACKEND'] = impl.split('-')[1]
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [REPO, env.get('PYTHONPATH')]))
    elif impl.startswith('keras3-'):
        env['KERAS_BACKEND'] = impl.split('-')[1]
    return env


def run_one(impl, workload, repeat, args):
    record = {'impl': impl, 'workload': workload, 'repeat': repeat}
    python, reason = interpreter(impl, args)
    if python is None:
        return dict(record, status='skipped', reason=reason)
    spec = {'impl': impl, 'workload': workload, 'samples': args.sizes[workload],
            'threads': args.threads, 'warmup_batches': args.warmup_batches, 'seed': 0}
    try:
        done = subprocess.run([python, WORKER, json.dumps(spec)], cwd=REPO,
                              env=worker_env(impl, args.threads), text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return dict(record, status='failed', reason='timed out after %gs' % args.timeout)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return dict(record, status='ok', **json.loads(line[len(RESULT_MARK):]))
    tail = done.stdout.strip().splitlines()[-1:] or ['exit status %d' % done.returncode]
    return dict(record, status='failed', reason=tail[0][:300])


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        runs, settings = [], None
        for path in args.report:
            with open(path) as handle:
                saved = json.load(handle)
            runs.extend(saved['runs'])
            settings = settings or saved['settings']
        print(table.render(runs, settings if len(args.report) == 1 else None))
        return 0
    settings = {'workloads': args.sizes, 'impls': args.impls, 'repeats': args.repeats,
                'threads': args.threads, 'warmup_batches': args.warmup_batches,
                'machine': platform.machine(), 'cpus': os.cpu_count(),
                'started': time.strftime('%Y-%m-%d %H:%M:%S')}
    runs = []
    # Repeats outermost, so that a passing disturbance spreads over all the cells.
    for repeat in range(args.repeats):
        for workload in args.workloads:
            for impl in args.impls:
                record = run_one(impl, workload, repeat, args)
                runs.append(record)
                print('%s %s #%d: %s %s' % (impl, workload, repeat + 1, record['status'],
                                            record.get('reason', '')), file=sys.stderr,
                      flush=True)
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump({'settings': settings, 'runs': runs}, handle, indent=1)
    print(table.render(runs, settings))
    return 1 if any(run['status'] == 'failed' for run in runs) else 0


if __name__ == '__main__':
    sys.exit(main())
