"""cornu.datasets: every loader reads small files written here in the exact Keras cache
formats (no network), with Keras 2.2.4's file names, origins and hashes, and returns
Keras 2.2.4's arrays."""
import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

from cornu import backend as K
from cornu.datasets import (boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                            reuters)
from cornu.utils import data_utils

DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A temporary Keras cache (KERAS_HOME); hash checks pass for the tiny files written
    here, and each `get_file` call of the loaders is recorded."""
    home = tmp_path / 'keras_home'
    (home / 'datasets').mkdir(parents=True)
    monkeypatch.setenv('KERAS_HOME', str(home))
    monkeypatch.setattr(data_utils.tempfile, 'tempdir', str(tmp_path))
    monkeypatch.setattr(data_utils, 'validate_file', lambda *args, **kwargs: True)
    calls = []
    real_get_file = data_utils.get_file

    def recording_get_file(fname, origin, **kwargs):
        calls.append(dict(kwargs, fname=fname, origin=origin))
        return real_get_file(fname, origin, **kwargs)

    for module in (mnist, imdb, reuters, boston_housing, fashion_mnist):
        monkeypatch.setattr(module, 'get_file', recording_get_file)
    monkeypatch.setattr('cornu.datasets.cifar.get_file', recording_get_file)
    return _Cache(home, calls)


class _Cache(object):
    """The cache root (`cache / 'datasets'`, `str(cache)`) and the recorded `get_file`
    calls (`cache.calls`)."""

    def __init__(self, path, calls):
        self.path = path
        self.calls = calls

    def __truediv__(self, other):
        return self.path / other

    def __str__(self):
        return str(self.path)


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = list(s)
    return out


# ------------------------------------------------------------------------------------------
# mnist, boston_housing
# ------------------------------------------------------------------------------------------

def test_mnist(cache):
    x_train = np.random.randint(0, 256, (6, 28, 28)).astype('uint8')
    y_train = np.arange(6, dtype='uint8')
    x_test = np.random.randint(0, 256, (2, 28, 28)).astype('uint8')
    y_test = np.array([7, 9], 'uint8')
    np.savez(str(cache / 'datasets' / 'mnist.npz'), x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)
    (a, b), (c, d) = mnist.load_data()
    for got, want in ((a, x_train), (b, y_train), (c, x_test), (d, y_test)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)
    assert cache.calls == [{'fname': 'mnist.npz',
                            'origin': 'https://s3.amazonaws.com/img-datasets/mnist.npz',
                            'file_hash': '8a61469f7ea1b51cbae51d4f78837e45'}]


def test_mnist_corrupt_file_is_named(cache):
    (cache / 'datasets' / 'mnist.npz').write_bytes(b'not a zip file')
    with pytest.raises(ValueError, match='mnist.npz'):
        mnist.load_data()


def test_boston_housing_split_and_shuffle(cache):
    x = np.arange(10 * 13, dtype='float64').reshape(10, 13)
    y = np.arange(10, dtype='float64') * 1.5
    np.savez(str(cache / 'datasets' / 'boston_housing.npz'), x=x, y=y)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=0.3, seed=7)
    perm = np.arange(10)
    np.random.RandomState(7).shuffle(perm)  # what np.random.seed(7); shuffle gave Keras 2
    np.testing.assert_array_equal(x_train, x[perm[:7]])
    np.testing.assert_array_equal(y_test, y[perm[7:]])
    assert x_test.shape == (3, 13) and y_train.shape == (7,)
    assert cache.calls[0]['origin'] == ('https://s3.amazonaws.com/keras-datasets/'
                                        'boston_housing.npz')
    assert cache.calls[0]['file_hash'] == ('f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678'
                                           '153f8839538947dff5')
    with pytest.raises(ValueError, match='test_split'):
        boston_housing.load_data(test_split=1.0)


# ------------------------------------------------------------------------------------------
# imdb, reuters
# ------------------------------------------------------------------------------------------

IMDB_TRAIN = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2, 2]]
IMDB_TEST = [[3, 1], [9, 8, 7, 6, 5], [4]]


@pytest.fixture
def imdb_file(cache):
    np.savez(str(cache / 'datasets' / 'imdb.npz'),
             x_train=_object_array(IMDB_TRAIN), y_train=np.array([1, 0, 1, 0]),
             x_test=_object_array(IMDB_TEST), y_test=np.array([0, 1, 1]))
    return cache


def _imdb_reference(seed=113, start_char=1, oov_char=2, index_from=3, num_words=None,
                    skip_top=0):
    """The Keras 2.2.4 recipe, written out for the tiny file."""
    rng = np.random.RandomState(seed)
    train_perm = np.arange(4)
    rng.shuffle(train_perm)
    test_perm = np.arange(3)
    rng.shuffle(test_perm)
    xs = [IMDB_TRAIN[i] for i in train_perm] + [IMDB_TEST[i] for i in test_perm]
    ys = [[1, 0, 1, 0][i] for i in train_perm] + [[0, 1, 1][i] for i in test_perm]
    xs = [([start_char] if start_char is not None else []) + [w + index_from for w in x]
          for x in xs]
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return xs[:4], ys[:4], xs[4:], ys[4:]


@pytest.mark.parametrize('kwargs', [
    {},
    {'num_words': 8},
    {'num_words': 10, 'skip_top': 5},
    {'num_words': 8, 'oov_char': None},
    {'start_char': None, 'index_from': 0},
    {'seed': 5, 'index_from': 10},
])
def test_imdb_load_data_matches_keras_recipe(imdb_file, kwargs):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**kwargs)
    want_x_train, want_y_train, want_x_test, want_y_test = _imdb_reference(**kwargs)
    assert x_train.dtype == object and x_train.shape == (4,)
    assert x_test.dtype == object and x_test.shape == (3,)
    assert [list(x) for x in x_train] == want_x_train
    assert [list(x) for x in x_test] == want_x_test
    assert list(y_train) == want_y_train and list(y_test) == want_y_test


def test_imdb_origin_maxlen_and_arguments(imdb_file):
    imdb.load_data()
    assert imdb_file.calls[0] == {'fname': 'imdb.npz',
                                  'origin': 'https://s3.amazonaws.com/text-datasets/imdb.npz',
                                  'file_hash': '599dadb1135973df5b59232a0e9a887c'}
    # With the start character reviews are one longer; maxlen keeps lengths < maxlen,
    # filtering the training and the test reviews separately.
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=4)
    assert all(len(x) < 4 for x in x_train) and all(len(x) < 4 for x in x_test)
    assert sorted(len(x) for x in x_train) == [3, 3] and len(y_train) == 2
    assert sorted(len(x) for x in x_test) == [2, 3] and len(y_test) == 2
    with pytest.raises(ValueError, match='maxlen'):
        imdb.load_data(maxlen=2)
    with pytest.warns(UserWarning, match='num_words'):
        (legacy, _), _ = imdb.load_data(nb_words=8)
    assert [list(x) for x in legacy] == _imdb_reference(num_words=8)[0]
    with pytest.raises(TypeError, match='Unrecognized keyword'):
        imdb.load_data(bogus=1)


def test_imdb_seeds_global_generator_like_keras(imdb_file):
    imdb.load_data(seed=21)
    after_load = np.random.rand()
    np.random.seed(21)
    np.random.shuffle(np.arange(4))
    np.random.shuffle(np.arange(3))
    assert np.random.rand() == after_load


def test_imdb_and_reuters_word_index(cache):
    (cache / 'datasets' / 'imdb_word_index.json').write_text(json.dumps({'the': 1, 'a': 2}))
    (cache / 'datasets' / 'reuters_word_index.json').write_text(json.dumps({'said': 1}))
    assert imdb.get_word_index() == {'the': 1, 'a': 2}
    assert reuters.get_word_index() == {'said': 1}
    assert cache.calls[0]['file_hash'] == 'bfafd718b763782e994055a2d397834f'
    assert cache.calls[0]['origin'].endswith('/text-datasets/imdb_word_index.json')
    assert cache.calls[1]['file_hash'] == '4d44cc38712099c9e383dc6e5f11a921'
    assert cache.calls[1]['origin'].endswith('/text-datasets/reuters_word_index.json')


REUTERS_X = [[1, 2], [3, 4, 5], [6], [7, 8, 9, 10], [2, 3], [5, 5, 5], [1], [4, 4],
             [9, 1], [10]]
REUTERS_Y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_reuters_load_data(cache):
    np.savez(str(cache / 'datasets' / 'reuters.npz'), x=_object_array(REUTERS_X),
             y=np.array(REUTERS_Y))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10, skip_top=4,
                                                             test_split=0.3)
    perm = np.arange(10)
    np.random.RandomState(113).shuffle(perm)
    xs = [[1] + [w + 3 for w in REUTERS_X[i]] for i in perm]
    xs = [[w if 4 <= w < 10 else 2 for w in x] for x in xs]
    assert x_train.dtype == object and x_train.shape == (7,) and x_test.shape == (3,)
    assert [list(x) for x in x_train] == xs[:7] and [list(x) for x in x_test] == xs[7:]
    assert list(y_train) == [REUTERS_Y[i] for i in perm[:7]]
    assert list(y_test) == [REUTERS_Y[i] for i in perm[7:]]
    assert cache.calls[0]['origin'] == 'https://s3.amazonaws.com/text-datasets/reuters.npz'
    assert cache.calls[0]['file_hash'] == '87aedbeb0cb229e378797a632c1997b6'

    (x_train, _), (x_test, _) = reuters.load_data(maxlen=3)
    assert len(x_train) + len(x_test) == 3  # only the one-word newswires are kept
    assert all(len(x) == 2 for x in x_train)


# ------------------------------------------------------------------------------------------
# fashion_mnist
# ------------------------------------------------------------------------------------------

def _idx_bytes(array):
    codes = {np.dtype('uint8'): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.asarray(array.shape, dtype='>u4').tobytes()
    return header + array.tobytes()


def _write_fashion(directory, gz=True, n_train=5, n_test=3, seed=0):
    rng = np.random.RandomState(seed)
    arrays = {
        'train-labels-idx1-ubyte': rng.randint(0, 10, n_train).astype('uint8'),
        'train-images-idx3-ubyte': rng.randint(0, 256, (n_train, 28, 28)).astype('uint8'),
        't10k-labels-idx1-ubyte': rng.randint(0, 10, n_test).astype('uint8'),
        't10k-images-idx3-ubyte': rng.randint(0, 256, (n_test, 28, 28)).astype('uint8'),
    }
    os.makedirs(str(directory), exist_ok=True)
    for name, array in arrays.items():
        data = _idx_bytes(array)
        if gz:
            with gzip.open(os.path.join(str(directory), name + '.gz'), 'wb') as f:
                f.write(data)
        else:
            with open(os.path.join(str(directory), name), 'wb') as f:
                f.write(data)
    return arrays


def _check_fashion(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, name in ((x_train, 'train-images-idx3-ubyte'), (y_train, 'train-labels-idx1-ubyte'),
                      (x_test, 't10k-images-idx3-ubyte'), (y_test, 't10k-labels-idx1-ubyte')):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])


def test_fashion_mnist_from_keras_cache(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [str(tmp_path / 'no_such_dir')])
    arrays = _write_fashion(cache / 'datasets' / 'fashion-mnist')
    result = fashion_mnist.load_data()
    _check_fashion(result, arrays)
    assert result[0][0].shape == (5, 28, 28) and result[1][1].shape == (3,)
    assert cache.calls == []  # found without get_file


def test_fashion_mnist_system_dir_first_and_uncompressed(cache, tmp_path, monkeypatch):
    system = tmp_path / 'debian'
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [str(system)])
    _write_fashion(cache / 'datasets' / 'fashion-mnist', seed=1)
    arrays = _write_fashion(system, gz=False, seed=2)
    _check_fashion(fashion_mnist.load_data(), arrays)


def test_fashion_mnist_downloads_through_get_file_with_keras_names(cache, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [])
    server = tmp_path / 'server'
    arrays = _write_fashion(server)
    monkeypatch.setattr(fashion_mnist, '_BASE_URL', server.as_uri() + '/')
    _check_fashion(fashion_mnist.load_data(), arrays)
    assert [c['fname'] for c in cache.calls] == ['train-labels-idx1-ubyte.gz',
                                                 'train-images-idx3-ubyte.gz',
                                                 't10k-labels-idx1-ubyte.gz',
                                                 't10k-images-idx3-ubyte.gz']
    assert all(c['cache_subdir'] == os.path.join('datasets', 'fashion-mnist')
               for c in cache.calls)
    assert sorted(os.listdir(str(cache / 'datasets' / 'fashion-mnist'))) == sorted(
        c['fname'] for c in cache.calls)


def test_fashion_mnist_keras_origin_and_corrupt_file(cache, tmp_path, monkeypatch):
    assert fashion_mnist._BASE_URL == ('https://storage.googleapis.com/tensorflow/'
                                       'tf-keras-datasets/')
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [str(tmp_path / 'bad')])
    _write_fashion(tmp_path / 'bad')
    truncated = tmp_path / 'bad' / 'train-images-idx3-ubyte.gz'
    truncated.write_bytes(gzip.compress(_idx_bytes(np.zeros((5, 28, 28), 'uint8'))[:-10]))
    with pytest.raises(ValueError, match='train-images-idx3-ubyte.gz'):
        fashion_mnist.load_data()


@pytest.mark.skipif(not os.path.isdir(DEBIAN_FASHION_MNIST),
                    reason='Debian package dataset-fashion-mnist not installed')
def test_fashion_mnist_real_debian_files(cache):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert set(np.unique(y_train)) == set(range(10))
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert cache.calls == []


# ------------------------------------------------------------------------------------------
# cifar10, cifar100
# ------------------------------------------------------------------------------------------

def _batch(n, label_keys, seed):
    rng = np.random.RandomState(seed)
    # As pickled by Python 2: byte-string keys, labels as lists.
    batch = {b'data': rng.randint(0, 256, (n, 3072)).astype('uint8'), b'batch_label': b'x'}
    for key in label_keys:
        batch[key.encode()] = rng.randint(0, 10, n).tolist()
    return batch


def _pickled(obj):
    return pickle.dumps(obj, protocol=2)


def _cifar10_files():
    files = {'data_batch_%d' % i: _batch(2, ['labels'], i) for i in range(1, 6)}
    files['test_batch'] = _batch(3, ['labels'], 9)
    return files


def _check_cifar10(result, files, data_format):
    (x_train, y_train), (x_test, y_test) = result
    data = np.concatenate([files['data_batch_%d' % i][b'data'] for i in range(1, 6)])
    images = data.reshape(-1, 3, 32, 32)
    if data_format == 'channels_last':
        images = images.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, images)
    assert x_train.dtype == np.uint8
    labels = sum((files['data_batch_%d' % i][b'labels'] for i in range(1, 6)), [])
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    assert y_train[:, 0].tolist() == labels
    assert y_test.shape == (3, 1) and y_test[:, 0].tolist() == files['test_batch'][b'labels']
    assert x_test.shape == ((3, 32, 32, 3) if data_format == 'channels_last'
                            else (3, 3, 32, 32))


def test_cifar10_from_keras_tarball(cache):
    files = _cifar10_files()
    tar_path = cache / 'datasets' / 'cifar-10-batches-py.tar.gz'
    with tarfile.open(str(tar_path), 'w:gz') as tar:
        for name, batch in files.items():
            data = _pickled(batch)
            info = tarfile.TarInfo('cifar-10-batches-py/' + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    _check_cifar10(cifar10.load_data(), files, K.image_data_format())
    assert cache.calls == [{'fname': 'cifar-10-batches-py', 'untar': True,
                            'origin': 'https://www.cs.toronto.edu/~kriz/'
                                      'cifar-10-python.tar.gz'}]
    assert (cache / 'datasets' / 'cifar-10-batches-py' / 'test_batch').exists()


def test_cifar10_extracted_dir_and_channels_first(cache):
    files = _cifar10_files()
    directory = cache / 'datasets' / 'cifar-10-batches-py'
    directory.mkdir()
    for name, batch in files.items():
        (directory / name).write_bytes(_pickled(batch))
    original = K.image_data_format()
    K.set_image_data_format('channels_first')
    try:
        _check_cifar10(cifar10.load_data(), files, 'channels_first')
    finally:
        K.set_image_data_format(original)
    assert cache.calls == []  # used without its tarball, offline


def test_cifar100_label_modes(cache):
    directory = cache / 'datasets' / 'cifar-100-python'
    directory.mkdir()
    train = _batch(4, ['fine_labels', 'coarse_labels'], 1)
    test = _batch(2, ['fine_labels', 'coarse_labels'], 2)
    (directory / 'train').write_bytes(_pickled(train))
    (directory / 'test').write_bytes(_pickled(test))
    for mode in ('fine', 'coarse'):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode)
        key = (mode + '_labels').encode()
        assert y_train.shape == (4, 1) and y_train[:, 0].tolist() == train[key]
        assert y_test.shape == (2, 1) and y_test[:, 0].tolist() == test[key]
        assert x_train.dtype == np.uint8 and x_train.shape[0] == 4
    with pytest.raises(ValueError, match='label_mode'):
        cifar100.load_data(label_mode='medium')


def test_cifar_bad_batch_is_named(cache):
    directory = cache / 'datasets' / 'cifar-100-python'
    directory.mkdir()
    (directory / 'train').write_bytes(b'garbage')
    (directory / 'test').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='train'):
        cifar100.load_data()


def test_datasets_not_cached_and_offline_fail_clearly(cache, monkeypatch):
    def unreachable(fname, origin, **kwargs):
        return data_utils.get_file(fname, 'http://127.0.0.1:9/' + fname, **kwargs)
    monkeypatch.setattr(mnist, 'get_file', unreachable)
    with pytest.raises(IOError) as info:
        mnist.load_data()
    assert os.path.join(str(cache), 'datasets', 'mnist.npz') in str(info.value)
