"""Data-parallel `fit`, `evaluate` and `predict` of unchanged Keras 2 scripts under `torchrun`.

Two processes (Gloo, CPU) run `scripts/keras2_fit.py` once; the tests compare what each wrote
with the other process and with a lone process trained here on the same global batches, from
the same initial weights and the same shuffle seed.
"""
import json
import os
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from cornu import backend as K

pytestmark = pytest.mark.skipif(
    K.backend() != 'torch', reason='torchrun launches torch.distributed processes; the JAX '
    'engine spreads a batch over devices inside the compiled step instead')

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, 'scripts')
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, SCRIPTS)
import torchrun_common as common  # noqa: E402


def _torchrun(script, out, timeout):
    # Gloo on the CPU, also on a machine with a GPU (two processes cannot share one with NCCL).
    env = dict(os.environ, PYTHONPATH=ROOT, CORNU_BACKEND='torch', CORNU_DEVICE='cpu',
               OMP_NUM_THREADS='1')
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node=2', os.path.join(SCRIPTS, script), str(out)]
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=str(out), capture_output=True, text=True,
                            timeout=timeout)
    return result, time.monotonic() - started


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('torchrun')
    np.savez(str(out / 'initial_plain.npz'), *common.plain_model().get_weights())
    with h5py.File(str(out / 'data.h5'), 'w') as f:
        f['x'], f['y'] = common.data(common.PLAIN_SAMPLES)
    result, _ = _torchrun('keras2_fit.py', out, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    summaries = [json.load(open(str(out / ('summary_rank%d.json' % r)))) for r in (0, 1)]
    return out, result, summaries


def _written(out, name, rank):
    return np.load(str(out / ('%s_rank%d.npy' % (name, rank))))


def _initial_weights(out):
    return list(np.load(str(out / 'initial_plain.npz')).values())


def _lone_plain_model(out):
    model = common.plain_model()
    model.set_weights(_initial_weights(out))
    np.random.seed(common.SHUFFLE_SEED)
    return model


def _flat(weights):
    return np.concatenate([np.ravel(w) for w in weights])


def test_dropout_and_batch_normalization_end_identical_in_both_processes(run):
    out, _, _ = run
    np.testing.assert_array_equal(_written(out, 'bn', 0), _written(out, 'bn', 1))


def test_training_equals_one_process_on_the_same_global_batches(run):
    out, _, summaries = run
    model = _lone_plain_model(out)
    x, y = common.data(common.PLAIN_SAMPLES)
    history = model.fit(x, y, batch_size=common.PLAIN_BATCH, epochs=2, verbose=0)
    for rank in (0, 1):
        np.testing.assert_allclose(_written(out, 'plain', rank), _flat(model.get_weights()),
                                   atol=1e-5)
        # The logged losses are the global batches' averages.
        np.testing.assert_allclose(summaries[rank]['plain_loss'], history.history['loss'],
                                   rtol=1e-5)


def test_a_keras2_get_updates_optimizer_receives_the_summed_gradients(run):
    out, _, _ = run
    model = common.plain_model(optimizer=common.KerasTwoSGD(lr=0.1))
    model.set_weights(_initial_weights(out))
    np.random.seed(common.SHUFFLE_SEED)
    x, y = common.data(common.CUSTOM_SAMPLES)
    model.fit(x, y, batch_size=common.PLAIN_BATCH, epochs=1, verbose=0)
    for rank in (0, 1):
        np.testing.assert_allclose(_written(out, 'custom', rank), _flat(model.get_weights()),
                                   atol=1e-5)


def test_hdf5_inputs_train_as_in_one_process(run):
    from cornu.utils.io_utils import HDF5Matrix
    out, _, _ = run
    model = _lone_plain_model(out)
    path = str(out / 'data.h5')
    model.fit(HDF5Matrix(path, 'x'), HDF5Matrix(path, 'y'), batch_size=common.PLAIN_BATCH,
              epochs=2, shuffle='batch', verbose=0)
    for rank in (0, 1):
        np.testing.assert_allclose(_written(out, 'hdf5', rank), _flat(model.get_weights()),
                                   atol=1e-5)


def test_evaluate_and_predict_equal_one_process(run):
    out, _, summaries = run
    model = _lone_plain_model(out)
    x, y = common.data(common.PLAIN_SAMPLES)
    model.fit(x, y, batch_size=common.PLAIN_BATCH, epochs=2, verbose=0)
    x, y = common.data(37, seed=5)
    expected_eval = model.evaluate(x, y, batch_size=8, verbose=0)
    expected_predict = model.predict(x, batch_size=8)
    for rank in (0, 1):
        np.testing.assert_allclose(summaries[rank]['evaluate'], expected_eval, rtol=1e-5)
        np.testing.assert_allclose(_written(out, 'predict', rank).reshape(37, 3),
                                   expected_predict, atol=1e-5)


def test_a_sequence_is_shared_out_by_batch(run):
    # Process r reads batches r, r + 2, ...: a global step holds two consecutive batches of
    # 4, as one process reading batches of 8 in order; the last step has one batch.
    out, _, summaries = run
    model = common.plain_model()
    model.set_weights(_initial_weights(out))
    x, y = common.data(36)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    expected_eval = model.evaluate(x, y, verbose=0)
    expected_predict = model.predict(x)
    for rank in (0, 1):
        np.testing.assert_allclose(_written(out, 'sequence', rank), _flat(model.get_weights()),
                                   atol=1e-5)
        np.testing.assert_allclose(summaries[rank]['evaluate_generator'], expected_eval,
                                   rtol=1e-5)
        np.testing.assert_allclose(_written(out, 'predict_generator', rank).reshape(36, 3),
                                   expected_predict, atol=1e-5)


def test_only_process_0_prints_and_writes_files(run):
    out, result, _ = run
    assert (out / 'checkpoint_rank0.h5').exists() and (out / 'log_rank0.csv').exists()
    assert not (out / 'checkpoint_rank1.h5').exists()
    assert not (out / 'log_rank1.csv').exists()
    assert result.stdout.count('Epoch 1/2') == 1
    rows = open(str(out / 'log_rank0.csv')).read().splitlines()
    assert rows[0].split(',')[0] == 'epoch' and len(rows) == 3


def test_decisions_are_the_same_in_every_process(run):
    _, _, summaries = run
    # EarlyStopping with patience 2 on a loss that never beats its baseline.
    assert [s['early_stopping_epochs'] for s in summaries] == [2, 2]
    # A callback that sets `stop_training` in process 0 only, after the second epoch.
    assert [s['chief_stop_epochs'] for s in summaries] == [2, 2]
    # A callback that sets it in process 1 only, during the second epoch (4 batches each).
    assert [s['mid_epoch_stop'] for s in summaries] == [[2, 6], [2, 6]]
    assert [s['world_size'] for s in summaries] == [2, 2]
    assert [s['is_chief'] for s in summaries] == [True, False]


def test_bad_input_gives_a_clear_error(run):
    _, _, summaries = run
    for summary in summaries:
        assert 'batch_size=7' in summary['bad_batch_size']
        assert 'world size 2' in summary['bad_batch_size']
        assert 'same length in every process' in summary['bad_sequence']
        assert '[9, 10]' in summary['bad_sequence']


def test_a_process_that_raises_ends_the_run(tmp_path):
    result, elapsed = _torchrun('fails_on_rank1.py', tmp_path, timeout=120)
    assert result.returncode != 0
    assert 'deliberate failure in process 1' in result.stdout + result.stderr
    assert elapsed < 60
