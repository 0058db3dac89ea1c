"""A smoke run of `benchmarks/latency.py` with a few calls: each engine's rows must come out
as a Markdown table with a time per call, ratios to the baseline and call counts. Not a
timing test: the sizes of the numbers are not checked."""
import importlib.util
import json
import re

import pytest

from cornu import backend as K
from tests.benchmarks.script_runs import run_benchmark


pytestmark = pytest.mark.skipif(K.backend() != 'torch',
                                reason='latency.py runs both engines itself')


def _run(args):
    return run_benchmark('latency.py', args, CORNU_DEVICE='cpu')


def test_few_calls_print_a_row_per_engine_and_model(tmp_path):
    engines = ['torch'] + (['jax'] if importlib.util.find_spec('jax') else [])
    out = tmp_path / 'latency.json'
    done = _run(['--engines', ','.join(engines), '--models', 'mlp', '--calls', '3',
                 '--threads', '1', '--json', str(out)])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith('| mlp |')]
    assert [row.split('|')[2].strip() for row in rows] == engines
    for row in rows:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        assert re.fullmatch(r'\d+', cells[2]), cells
        for cell in cells[3:5]:
            assert re.fullmatch(r'\d+ \([\d.]+, [\d.]+\)', cell), cells
        assert re.fullmatch(r'\d+ / \d+ / \d+', cells[5]), cells
    results = json.loads(out.read_text())
    assert [r['engine'] for r in results] == engines
    for result in results:
        assert set(result['median_s']) == {'baseline', 'predict', 'predict_on_batch'}
        assert all(value > 0 for value in result['median_s'].values())


def test_unknown_model_is_named():
    done = _run(['--models', 'gan'])
    assert done.returncode == 2 and "unknown model 'gan'" in done.stderr
