"""A smoke run of `benchmarks/conv_lstm.py` on one short sequence: a row of four times per
engine. Not a timing test: the sizes of the numbers are not checked."""
import os
import re
import subprocess
import sys

import pytest

from cornu import backend as K

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'benchmarks', 'conv_lstm.py')

pytestmark = pytest.mark.skipif(K.backend() != 'torch',
                                reason='conv_lstm.py runs the engines in processes of its own')


def _run(args):
    env = dict(os.environ, PYTHONPATH=REPO, CORNU_DEVICE='cpu')
    return subprocess.run([sys.executable, SCRIPT] + args, cwd=REPO, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


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
