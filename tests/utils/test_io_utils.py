"""cornu.utils.io_utils: HDF5Matrix indexing on a file made here, the overwrite prompt, and
H5Dict over HDF5 groups and dicts, including Keras 2's chunking of attributes over 64 KB."""
import builtins
import pickle

import h5py
import numpy as np
import pytest

from cornu import utils
from cornu.utils import io_utils
from cornu.utils.io_utils import (HDF5_OBJECT_HEADER_LIMIT, H5Dict, HDF5Matrix,
                                  ask_to_proceed_with_overwrite, h5dict)


@pytest.fixture
def h5_data(tmp_path):
    path = str(tmp_path / 'data.h5')
    x = np.arange(20 * 3, dtype='float32').reshape(20, 3)
    y = np.arange(20, dtype='int64')
    with h5py.File(path, 'w') as f:
        f.create_dataset('x', data=x)
        f.create_dataset('y', data=y)
    yield path, x, y
    for f in HDF5Matrix.refs.values():
        if isinstance(f, h5py.File) and f.id.valid:
            f.close()
    HDF5Matrix.refs.clear()


def test_hdf5_matrix_properties_and_indexing(h5_data):
    path, x, _ = h5_data
    m = HDF5Matrix(path, 'x', start=5, end=15)
    view = x[5:15]
    assert len(m) == 10 and m.shape == (10, 3) and m.ndim == 2 and m.size == 30
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m[0], view[0])
    np.testing.assert_array_equal(m[np.int64(9)], view[9])
    np.testing.assert_array_equal(m[-1], view[-1])
    np.testing.assert_array_equal(m[2:6], view[2:6])
    np.testing.assert_array_equal(m[:], view)
    np.testing.assert_array_equal(m[:-2], view[:-2])
    np.testing.assert_array_equal(m[::3], view[::3])
    np.testing.assert_array_equal(m[[1, 3, 4]], view[[1, 3, 4]])
    np.testing.assert_array_equal(m[np.array([0, 9])], view[[0, 9]])
    # Unsorted and repeated indices (h5py alone refuses both).
    np.testing.assert_array_equal(m[[7, 2, 7, 0]], view[[7, 2, 7, 0]])
    assert m[[]].shape == (0, 3)
    for bad in (10, -11, [3, 10], np.array([10]), slice(0, 11)):
        with pytest.raises(IndexError):
            m[bad]


def test_hdf5_matrix_normalizer_shared_file_and_errors(h5_data):
    path, x, y = h5_data
    m = HDF5Matrix(path, 'x', normalizer=lambda a: a.astype('float64') / 2)
    assert m.dtype == np.float64 and m.shape == (20, 3)
    np.testing.assert_allclose(m[3:5], x[3:5] / 2)
    labels = HDF5Matrix(path, 'y')
    assert labels.data.file == m.data.file  # one open file per path
    np.testing.assert_array_equal(labels[[0, 19]], y[[0, 19]])
    with pytest.raises(KeyError, match='no dataset named'):
        HDF5Matrix(path, 'missing')
    assert utils.HDF5Matrix is HDF5Matrix


