"""`python -m cornu run` (Keras 2 scripts: `keras` is cornu, `keras.__version__` is Keras',
tracebacks start at the script, `import tensorflow` says what to use instead), `--help`, and
`python -m cornu info`."""
import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import textwrap
from importlib import metadata

import cornu
import cornu.__main__ as cornu_main
from cornu import backend as K

REPOSITORY = str(pathlib.Path(__file__).resolve().parents[1])


def _cornu(*args, cwd=None, env=None):
    environment = dict(os.environ, PYTHONPATH=REPOSITORY, CORNU_BACKEND=K.backend())
    environment.update(env or {})
    return subprocess.run([sys.executable, '-m', 'cornu'] + list(args), cwd=cwd or REPOSITORY,
                          env=environment, capture_output=True, text=True)


def _script(tmp_path, source, name='script.py'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_run_gives_keras_its_own_version_and_cornu_its_modules(tmp_path):
    _script(tmp_path, 'VALUE = 42\n', name='helper_module.py')
    script = _script(tmp_path, '''
        import json, sys
        import keras
        import keras.backend.tensorflow_backend as tfback
        from keras.layers import Dense
        from keras import backend as K
        from keras.preprocessing.image import ImageDataGenerator
        import keras.applications
        import cornu
        import helper_module  # next to the script, as with `python script.py`
        print(json.dumps({
            'keras_version': keras.__version__, 'cornu_version': cornu.__version__,
            'same_dense': Dense is cornu.layers.Dense, 'same_k': K is cornu.backend,
            'argv': sys.argv[1:], 'name': __name__, 'helper': helper_module.VALUE,
            'gpus': tfback._get_available_gpus(), 'keras_has_models': 'models' in dir(keras),
            'generator': ImageDataGenerator is cornu.preprocessing.image.ImageDataGenerator,
            'vgg16': keras.applications.VGG16 is cornu.applications.VGG16}))
    ''')
    result = _cornu('run', script, '--epochs', '3', '-h', cwd=str(tmp_path.parent))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {'keras_version': '2.2.4', 'cornu_version': cornu.__version__,
                      'same_dense': True, 'same_k': True, 'argv': ['--epochs', '3', '-h'],
                      'name': '__main__', 'helper': 42,
                      'gpus': K.tensorflow_backend._get_available_gpus(),
                      'keras_has_models': True, 'generator': True, 'vgg16': True}
    assert cornu.__version__ != '2.2.4'


def test_a_traceback_starts_at_the_script(tmp_path):
    script = _script(tmp_path, '''
        import keras

        def train():
            raise ValueError('bad value in the script')

        train()
    ''')
    result = _cornu('run', script)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == 'Traceback (most recent call last):'
    assert lines[1] == '  File "%s", line 7, in <module>' % script
    assert lines[-1] == 'ValueError: bad value in the script'
    assert 'runpy' not in result.stderr and '__main__.py' not in result.stderr


def test_exit_status_and_a_missing_script(tmp_path):
    assert _cornu('run', _script(tmp_path, 'import sys\nsys.exit(3)\n')).returncode == 3
    missing = _cornu('run', str(tmp_path / 'nowhere.py'))
    assert missing.returncode == 2
    assert "can't open file" in missing.stderr and 'nowhere.py' in missing.stderr


def test_import_tensorflow_says_what_to_use_instead(tmp_path):
    script = _script(tmp_path, 'import tensorflow as tf\nprint(tf.__name__)\n')
    result = _cornu('run', script)
    if importlib.util.find_spec('tensorflow') is not None:
        # A real TensorFlow is never shadowed.
        assert result.returncode == 0 and result.stdout.strip() == 'tensorflow'
        return
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: No module named 'tensorflow' (the script "
                           'imports TensorFlow, which is not installed): cornu runs Keras 2 '
                           'code on %s' % K.backend())
    assert 'K.set_random_seed for tf.set_random_seed' in last and 'K.function' in last


def test_a_script_catching_the_import_error_goes_on(tmp_path):
    script = _script(tmp_path, '''
        try:
            import tensorflow
        except ImportError:
            tensorflow = None
        print('went on')
    ''')
    result = _cornu('run', script)
    assert result.returncode == 0 and result.stdout.strip() == 'went on'


def _parser_actions():
    """Every (command, option strings or dest) of `python -m cornu`'s parser."""
    captured = {}
    original = argparse.ArgumentParser.parse_args

    def capture(parser, args=None, namespace=None):
        captured['parser'] = parser
        raise SystemExit(0)
    argparse.ArgumentParser.parse_args = capture
    try:
        try:
            cornu_main.main(['info'])
        except SystemExit:
            pass
    finally:
        argparse.ArgumentParser.parse_args = original
    parser = captured['parser']
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]
    return subparsers.choices


def test_help_documents_every_option():
    commands = _parser_actions()
    assert sorted(commands) == ['convert', 'info', 'run']
    assert '--trust-saved-code' in commands['run']._option_string_actions
    top = _cornu('--help')
    assert top.returncode == 0
    for command in commands:
        assert command in top.stdout
        result = _cornu(command, '--help')
        assert result.returncode == 0
        for action in commands[command]._actions:
            assert action.help, (command, action.dest)
            shown = action.option_strings[0] if action.option_strings else action.metavar
            assert shown in result.stdout, (command, shown)
    run_help = ' '.join(_cornu('run', '--help').stdout.split())
    assert "`keras.__version__` reads '2.2.4'" in run_help


def test_info_shows_engines_devices_and_the_configuration(tmp_path):
    home = tmp_path / 'home'
    (home / '.keras').mkdir(parents=True)
    config = {'backend': 'tensorflow', 'epsilon': 1e-05, 'floatx': 'float32',
              'image_data_format': 'channels_first'}
    (home / '.keras' / 'keras.json').write_text(json.dumps(config))
    result = _cornu('info', env={'HOME': str(home)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('cornu %s (the Keras 2.2.4 API); Python ' % cornu.__version__)
    assert lines[1].startswith('engine in use: %s (chosen by CORNU_BACKEND=%s); device: '
                               % (K.backend(), K.backend()))
    for engine, distribution in (('torch', 'torch'), ('jax', 'jax')):
        line = [l for l in lines if l.startswith(engine + ' ') or l.startswith(engine + ':')]
        assert len(line) == 1
        if importlib.util.find_spec(engine) is None:
            assert line[0].startswith(engine + ': not installed (pip install')
        else:
            assert line[0].startswith('%s %s' % (engine, metadata.version(distribution)))
            assert 'devices: ' in line[0]
    torch_line = [l for l in lines if l.startswith('torch ')]
    assert not torch_line or ('CUDA' in torch_line[0] and 'ROCm' in torch_line[0])
    path = str(home / '.keras' / 'keras.json')
    assert 'config file: %s %s' % (path, json.dumps(config, sort_keys=True)) in lines
    assert lines[-1] == 'in effect: floatx float32, epsilon 1e-05, image_data_format channels_first'


def test_info_without_a_configuration_file(tmp_path):
    result = _cornu('info', env={'HOME': str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert ('config file: none (looked for %s, then %s)'
            % (tmp_path / '.cornu' / 'cornu.json', tmp_path / '.keras' / 'keras.json')
            ) in result.stdout.splitlines()
