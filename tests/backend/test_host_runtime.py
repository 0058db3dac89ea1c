"""The host settings applied when cornu chooses its engine (`cornu/backend/host_runtime.py`).

Each case runs in a fresh interpreter: the settings are taken once per process, before the
engine is imported.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = str(pathlib.Path(__file__).resolve().parents[2])

_REPORT = """
import json, os
import cornu
from cornu.backend import engine_choice
print(json.dumps({'applied': engine_choice.HOST_RUNTIME,
                  'policy': os.environ.get('OMP_WAIT_POLICY'),
                  'engine': engine_choice.ENGINE}))
"""

# Page faults while allocating, filling and freeing twenty 20 MB arrays after a first one: a
# count of the kernel's work that the load of the machine does not change.
_FAULTS = """
import resource
import numpy as np
import cornu

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

first = np.full(5000000, 1.0, np.float32)
del first
start = faults()
for _ in range(20):
    a = np.full(5000000, 1.0, np.float32)
    b = a + 1.
    del a, b
print(faults() - start)
"""

# The same with 40 MB arrays made and freed by a thread other than the main one (as JAX's
# compiled steps allocate their temporaries): that thread's arena keeps its heap.
_THREAD_FAULTS = """
import resource, threading
import numpy as np
import cornu

counts = []

def work():
    first = np.full(10000000, 1.0, np.float32)
    del first
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        a = np.full(10000000, 1.0, np.float32)
        b = a + 1.
        del a, b
    counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)

thread = threading.Thread(target=work)
thread.start()
thread.join()
print(counts[0])
"""

# The same from a thread started after cornu chose its engine (as the engine's worker threads
# are), with 100 MB blocks (above what a thread's own glibc arena can hold: 64 MB heaps) taken
# from malloc as XLA takes them (NumPy would ask for huge pages, with fewer faults to count).
_LARGE_THREAD_FAULTS = """
import ctypes, ctypes.util, resource, threading
import cornu

libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
SIZE = 100 << 20

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def fill_and_free():
    block = libc.malloc(SIZE)
    ctypes.memset(block, 1, SIZE)
    libc.free(block)

counts = []

def work():
    fill_and_free()
    start = faults()
    for _ in range(10):
        fill_and_free()
    counts.append(faults() - start)

thread = threading.Thread(target=work)
thread.start()
thread.join()
print(counts[0])
"""


def _run(code, **env_changes):
    env = dict(os.environ, PYTHONPATH=ROOT)
    for name in ('OMP_WAIT_POLICY', 'CORNU_HOST_RUNTIME', 'GLIBC_TUNABLES'):
        env.pop(name, None)
    for name in [name for name in env if name.startswith('MALLOC_')]:
        env.pop(name)
    env.update(env_changes)
    result = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize('engine', ['torch', 'jax'])
def test_both_engines_set_the_malloc_thresholds(engine):
    if engine == 'jax':
        pytest.importorskip('jax', reason='the JAX engine is not installed')
    report = json.loads(_run(_REPORT, CORNU_BACKEND=engine))
    assert report['engine'] == engine
    # The OpenMP wait policy is never changed (PASSIVE slows small models' steps).
    assert report['policy'] is None
    # By default each thread keeps its own arena, on either engine (see the module doc).
    assert set(report['applied']) == {'malloc'}
    if sys.platform.startswith('linux'):
        mmap_threshold, trim_threshold, top_pad = report['applied']['malloc']
        assert mmap_threshold >= 32 << 20
        assert trim_threshold >= 512 << 20
        assert top_pad == 64 << 20


@pytest.mark.parametrize('engine', ['torch', 'jax'])
def test_one_heap_is_chosen_by_the_environment(engine):
    if engine == 'jax':
        pytest.importorskip('jax', reason='the JAX engine is not installed')
    report = json.loads(_run(_REPORT, CORNU_BACKEND=engine, CORNU_HOST_RUNTIME='One-Heap'))
    assert set(report['applied']) == {'malloc', 'one_heap'}
    if sys.platform.startswith('linux'):
        assert 512 << 20 <= report['applied']['one_heap'] < 2 ** 31


def test_an_unknown_host_runtime_is_refused_with_the_choices():
    env = dict(os.environ, PYTHONPATH=ROOT, CORNU_HOST_RUNTIME='shared')
    result = subprocess.run([sys.executable, '-c', 'import cornu'], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith('ValueError: CORNU_HOST_RUNTIME must be')
    assert "'default'" in message and "'one-heap'" in message and "'shared'" in message


@pytest.mark.parametrize('setting', [{'MALLOC_MMAP_THRESHOLD_': '131072'},
                                     {'GLIBC_TUNABLES': 'glibc.malloc.trim_threshold=0'}])
def test_the_users_own_malloc_settings_are_left_alone(setting):
    report = json.loads(_run(_REPORT, **setting))
    assert report['applied'] == {}


def test_default_host_runtime_changes_nothing():
    report = json.loads(_run(_REPORT, CORNU_HOST_RUNTIME='default'))
    assert report['applied'] == {}
    assert report['policy'] is None


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc malloc settings')
def test_freed_large_blocks_are_reused_without_new_page_faults():
    # The engine this process runs (CORNU_BACKEND) is the one the subprocesses choose.
    tuned = int(_run(_FAULTS))
    untouched = int(_run(_FAULTS, CORNU_HOST_RUNTIME='default'))
    # Untouched, each 20 MB block is a fresh mapping: ~5,000 faults per array, twice per loop.
    assert tuned * 4 < untouched, (tuned, untouched)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc malloc settings')
def test_blocks_freed_by_another_thread_are_reused_without_new_page_faults():
    tuned = int(_run(_THREAD_FAULTS))
    untouched = int(_run(_THREAD_FAULTS, CORNU_HOST_RUNTIME='default'))
    # Untouched, each 40 MB block gets a heap of its own, unmapped when it is freed: ~10,000
    # faults per array, twice per loop.
    assert tuned * 4 < untouched, (tuned, untouched)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc malloc settings')
@pytest.mark.parametrize('engine', ['torch', 'jax'])
def test_with_one_heap_threads_reuse_freed_blocks_larger_than_their_own_arena(engine):
    if engine == 'jax':
        pytest.importorskip('jax', reason='the JAX engine is not installed')
    one_heap = int(_run(_LARGE_THREAD_FAULTS, CORNU_BACKEND=engine,
                        CORNU_HOST_RUNTIME='one-heap'))
    own_arenas = int(_run(_LARGE_THREAD_FAULTS, CORNU_BACKEND=engine))
    untouched = int(_run(_LARGE_THREAD_FAULTS, CORNU_BACKEND=engine,
                         CORNU_HOST_RUNTIME='default'))
    # In a thread's own arena (the default, and untouched) each 100 MB block is mapped
    # afresh: ~24,000 faults each, ten times.
    assert untouched > 100000, untouched
    assert own_arenas > 100000, own_arenas
    assert one_heap * 20 < untouched, (one_heap, untouched)
