"""cornu.utils.data_utils: get_file's cache, hashes, downloads and extraction (never over a
network: cached files, `file://` origins and a refused localhost port), Sequence, and the
enqueuers with real worker threads and processes."""
import hashlib
import io
import multiprocessing
import os
import tarfile
import tempfile
import threading
import time
import zipfile

import numpy as np
import pytest

from cornu import utils
from cornu.backend import kernels
from cornu._common import enqueuers as _enqueuers
from cornu.utils import data_utils
from cornu.utils.data_utils import (GeneratorEnqueuer, OrderedEnqueuer, Sequence,
                                    SequenceEnqueuer, _extract_archive, _hash_file, get_file,
                                    validate_file)

UNREACHABLE = 'http://127.0.0.1:9/x'  # the discard port: connection refused at once


# ------------------------------------------------------------------------------------------
# get_file and friends
# ------------------------------------------------------------------------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty Keras cache in a temporary KERAS_HOME; the fallback dir is redirected too."""
    home = tmp_path / 'keras_home'
    monkeypatch.setenv('KERAS_HOME', str(home))
    fallback_tmp = tmp_path / 'tmp'
    fallback_tmp.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(fallback_tmp))
    return home


def _read(path):
    with open(str(path), 'rb') as f:
        return f.read()


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_hash_file_and_validate_file(tmp_path):
    path = _write(tmp_path / 'f.bin', b'cornu' * 1000)
    sha = hashlib.sha256(b'cornu' * 1000).hexdigest()
    md5 = hashlib.md5(b'cornu' * 1000).hexdigest()
    assert _hash_file(str(path)) == sha
    assert _hash_file(str(path), algorithm='md5', chunk_size=7) == md5
    assert validate_file(str(path), sha)  # 'auto' picks sha256 for 64 characters
    assert validate_file(str(path), md5)  # ... and md5 otherwise
    assert validate_file(str(path), md5, algorithm='md5')
    assert not validate_file(str(path), md5, algorithm='sha256')
    assert not validate_file(str(path), '0' * 64)


def test_get_file_cache_hit_is_offline(cache):
    cached = _write(cache / 'datasets' / 'data.npz', b'payload')
    path = get_file('data.npz', origin=UNREACHABLE)
    assert path == str(cached)
    md5 = hashlib.md5(b'payload').hexdigest()
    sha = hashlib.sha256(b'payload').hexdigest()
    assert get_file('data.npz', origin=UNREACHABLE, md5_hash=md5) == str(cached)
    assert get_file('data.npz', origin=UNREACHABLE, file_hash=sha) == str(cached)
    assert get_file('data.npz', origin=UNREACHABLE, file_hash=sha,
                    hash_algorithm='sha256') == str(cached)


def test_get_file_cache_subdir_and_explicit_cache_dir(tmp_path):
    cached = _write(tmp_path / 'elsewhere' / 'models' / 'w.h5', b'w')
    assert get_file('w.h5', origin=UNREACHABLE, cache_subdir='models',
                    cache_dir=str(tmp_path / 'elsewhere')) == str(cached)
    absolute = _write(tmp_path / 'abs' / 'x.txt', b'x')
    assert get_file(str(absolute), origin=UNREACHABLE,
                    cache_dir=str(tmp_path / 'unused')) == str(absolute)


def test_get_file_default_cache_is_home_dot_keras(tmp_path, monkeypatch):
    monkeypatch.delenv('KERAS_HOME', raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))
    cached = _write(tmp_path / '.keras' / 'datasets' / 'mnist.npz', b'm')
    assert get_file('mnist.npz', origin=UNREACHABLE) == str(cached)


def test_get_file_unreachable_error_names_url_and_path(cache):
    with pytest.raises(IOError) as info:
        get_file('missing.npz', origin=UNREACHABLE)
    message = str(info.value)
    assert UNREACHABLE in message
    assert os.path.join(str(cache), 'datasets', 'missing.npz') in message
    assert 'URL fetch failure' in message
    # Nothing half-written is left behind.
    assert os.listdir(str(cache / 'datasets')) == []


def test_get_file_bad_hash_keeps_cached_file_when_download_fails(cache, capsys):
    cached = _write(cache / 'datasets' / 'data.npz', b'outdated')
    with pytest.raises(IOError, match='127.0.0.1'):
        get_file('data.npz', origin=UNREACHABLE, file_hash='0' * 64)
    assert 'file hash does not match' in capsys.readouterr().out
    assert cached.read_bytes() == b'outdated'
    assert os.listdir(str(cache / 'datasets')) == ['data.npz']


