"""The configuration file: `~/.cornu/cornu.json`, else Keras' `~/.keras/keras.json` (or
`$KERAS_HOME/keras.json`), so that a machine set up for Keras 2 keeps its
`image_data_format`, `floatx` and `epsilon`; the engine it names; a missing engine."""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

from cornu.backend import common, engine_choice

REPOSITORY = str(pathlib.Path(__file__).resolve().parents[2])


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """A fresh home directory with `.cornu` and `.keras` folders (neither holding a file),
    and the settings of the process restored after the test."""
    home = tmp_path / 'home'
    (home / '.cornu').mkdir(parents=True)
    (home / '.keras').mkdir()
    monkeypatch.setenv('HOME', str(home))
    for name in ('CORNU_HOME', 'KERAS_HOME'):
        monkeypatch.delenv(name, raising=False)
    saved = (common.floatx(), common.epsilon(), common.image_data_format(),
             common.streaming_threshold_setting())
    yield home
    common.set_floatx(saved[0])
    common.set_epsilon(saved[1])
    common.set_image_data_format(saved[2])
    common.set_streaming_threshold(saved[3])


def _write(path, config):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    return str(path)


KERAS_2_THEANO = {'floatx': 'float64', 'epsilon': 1e-05, 'backend': 'theano',
                  'image_data_format': 'channels_first'}


def test_keras_json_is_honoured_when_there_is_no_cornu_json(homes):
    path = _write(homes / '.keras' / 'keras.json', KERAS_2_THEANO)
    assert common.user_config_file() == path
    assert common.load_user_config() == KERAS_2_THEANO
    assert common.floatx() == 'float64'
    assert common.epsilon() == 1e-05
    assert common.image_data_format() == 'channels_first'


def test_cornu_json_wins_over_keras_json(homes):
    _write(homes / '.keras' / 'keras.json', KERAS_2_THEANO)
    path = _write(homes / '.cornu' / 'cornu.json', {'epsilon': 0.001})
    assert common.user_config_file() == path
    common.load_user_config()
    # Only cornu.json is read: nothing of keras.json is applied.
    assert common.epsilon() == 0.001
    assert common.floatx() == 'float32'
    assert common.image_data_format() == 'channels_last'


def test_keras_home_is_where_keras_json_is_looked_for(homes, tmp_path, monkeypatch):
    _write(homes / '.keras' / 'keras.json', {'epsilon': 0.5})
    path = _write(tmp_path / 'elsewhere' / 'keras.json', {'epsilon': 0.25})
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'elsewhere'))
    assert common.keras_config_path() == path
    common.load_user_config()
    assert common.epsilon() == 0.25


def test_keras_1_image_dim_ordering_and_values_of_the_wrong_kind(homes):
    _write(homes / '.keras' / 'keras.json',
           {'image_dim_ordering': 'th', 'floatx': 'float128', 'epsilon': 'small'})
    common.load_user_config()
    assert common.image_data_format() == 'channels_first'
    assert (common.floatx(), common.epsilon()) == ('float32', 1e-7)


def test_no_file_and_a_broken_file(homes):
    assert common.user_config_file() is None
    assert common.read_user_config() == (None, {})
    path = homes / '.keras' / 'keras.json'
    path.write_text('{not json')
    assert common.read_user_config() == (str(path), {})
    assert common.load_user_config() == {}


@pytest.mark.parametrize('backend', ['tensorflow', 'theano', 'cntk', 'mxnet'])
def test_keras_backends_mean_the_default_engine_with_a_note(homes, backend):
    path = _write(homes / '.keras' / 'keras.json', {'backend': backend})
    engine, note = engine_choice.choose_engine(None, {'backend': backend}, path)
    assert engine == 'torch'
    assert note == ("Using cornu's torch engine for the backend %r of %s (set CORNU_BACKEND "
                    "to torch or jax to choose)." % (backend, path))


