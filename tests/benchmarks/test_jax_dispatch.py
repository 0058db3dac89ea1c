"""A smoke run of `benchmarks/jax_dispatch.py` on a few small batches: a row per implementation
with five numbers. Not a timing test: only the inline mode's one structural fact is checked,
that with asynchronous dispatch off no other thread runs the steps."""
import importlib.util
import re

import pytest

from cornu import backend as K
from tests.benchmarks.script_runs import run_benchmark


pytestmark = [
    pytest.mark.skipif(K.backend() != 'torch', reason='jax_dispatch.py picks JAX itself'),
    pytest.mark.skipif(importlib.util.find_spec('jax') is None or
                       importlib.util.find_spec('optax') is None,
                       reason='needs jax and optax'),
]


def _run(args):
    return run_benchmark('jax_dispatch.py', args)


def _rows(stdout):
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in ('jax', 'cornu-jax'):
            assert len(cells) == 6 and all(re.fullmatch(r'\d+\.\d+', c) for c in cells[1:]), line
            rows[cells[0]] = [float(c) for c in cells[1:]]
    return rows


def test_inline_steps_run_on_the_caller_only():
    done = _run(['--samples', '96', '--rounds', '1', '--inline'])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert 'inline dispatch' in done.stdout
    rows = _rows(done.stdout)
    assert sorted(rows) == ['cornu-jax', 'jax']
    for wall, cpu, caller, others, runs in rows.values():
        assert wall > 0 and cpu > 0 and caller > 0
        # (Microseconds per step: a stray wake-up of another thread stays far below.)
        assert others < 1.0 and runs < 0.1


def test_unknown_implementation_is_named():
    done = _run(['--impls', 'jax,keras'])
    assert done.returncode == 2 and "unknown implementation 'keras'" in done.stderr