def test_get_file_downloads_atomically_with_hash_check(cache, tmp_path, capsys):
    payload = os.urandom(50000)
    source = _write(tmp_path / 'server' / 'blob.bin', payload)
    origin = source.as_uri()
    sha = hashlib.sha256(payload).hexdigest()

    path = get_file('blob.bin', origin=origin, file_hash=sha)
    assert path == str(cache / 'datasets' / 'blob.bin')
    assert _read(path) == payload
    out = capsys.readouterr().out
    assert 'Downloading data from ' + origin in out
    assert '50000/50000' in out  # the progress bar

    # A stale cached copy (wrong hash) is replaced by a fresh download.
    _write(cache / 'datasets' / 'blob.bin', b'stale')
    assert _read(get_file('blob.bin', origin=origin, file_hash=sha)) == payload

    # A download that does not match its hash is refused and not stored.
    with pytest.raises(IOError, match='does not match the expected hash'):
        get_file('other.bin', origin=origin, file_hash='0' * 64)
    assert sorted(os.listdir(str(cache / 'datasets'))) == ['blob.bin']


def test_get_file_falls_back_to_tmp_when_cache_not_writable(cache, tmp_path):
    blocker = _write(tmp_path / 'not_a_dir', b'')  # a file: nothing can be created under it
    source = _write(tmp_path / 'server' / 'f.txt', b'hello')
    path = get_file('f.txt', origin=source.as_uri(), cache_dir=str(blocker / 'keras'))
    assert path == os.path.join(tempfile.gettempdir(), '.keras', 'datasets', 'f.txt')
    assert _read(path) == b'hello'
    # Found there afterwards, offline.
    assert get_file('f.txt', origin=UNREACHABLE, cache_dir=str(blocker / 'keras')) == path


def _make_tar(path, files, mode='w:gz'):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(str(path), mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_get_file_extract_tar_and_zip(cache):
    _make_tar(cache / 'datasets' / 'pack.tar.gz', {'pack/a.txt': b'A', 'pack/sub/b.txt': b'B'})
    path = get_file('pack.tar.gz', origin=UNREACHABLE, extract=True)
    assert path == str(cache / 'datasets' / 'pack.tar.gz')
    assert (cache / 'datasets' / 'pack' / 'sub' / 'b.txt').read_bytes() == b'B'

    zpath = cache / 'datasets' / 'z.zip'
    with zipfile.ZipFile(str(zpath), 'w') as z:
        z.writestr('zdir/c.txt', b'C')
    get_file('z.zip', origin=UNREACHABLE, extract=True, archive_format='zip')
    assert (cache / 'datasets' / 'zdir' / 'c.txt').read_bytes() == b'C'


def test_get_file_untar_returns_extracted_dir(cache):
    _make_tar(cache / 'datasets' / 'cifar-like.tar.gz', {'cifar-like/batch': b'data'})
    path = get_file('cifar-like', origin=UNREACHABLE, untar=True)
    assert path == str(cache / 'datasets' / 'cifar-like')
    assert _read(os.path.join(path, 'batch')) == b'data'


def test_extract_archive_formats_and_refusals(tmp_path):
    tar = _make_tar(tmp_path / 'a.tar', {'x.txt': b'x'}, mode='w')
    out = tmp_path / 'out'
    out.mkdir()
    assert not _extract_archive(str(tar), str(out), archive_format=None)
    assert not _extract_archive(str(tar), str(out), archive_format='zip')
    assert _extract_archive(str(tar), str(out), archive_format='auto')
    assert (out / 'x.txt').read_bytes() == b'x'
    not_archive = _write(tmp_path / 'plain.txt', b'plain text')
    assert not _extract_archive(str(not_archive), str(out))

    evil = _make_tar(tmp_path / 'evil.tar.gz', {'../escaped.txt': b'!'})
    with pytest.raises(tarfile.TarError):
        _extract_archive(str(evil), str(out))
    assert not (tmp_path / 'escaped.txt').exists()


# ------------------------------------------------------------------------------------------
# Sequence and enqueuers
# ------------------------------------------------------------------------------------------

class EpochSequence(Sequence):
    """Batch i of epoch e is (e, i); optionally fails at one index."""

    def __init__(self, length=5, fail_at=None, delay=0.0):
        self.length = length
        self.epoch = 0
        self.fail_at = fail_at
        self.delay = delay

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if index == self.fail_at:
            raise ValueError('bad batch %d' % index)
        if self.delay:
            # Later batches finish first: order must still come out right.
            time.sleep(self.delay * (self.length - index))
        return (self.epoch, index)

    def on_epoch_end(self):
        self.epoch += 1


class BarrierSequence(Sequence):
    """Each batch waits for another batch to be read at the same time: it only completes
    when two workers really run in parallel."""

    def __init__(self, barrier):
        self.barrier = barrier

    def __len__(self):
        return 4

    def __getitem__(self, index):
        self.barrier.wait(timeout=10)
        return index


class FailingEpochEnd(EpochSequence):
    def on_epoch_end(self):
        raise RuntimeError('on_epoch_end failed')


@pytest.fixture
def no_leaks():
    """Fails a test that leaves enqueuer threads or child processes behind."""
    before = set(threading.enumerate())
    yield
    deadline = time.time() + 5
    while time.time() < deadline:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra and not multiprocessing.active_children():
            return
        time.sleep(0.02)
    raise AssertionError('left behind: %s %s' % (extra, multiprocessing.active_children()))


def test_sequence_iter_and_defaults():
    seq = EpochSequence(length=3)
    assert list(seq) == [(0, 0), (0, 1), (0, 2)]
    assert Sequence.use_sequence_api
    assert Sequence.on_epoch_end(seq) is None
    with pytest.raises(NotImplementedError):
        Sequence()[0]
    with pytest.raises(NotImplementedError):
        len(Sequence())
    assert utils.Sequence is Sequence and utils.OrderedEnqueuer is OrderedEnqueuer


def test_sequence_enqueuer_is_abstract():
    enqueuer = SequenceEnqueuer()
    for call in (enqueuer.is_running, enqueuer.start, enqueuer.stop, enqueuer.get):
        with pytest.raises(NotImplementedError):
            call()


@pytest.mark.parametrize('use_multiprocessing', [False, True], ids=['threads', 'processes'])
def test_ordered_enqueuer_order_and_epochs(use_multiprocessing, no_leaks):
    enqueuer = OrderedEnqueuer(EpochSequence(length=4, delay=0.005),
                               use_multiprocessing=use_multiprocessing)
    assert not enqueuer.is_running()
    enqueuer.start(workers=2, max_queue_size=3)
    assert enqueuer.is_running()
    batches = enqueuer.get()
    got = [next(batches) for _ in range(12)]
    enqueuer.stop()
    assert not enqueuer.is_running()
    # Each epoch in index order; on_epoch_end ran between epochs (in processes too: each
    # epoch's workers see the updated Sequence).
    assert got == [(e, i) for e in range(3) for i in range(4)]
    assert list(batches) == []  # a stopped enqueuer yields nothing more


@pytest.mark.parametrize('use_multiprocessing', [False, True], ids=['threads', 'processes'])
def test_ordered_enqueuer_workers_run_in_parallel(use_multiprocessing, no_leaks):
    barrier = (multiprocessing.get_context('fork').Barrier(2) if use_multiprocessing
               else threading.Barrier(2))
    enqueuer = OrderedEnqueuer(BarrierSequence(barrier), use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=2, max_queue_size=4)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(4)] == [0, 1, 2, 3]
    enqueuer.stop()


