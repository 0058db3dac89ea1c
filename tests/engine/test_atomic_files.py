"""Atomic writes survive a writer killed mid-save: the temporary a killed save leaves is
removed by the next save of the same file, and only that (a live writer's temporary, and
files of other names, stay), for every format cornu writes atomically.

The killed writers are real processes, killed with SIGKILL while inside a save: each stops
just before the temporary reaches the disk (`os.fsync`, patched in that process) and says so
on its standard output, so no test waits on a clock."""
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from cornu.engine.atomic_files import (atomic_file, remove_abandoned_temporaries,
                                       temporary_pattern)
from cornu.layers import Dense
from cornu.models import Sequential, load_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_STALLED_WRITER = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    from cornu.layers import Dense
    from cornu.models import Sequential

    def stalled(fd):  # the temporary is written, not yet on disk nor renamed
        print('writing', flush=True)
        time.sleep(600)

    os.fsync = stalled
    model = Sequential([Dense(3, input_shape=(2,))])
    model.set_weights([np.full((2, 3), 7., 'float32'), np.zeros(3, 'float32')])
    path = sys.argv[1]
    if sys.argv[2] == 'weights':
        model.save_weights(path)
    else:
        model.save(path)
''')


def _model(value):
    model = Sequential([Dense(3, input_shape=(2,))])
    model.set_weights([np.full((2, 3), value, 'float32'), np.zeros(3, 'float32')])
    model.compile('sgd', 'mse')
    return model


def _temporaries(path):
    folder, name = os.path.split(path)
    pattern = temporary_pattern(name)
    return sorted(entry for entry in os.listdir(folder) if pattern.match(entry))


def _start_stalled_writer(path, what):
    """A process saving to `path`, stopped inside the save; returns it once it is there."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    writer = subprocess.Popen([sys.executable, '-c', _STALLED_WRITER, path, what],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert writer.stdout.readline().strip() == b'writing'
    return writer


def _kill(writer):
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()


def _save(model, path, what):
    if what == 'weights':
        model.save_weights(path)
    else:
        model.save(path)


def _kernel_in(path, what):
    if what == 'weights':
        model = _model(0.)
        model.load_weights(path)
        return model.get_weights()[0]
    return load_model(path).get_weights()[0]


_TARGETS = [('model.h5', 'model'), ('model.keras', 'model'), ('w.h5', 'weights'),
            ('w.weights.h5', 'weights')]


@pytest.mark.timeout(240)
@pytest.mark.parametrize('name,what', _TARGETS)
def test_the_next_save_removes_the_temporary_of_a_killed_save(tmp_path, name, what):
    path = str(tmp_path / name)
    _save(_model(1.), path, what)
    writer = _start_stalled_writer(path, what)
    _kill(writer)
    left = _temporaries(path)
    assert len(left) == 1 and os.path.getsize(os.path.join(str(tmp_path), left[0])) > 0
    np.testing.assert_array_equal(_kernel_in(path, what), np.ones((2, 3)))  # untouched

    _save(_model(2.), path, what)
    assert _temporaries(path) == []
    np.testing.assert_array_equal(_kernel_in(path, what), np.full((2, 3), 2.))


@pytest.mark.timeout(240)
def test_a_live_writers_temporary_survives_a_concurrent_save(tmp_path):
    path = str(tmp_path / 'model.h5')
    writer = _start_stalled_writer(path, 'model')
    try:
        live = _temporaries(path)
        assert len(live) == 1
        _save(_model(3.), path, 'model')
        assert _temporaries(path) == live
        np.testing.assert_array_equal(_kernel_in(path, 'model'), np.full((2, 3), 3.))
    finally:
        _kill(writer)
    _save(_model(4.), path, 'model')  # its writer is gone now
    assert _temporaries(path) == []


def test_only_this_targets_abandoned_temporaries_are_removed(tmp_path):
    folder = str(tmp_path)
    path = os.path.join(folder, 'model.h5')
    abandoned = '.model.h5.0123456789ab.tmp'
    others = ['.model.h5.0123456789AB.tmp', '.model.h5.0123456789a.tmp',
              '.model.h5.zzzzzzzzzzzz.tmp', '.other.h5.0123456789ab.tmp',
              'model.h5.0123456789ab.tmp', '.model.h5.0123456789ab.tmp.bak',
              '.model.h5x.0123456789ab.tmp', '.xmodel.h5.0123456789ab.tmp']
    for entry in [abandoned] + others:
        with open(os.path.join(folder, entry), 'wb') as handle:
            handle.write(b'partial')
    remove_abandoned_temporaries(path)
    assert sorted(os.listdir(folder)) == sorted(others)


def test_an_empty_temporary_is_left_to_its_writer_for_a_minute(tmp_path):
    folder = str(tmp_path)
    path = os.path.join(folder, 'model.h5')
    fresh, old = '.model.h5.00000000000a.tmp', '.model.h5.00000000000b.tmp'
    for entry in (fresh, old):
        open(os.path.join(folder, entry), 'wb').close()
    hour_ago = time.time() - 3600
    os.utime(os.path.join(folder, old), (hour_ago, hour_ago))
    remove_abandoned_temporaries(path)
    assert os.listdir(folder) == [fresh]


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path):
    path = str(tmp_path / 'notes.json')
    with open(path, 'w') as handle:
        handle.write('old')
    with pytest.raises(RuntimeError, match='midway'):
        with atomic_file(path) as temporary:
            with open(temporary, 'w') as handle:
                handle.write('new, half')
            raise RuntimeError('midway')
    assert open(path).read() == 'old'
    assert _temporaries(path) == []


def test_converting_to_json_removes_an_abandoned_temporary(tmp_path):
    from cornu.engine.converter import convert
    source, target = str(tmp_path / 'model.h5'), str(tmp_path / 'model.json')
    _model(1.).save(source)
    with open(os.path.join(str(tmp_path), '.model.json.0123456789ab.tmp'), 'w') as handle:
        handle.write('{"partial')
    convert(source, target)
    assert _temporaries(target) == []
    assert '"class_name": "Sequential"' in open(target).read()


def test_the_temporary_pattern_is_the_documented_one():
    pattern = temporary_pattern('a.b.h5')
    assert pattern.match('.a.b.h5.0123456789ab.tmp')
    assert not pattern.match('.aXb.h5.0123456789ab.tmp')  # the name's dots are literal
    assert re.escape('a.b.h5') in pattern.pattern
