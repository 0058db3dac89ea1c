"""A smoke run of `benchmarks/conv_lstm.py` on one short sequence: a row of four times per
engine. Not a timing test: the sizes of the numbers are not checked."""
import re

import pytest

from cornu import backend as K
from tests.benchmarks.script_runs import run_benchmark


pytestmark = pytest.mark.skipif(K.backend() != 'torch',
                                reason='conv_lstm.py runs the engines in processes of its own')


def _run(args):
    return run_benchmark('conv_lstm.py', args, CORNU_DEVICE='cpu')


def test_one_sequence_prints_a_row_of_times():
    done = _run(['--layers', '1', '--samples', '1', '--repeats', '1', '--engines', 'torch'])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith('ConvLSTM2D example model: 1 layer(s), 1 sequences')
    assert re.fullmatch(r'torch(\s+\d+\.\d\d){4}', lines[2]), lines


def test_bad_arguments_are_named():
    done = _run(['--layers', '0'])
    assert done.returncode == 1
    assert '--layers, --samples and --repeats must be at least 1 (got 0, 20, 3)' in done.stderr