class RandomSequence(Sequence):
    def __len__(self):
        return 3

    def __getitem__(self, index):
        return np.random.randint(0, 2 ** 30)


def test_ordered_enqueuer_processes_draw_fresh_random_numbers(no_leaks):
    # Forked workers would otherwise replay the parent's NumPy stream every epoch.
    np.random.seed(0)
    enqueuer = OrderedEnqueuer(RandomSequence(), use_multiprocessing=True)
    enqueuer.start(workers=1, max_queue_size=3)
    batches = enqueuer.get()
    first, second = [next(batches) for _ in range(3)], [next(batches) for _ in range(3)]
    enqueuer.stop()
    assert first != second


def test_ordered_enqueuer_shuffle_covers_each_epoch(no_leaks):
    enqueuer = OrderedEnqueuer(EpochSequence(length=6), shuffle=True)
    enqueuer.start(workers=2, max_queue_size=2)
    batches = enqueuer.get()
    got = [next(batches) for _ in range(18)]
    enqueuer.stop()
    for epoch in range(3):
        items = got[epoch * 6:(epoch + 1) * 6]
        assert sorted(items) == [(epoch, i) for i in range(6)]


@pytest.mark.parametrize('use_multiprocessing', [False, True], ids=['threads', 'processes'])
def test_ordered_enqueuer_reraises_worker_exception(use_multiprocessing, no_leaks):
    enqueuer = OrderedEnqueuer(EpochSequence(length=5, fail_at=3),
                               use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=2, max_queue_size=2)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(3)] == [(0, 0), (0, 1), (0, 2)]
    with pytest.raises(ValueError, match='bad batch 3'):
        next(batches)
    assert not enqueuer.is_running()  # stopped on the way out


