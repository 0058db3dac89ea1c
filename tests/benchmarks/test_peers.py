"""A smoke run of `benchmarks/peers.py` on tiny sizes (cornu on both engines and the
hand-written loops, each in its own subprocess): the Markdown table must come out and parse,
and `--report` must print it again from the JSON. Not a timing test: only the presence and
the arithmetic of the numbers are checked, never their size."""
import importlib.util
import json
import os
import re
import sys

import pytest

from cornu import backend as K
from tests.benchmarks.script_runs import REPO, run_benchmark

sys.path.insert(0, os.path.join(REPO, 'benchmarks'))

from peer_bench import table  # noqa: E402

# The command runs both engines itself: one run, from the torch suite, is enough.
pytestmark = pytest.mark.skipif(K.backend() != 'torch',
                                reason='peers.py runs both engines itself')
JAX_LOOPS = all(importlib.util.find_spec(name) for name in ('jax', 'optax'))


def _run(args, timeout=600):
    return run_benchmark('peers.py', args, timeout=timeout,
                         unset=('BENCH_PYTHON_KERAS3', 'BENCH_PYTHON_TF_KERAS'),
                         CORNU_DEVICE='cpu')


def _tables(text):
    """The Markdown tables of `text`, each a list of rows of stripped cells."""
    tables, current = [], []
    for line in text.splitlines() + ['']:
        if line.startswith('|'):
            current.append([cell.strip() for cell in line.strip('|').split('|')])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_tiny_run_prints_a_table_that_parses(tmp_path):
    impls = ['torch', 'cornu-torch'] + (['jax', 'cornu-jax'] if JAX_LOOPS else [])
    out = tmp_path / 'peers.json'
    done = _run(['--impls', ','.join(impls), '--workloads', 'tiny_mlp',
                 '--samples', 'tiny_mlp=70', '--repeats', '1', '--threads', '1',
                 '--warmup-batches', '1', '--json', str(out)])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rates, compile_times = _tables(done.stdout)
    header = rates[0]
    assert header[0] == 'workload'
    assert set(header[1:]) == {table.IMPLS[impl] for impl in impls}
    assert [row[0] for row in rates[2:]] == ['tiny_mlp train', 'tiny_mlp predict']
    for row in rates[2:]:
        for name, cell in zip(header[1:], row[1:]):
            match = re.fullmatch(r'(\*\*)?([\d,]+)(\*\*)?( \(([\d.]+), cpu ([\d.]+)\))?', cell)
            assert match, (name, cell)
            assert int(match.group(2).replace(',', '')) > 0
            # Every implementation but the baseline has its ratios to raw torch.
            assert (match.group(4) is None) == (name == 'raw torch'), (name, cell)
    assert compile_times[2][0] == 'tiny_mlp'
    assert all(re.fullmatch(r'[\d.]+ / [\d.]+ / [\d.]+', cell) for cell in compile_times[2][1:])

    saved = json.loads(out.read_text())
    assert saved['settings']['workloads'] == {'tiny_mlp': 70}
    assert sorted(run['impl'] for run in saved['runs']) == sorted(impls)
    assert all(run['status'] == 'ok' and run['samples'] == 70 for run in saved['runs'])
    # 70 rows in batches of 32 end with a batch of 6: the warm-up has one full batch and it.
    assert all(run['warmup_samples'] == 38 for run in saved['runs'])

    again = _run(['--report', str(out)], timeout=60)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _tables(again.stdout) == [rates, compile_times]


def _run_record(impl, fit_s, fit_cpu_s, status='ok'):
    return {'impl': impl, 'workload': 'tiny_mlp', 'status': status, 'samples': 100,
            'fit_s': fit_s, 'fit_cpu_s': fit_cpu_s, 'predict_s': 1.0, 'predict_cpu_s': 1.0,
            'build_s': 0.5, 'compile_fit_s': 0.25, 'compile_predict_s': 0.125}


def test_table_takes_medians_and_ratios_to_raw_torch():
    runs = [_run_record('torch', 1.0, 1.0), _run_record('torch', 2.0, 2.0),
            _run_record('torch', 9.0, 9.0),
            _run_record('cornu-torch', 0.5, 4.0), _run_record('cornu-torch', 0.5, 4.0),
            dict(_run_record('cornu-jax', 0, 0), status='skipped', reason='no jax')]
    rates, compile_times = _tables(table.render(runs))
    assert rates[0] == ['workload', 'raw torch', 'cornu torch', 'cornu jax']
    # raw torch: median 2 s for 100 rows = 50/s; cornu: 200/s, 4x by wall, 0.5x by CPU.
    assert rates[2] == ['tiny_mlp train', '50', '**200** (4.00, cpu 0.50)', 'skipped']
    assert compile_times[2] == ['tiny_mlp', '0.50 / 0.25 / 0.12', '0.50 / 0.25 / 0.12',
                                'skipped']
    assert '- cornu-jax on tiny_mlp: no jax' in table.render(runs)


def test_bad_arguments_are_named():
    done = _run(['--workloads', 'mnist_gan'], timeout=60)
    assert done.returncode != 0
    assert "unknown workload 'mnist_gan'" in done.stderr
    done = _run(['--samples', 'tiny_mlp=lots'], timeout=60)
    assert done.returncode != 0 and 'tiny_mlp=lots' in done.stderr


def test_an_implementation_that_cannot_run_is_skipped_with_the_reason(tmp_path):
    missing = str(tmp_path / 'no-such-python')
    done = _run(['--impls', 'tf-keras,keras3-jax', '--workloads', 'tiny_mlp', '--repeats', '1',
                 '--python-tf-keras', missing], timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    rates = _tables(done.stdout)[0]
    assert rates[0] == ['workload', 'Keras 3 jax', 'tf-keras']
    assert rates[2] == ['tiny_mlp train', 'skipped', 'skipped']
    assert '- tf-keras on tiny_mlp: cannot run ' + missing in done.stdout
    assert '- keras3-jax on tiny_mlp: no --python-keras3 given' in done.stdout
