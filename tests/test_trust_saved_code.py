"""Loading Lambda bytecode: refused by default, allowed without changing a script through the
`CORNU_TRUST_SAVED_CODE` environment variable or `python -m cornu run --trust-saved-code`."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu.__main__ as cornu_main
from cornu._common import serialization
from cornu.layers import Input, Lambda
from cornu.models import Model, load_model, model_from_json

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _save_lambda_model(path):
    inputs = Input((3,))
    model = Model(inputs, Lambda(lambda t: t * 3. + 1., name='affine')(inputs))
    model.save(path)
    return model


def test_refusal_names_every_way_to_trust(tmp_path, monkeypatch):
    monkeypatch.delenv('CORNU_TRUST_SAVED_CODE', raising=False)
    path = str(tmp_path / 'lambda.h5')
    _save_lambda_model(path)
    with pytest.raises(ValueError) as error:
        load_model(path)
    message = str(error.value)
    assert 'Layer "affine" holds Python bytecode' in message
    assert '`safe_mode=False`' in message
    assert 'CORNU_TRUST_SAVED_CODE=1' in message
    assert 'python -m cornu run --trust-saved-code script.py' in message


@pytest.mark.parametrize('value, trusted', [('1', True), ('true', True), ('YES', True),
                                            ('0', False), ('', False), ('no', False)])
def test_environment_variable_trusts_saved_code(tmp_path, monkeypatch, value, trusted):
    path = str(tmp_path / 'lambda.h5')
    model = _save_lambda_model(path)
    x = np.arange(6, dtype='float32').reshape(2, 3)
    monkeypatch.setenv('CORNU_TRUST_SAVED_CODE', value)
    assert serialization.unsafe_deserialization_enabled() is trusted
    if trusted:
        np.testing.assert_allclose(load_model(path, compile=False).predict(x), x * 3. + 1.)
        np.testing.assert_allclose(model_from_json(model.to_json()).predict(x), x * 3. + 1.)
    else:
        with pytest.raises(ValueError, match='holds Python bytecode'):
            load_model(path, compile=False)
        with pytest.raises(ValueError, match='holds Python bytecode'):
            model_from_json(model.to_json())


def test_runner_and_library_name_the_same_variable():
    assert cornu_main.TRUST_SAVED_CODE_VARIABLE == serialization.TRUST_SAVED_CODE_VARIABLE


def test_runner_flag_lets_an_unchanged_script_load_lambda_models(tmp_path):
    path = str(tmp_path / 'lambda.h5')
    _save_lambda_model(path)
    script = tmp_path / 'old_script.py'
    # A Keras 2 script, as written for Keras: it loads its own Lambda model.
    script.write_text(textwrap.dedent('''
        import sys
        import numpy as np
        from keras.models import load_model
        model = load_model(sys.argv[1], compile=False)
        print('prediction', model.predict(np.ones((1, 3), dtype='float32'))[0].tolist())
    '''))
    env = dict(os.environ)
    env.pop('CORNU_TRUST_SAVED_CODE', None)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')

    def run(*flags):
        return subprocess.run([sys.executable, '-m', 'cornu', 'run'] + list(flags) +
                              [str(script), path], env=env, cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=300)

    trusted = run('--trust-saved-code')
    assert trusted.returncode == 0, trusted.stderr
    assert 'prediction [4.0, 4.0, 4.0]' in trusted.stdout
    refused = run()
    assert refused.returncode != 0
    assert 'holds Python bytecode' in refused.stderr
    assert '--trust-saved-code' in refused.stderr