def test_hdf5_matrix_batches_like_fit_with_batch_shuffle(h5_data):
    # fit(shuffle='batch') shuffles whole blocks of rows, then reads each batch by its
    # sorted index list: every row comes back exactly once.
    path, x, _ = h5_data
    m = HDF5Matrix(path, 'x')
    batch_size = 4
    index = np.arange(len(m))
    blocks = index.reshape(-1, batch_size)
    np.random.shuffle(blocks)
    seen = []
    for batch_ids in blocks:
        batch = m[np.sort(batch_ids).tolist()]
        np.testing.assert_array_equal(batch, x[np.sort(batch_ids)])
        seen.extend(batch[:, 0] // 3)
    assert sorted(seen) == list(range(20))


def test_ask_to_proceed_with_overwrite(monkeypatch, capsys):
    answers = iter(['maybe', ' Y '])
    monkeypatch.setattr(builtins, 'input', lambda prompt='': next(answers))
    assert ask_to_proceed_with_overwrite('model.h5')
    assert 'Next time specify overwrite=True' in capsys.readouterr().out
    monkeypatch.setattr(builtins, 'input', lambda prompt='': 'n')
    assert not ask_to_proceed_with_overwrite('model.h5')


def test_h5dict_datasets_attributes_and_groups(tmp_path):
    path = str(tmp_path / 'model.h5')
    with H5Dict(path, mode='w') as f:
        f['backend'] = b'tensorflow'
        f['model_config'] = '{"class_name": "Sequential"}'
        f['epochs'] = 3
        weights = f['model_weights']  # a missing key creates a group
        assert isinstance(weights, H5Dict)
        weights['layer_names'] = [b'dense_1', b'flatten_1']
        dense = weights['dense_1']
        dense['weight_names'] = ['dense_1/kernel:0', 'dense_1/bias:0']  # str: stored as bytes
        dense['dense_1/kernel:0'] = np.ones((2, 3), 'float32')
        dense['dense_1/bias:0'] = np.zeros((3,), 'float32')
        dense['scalar'] = np.float32(1.5)
        weights['flatten_1']['weight_names'] = []
        with pytest.raises(KeyError, match='exists'):
            weights['dense_1'] = b'x'

    # The Keras 2 layout, with fixed-length byte strings as h5py 2 wrote them.
    with h5py.File(path, 'r') as raw:
        assert raw.attrs['backend'] == b'tensorflow'
        assert raw['model_weights/dense_1/dense_1/kernel:0'].shape == (2, 3)
        assert raw['model_weights'].attrs['layer_names'].dtype.kind == 'S'

    f = h5dict(path, mode='r')
    assert f['backend'] == b'tensorflow'
    assert f['model_config'] == '{"class_name": "Sequential"}'
    assert f['epochs'] == 3
    weights = f['model_weights']
    assert weights['layer_names'] == [b'dense_1', b'flatten_1']
    dense = weights[b'dense_1']
    assert dense['weight_names'] == [b'dense_1/kernel:0', b'dense_1/bias:0']
    kernel = dense[dense['weight_names'][0]]
    assert isinstance(kernel, np.ndarray) and kernel.shape == (2, 3)
    assert dense['scalar'] == np.float32(1.5)
    assert weights['flatten_1']['weight_names'] == []
    assert 'backend' in f and 'model_weights' in f and 'nothing' not in f
    assert f.get('nothing', 'default') == 'default'
    assert sorted(f.iter()) == ['model_weights'] and sorted(f) == ['model_weights']
    assert len(f) == 1
    assert set(f.attrs.keys()) == {'backend', 'model_config', 'epochs'}  # forwarded
    with pytest.raises(ValueError, match='read only'):
        f['new'] = 1
    with pytest.raises(ValueError, match='read only'):
        f['missing_group']
    with pytest.raises(NotImplementedError):
        f.update({})
    f.close()
    f.close()  # closing twice is harmless


def test_h5dict_chunks_attributes_over_64kb(tmp_path):
    path = str(tmp_path / 'big.h5')
    names = ['layer_with_a_rather_long_name_%05d' % i for i in range(4000)]  # ~140 KB
    with H5Dict(path, mode='w') as f:
        f['layer_names'] = names
        f['short'] = ['a', 'b']
    with h5py.File(path, 'r') as raw:
        keys = set(raw.attrs.keys())
        assert 'layer_names' not in keys
        chunks = sorted(k for k in keys if k.startswith('layer_names'))
        assert len(chunks) >= 3 and chunks[0] == 'layer_names0'
        assert all(raw.attrs[k].nbytes <= HDF5_OBJECT_HEADER_LIMIT for k in chunks)
        joined = [n.decode('utf8') for k in sorted(chunks, key=lambda c: int(c[11:]))
                  for n in raw.attrs[k]]
        assert joined == names  # Keras 2's reader joins <name>0, <name>1, ... in order
    with H5Dict(path, mode='r') as f:
        assert 'layer_names' in f
        assert f['layer_names'] == [n.encode('utf8') for n in names]
        assert f['short'] == [b'a', b'b']

    # Rewriting a name replaces every chunk of the previous value.
    with H5Dict(path, mode='a') as f:
        f['layer_names'] = ['only_one']
        assert f['layer_names'] == [b'only_one']
        assert not any(k.startswith('layer_names0') for k in f.data.attrs.keys())

    with H5Dict(str(tmp_path / 'huge.h5'), mode='w') as f:
        with pytest.raises(RuntimeError, match='larger than'):
            f['names'] = ['x' * (HDF5_OBJECT_HEADER_LIMIT + 1)]


def test_h5dict_reads_files_written_by_h5py3_and_groups(tmp_path):
    path = str(tmp_path / 'tf.h5')
    with h5py.File(path, 'w') as raw:
        raw.attrs['keras_version'] = b'2.2.4'  # h5py 3: a variable-length ASCII string
        raw.attrs['names'] = [b'a', b'b']
        group = raw.create_group('g')
        group.create_dataset('w', data=np.arange(3))
        with H5Dict(group) as wrapped:  # wrapping a group never closes the file
            assert list(wrapped['w']) == [0, 1, 2]
        assert raw.id.valid
    with H5Dict(path, mode='r') as f:
        assert f['keras_version'] == b'2.2.4'
        assert f['names'] == [b'a', b'b']


def test_h5dict_over_a_dict_pickles_arrays():
    state = {}
    f = H5Dict(state)
    f['model_config'] = '{"x": 1}'
    f[b'layer_names'] = [b'dense_1']
    group = f['model_weights']
    group['kernel'] = np.arange(6.).reshape(2, 3)
    assert isinstance(state['model_weights']['kernel'], bytes)  # pickled
    state = pickle.loads(pickle.dumps(state))  # what pickling a model does

    f = H5Dict(state, mode='r')
    assert f['model_config'] == '{"x": 1}'
    assert f['layer_names'] == [b'dense_1']
    np.testing.assert_array_equal(f['model_weights']['kernel'], np.arange(6.).reshape(2, 3))
    assert 'model_weights' in f and b'model_config' in f and 'missing' not in f
    assert f.get('missing') is None
    with pytest.raises(ValueError, match='read only'):
        f['missing']
    with pytest.raises(ValueError, match='read only'):
        f['new'] = 1
    g = H5Dict({})
    g.update({'a': 1})
    assert g['a'] == 1
    with pytest.raises(TypeError, match='Required Group, str or dict'):
        H5Dict(42)
    assert utils.H5Dict is H5Dict is io_utils.h5dict
