"""A smoke run of `benchmarks/gpu_check.py`, the prepared check for a machine with a GPU: on
the CPU, with tiny sizes and one workload, it must run every implementation in its own
subprocess, print the results table and write the JSON results. Not a timing test: the
numbers of a smoke run mean nothing, only their presence is checked."""
import importlib.util
import json

import pytest

from cornu import backend as K
from tests.benchmarks.script_runs import run_benchmark


# The script runs both engines itself: one run, from the torch suite, is enough.
pytestmark = pytest.mark.skipif(K.backend() != 'torch',
                                reason='gpu_check.py runs both engines itself')


def _run(args, timeout=300):
    return run_benchmark('gpu_check.py', args, timeout=timeout, merge_output=True,
                         CORNU_DEVICE='cpu', BENCH_THREADS='1')


def test_quick_run_prints_the_table_and_writes_json(tmp_path):
    done = _run(['--quick', '--no-tests', '--workloads', 'mnist_mlp', '--out',
                 str(tmp_path)])
    assert done.returncode == 0, done.stdout[-3000:]
    header = [line for line in done.stdout.splitlines() if line.startswith('workload')]
    assert header and 'samples/s' in header[0] and 'ratio' in header[0]
    assert 'total' in done.stdout.splitlines()[-1]

    results = json.loads((tmp_path / 'gpu_check.json').read_text())
    assert results['quick'] is True and results['tests'] is None
    assert 'torch' in results['environment'] and 'jax' in results['environment']
    cells = {(r['impl'], r['precision']): r for r in results['benchmarks']}
    assert set(cells) == {(impl, precision)
                          for impl in ('cornu-torch', 'torch', 'cornu-jax', 'jax')
                          for precision in ('float32', 'mixed')}
    jax_installed = importlib.util.find_spec('jax') is not None
    for impl in ('cornu-torch', 'torch', 'cornu-jax', 'jax'):
        float32 = cells[(impl, 'float32')]
        if impl.endswith('jax') and not jax_installed:
            # An engine that is not installed is reported as skipped, with the reason.
            assert float32['status'] == 'skipped', float32
            assert float32['reason'] == 'jax is not installed'
            continue
        assert float32['status'] == 'ok', float32
        assert float32['samples_per_s'] > 0 and float32['samples_per_cpu_s'] > 0
        assert float32['workload'] == 'mnist_mlp'
        # Mixed precision runs, or says why not (a checkout without cornu.mixed_precision).
        assert cells[(impl, 'mixed')]['status'] in ('ok', 'skipped')
    for impl in ('cornu-torch', 'cornu-jax') if jax_installed else ('cornu-torch',):
        assert cells[(impl, 'float32')]['baseline'] == impl.split('-')[1]
        assert cells[(impl, 'float32')]['ratio'] > 0
    assert results['total_seconds'] > 0


def test_bad_arguments_are_named():
    done = _run(['--workloads', 'mnist_gan'], timeout=60)
    assert done.returncode == 2
    assert "unknown workload 'mnist_gan'" in done.stdout