def test_ordered_enqueuer_reraises_on_epoch_end_exception(no_leaks):
    enqueuer = OrderedEnqueuer(FailingEpochEnd(length=2))
    enqueuer.start(workers=2)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(2)] == [(0, 0), (0, 1)]
    with pytest.raises(RuntimeError, match='on_epoch_end failed'):
        next(batches)


def test_ordered_enqueuer_stop_while_queue_full_and_restart_errors(no_leaks):
    enqueuer = OrderedEnqueuer(EpochSequence(length=50))
    enqueuer.start(workers=2, max_queue_size=1)
    next(enqueuer.get())
    time.sleep(0.05)  # the feeder is now blocked on a full queue
    enqueuer.stop()
    enqueuer.stop()  # twice is harmless
    with pytest.raises(ValueError, match='workers'):
        OrderedEnqueuer(EpochSequence()).start(workers=0)


def _counting(n=None, fail_at=None):
    i = 0
    while n is None or i < n:
        if i == fail_at:
            raise KeyError('generator failed at %d' % i)
        yield i
        i += 1


class UnsafeIterator(object):
    """An iterator that breaks if two threads call next() at once."""

    def __init__(self):
        self.i = 0
        self.busy = False

    def __iter__(self):
        return self

    def __next__(self):
        assert not self.busy, 'next() called concurrently'
        self.busy = True
        time.sleep(0.001)
        value = self.i
        self.i += 1
        self.busy = False
        return value


def test_generator_enqueuer_threads_keep_order_under_lock(no_leaks):
    enqueuer = GeneratorEnqueuer(UnsafeIterator())
    enqueuer.start(workers=3, max_queue_size=4)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(30)] == list(range(30))
    enqueuer.stop()
    assert not enqueuer.is_running()


def test_generator_enqueuer_finite_generator_ends(no_leaks):
    enqueuer = GeneratorEnqueuer(_counting(7), wait_time=0.01)
    enqueuer.start(workers=2, max_queue_size=3)
    assert list(enqueuer.get()) == list(range(7))
    enqueuer.stop()


def test_generator_enqueuer_threads_reraise(no_leaks):
    enqueuer = GeneratorEnqueuer(_counting(fail_at=4))
    enqueuer.start(workers=2, max_queue_size=10)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(KeyError, match='generator failed at 4'):
        next(batches)
    assert not enqueuer.is_running()


def _random_batches():
    while True:
        yield np.random.randint(0, 2 ** 30)


def test_generator_enqueuer_processes(no_leaks):
    enqueuer = GeneratorEnqueuer(_counting(), use_multiprocessing=True, seed=3)
    enqueuer.start(workers=2, max_queue_size=4)
    batches = enqueuer.get()
    got = [next(batches) for _ in range(10)]
    enqueuer.stop()
    # Every process reads its own copy of the generator: values repeat, in increasing runs.
    assert set(got) <= set(range(10)) and got[0] == 0
    if not kernels.WORKERS_MAY_FORK:
        # On this engine (JAX) a generator is read by threads, with a warning (see
        # tests/engine/test_generator_faults.py): no worker process to reseed.
        assert not enqueuer._use_multiprocessing
        return

    # Forked workers are reseeded: they do not replay the parent's random stream.
    np.random.seed(0)
    enqueuer = GeneratorEnqueuer(_random_batches(), use_multiprocessing=True)
    enqueuer.start(workers=2, max_queue_size=4)
    batches = enqueuer.get()
    values = [next(batches) for _ in range(6)]
    enqueuer.stop()
    np.random.seed(0)
    assert np.random.randint(0, 2 ** 30) not in values


def test_generator_enqueuer_processes_reraise_and_end(no_leaks):
    enqueuer = GeneratorEnqueuer(_counting(fail_at=2), use_multiprocessing=True)
    enqueuer.start(workers=1, max_queue_size=2)
    batches = enqueuer.get()
    assert [next(batches), next(batches)] == [0, 1]
    with pytest.raises(KeyError, match='generator failed at 2'):
        next(batches)
    assert not enqueuer.is_running()

    enqueuer = GeneratorEnqueuer(_counting(3), use_multiprocessing=True)
    enqueuer.start(workers=1, max_queue_size=2)
    assert list(enqueuer.get()) == [0, 1, 2]
    enqueuer.stop()


def test_worker_helpers(monkeypatch):
    monkeypatch.setattr(_enqueuers, '_SHARED_SEQUENCES', {})  # restored afterwards
    data_utils.init_pool({'u': [10, 20, 30]})
    assert data_utils.get_index('u', 2) == 30
    data_utils.init_pool_generator({'g': iter('ab')}, random_seed=5)
    assert data_utils.next_sample('g') == 'a'
    assert data_utils.next_sample('g') == 'b'