@pytest.mark.parametrize('engine', ['torch', 'jax'])
def test_keras_3_engine_names_choose_that_engine(homes, engine):
    path = _write(homes / '.keras' / 'keras.json', {'backend': engine})
    chosen = engine_choice.choose_engine(None, {'backend': engine.upper()}, path)
    if importlib.util.find_spec(engine) is not None:
        assert chosen == (engine, None)
    else:
        # Not installed here (CI's first pass has no JAX): the default engine, with a note.
        assert chosen[0] == 'torch'
        assert "for the backend %r of %s" % (engine.upper(), path) in chosen[1]


def test_the_environment_variable_and_cornu_json_must_name_an_engine(homes):
    cornu_json = _write(homes / '.cornu' / 'cornu.json', {'backend': 'tensorflow'})
    with pytest.raises(ValueError, match=r"Unknown cornu backend 'tensorflow' \(.*cornu.json\)"
                                         r": expected one of torch, jax"):
        engine_choice.choose_engine(None, {'backend': 'tensorflow'}, cornu_json)
    with pytest.raises(ValueError, match=r"'theano' \(CORNU_BACKEND\)"):
        engine_choice.choose_engine('theano', {}, None)
    assert engine_choice.choose_engine('Jax', {'backend': 'torch'}, cornu_json) == ('jax', None)
    assert engine_choice.choose_engine(None, {}, None) == ('torch', None)


def test_a_missing_engine_names_the_pip_install(monkeypatch):
    engine_choice.check_installed(engine_choice.ENGINE)  # the engine running the tests
    monkeypatch.setitem(engine_choice._REQUIRED_MODULES, 'jax', ('no_such_module_',))
    with pytest.raises(engine_choice.EngineNotInstalledError) as error:
        engine_choice.check_installed('jax')
    assert isinstance(error.value, ImportError)
    assert str(error.value) == (
        "cornu's jax engine needs no_such_module_, which is not installed: run "
        "pip install -e '.[jax]' in cornu's directory (or pip install jax jaxlib optax).")


def _run(code, home, **env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('CORNU_BACKEND', 'CORNU_HOME', 'KERAS_HOME',
                        'CORNU_KERAS_BACKEND_NOTED')}
    env.update(HOME=str(home), PYTHONPATH=REPOSITORY, **env_changes)
    return subprocess.run([sys.executable, '-c', code], env=env, cwd=REPOSITORY,
                          capture_output=True, text=True)


def test_a_theano_era_keras_json_in_a_fresh_process(homes):
    path = _write(homes / '.keras' / 'keras.json', KERAS_2_THEANO)
    result = _run('import cornu, cornu as keras\n'
                  'from cornu import backend as K\n'
                  'print(K.backend(), K.image_data_format(), K.floatx(), K.epsilon())',
                  homes)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['torch', 'channels_first', 'float64', '1e-05']
    # The note, once.
    assert result.stderr.count("Using cornu's torch engine for the backend 'theano' of " +
                               path) == 1


def test_the_keras_backend_note_is_not_repeated_by_child_processes(homes):
    _write(homes / '.keras' / 'keras.json', KERAS_2_THEANO)
    result = _run('import subprocess, sys\n'
                  'import cornu\n'
                  'subprocess.run([sys.executable, "-c", "import cornu"], check=True)',
                  homes)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Using cornu's torch engine") == 1


@pytest.mark.parametrize('engine, blocked', [('jax', 'jax'), ('torch', 'torch')])
def test_import_cornu_without_the_engine_says_what_to_install(homes, engine, blocked):
    # `sys.modules[name] = None` makes a module look not installed.
    result = _run('import sys\nsys.modules[%r] = None\nimport cornu' % blocked, homes,
                  CORNU_BACKEND=engine)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    # (Where JAX is not installed at all, jaxlib is named beside it.)
    assert last_line.startswith('cornu.backend.engine_choice.EngineNotInstalledError: '
                                "cornu's %s engine needs %s" % (engine, blocked))
    assert ', which is not installed: run pip install ' in last_line
