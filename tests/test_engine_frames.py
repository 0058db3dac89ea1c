"""The test helper that tells engine frames from cornu's own."""
import os

from tests.engine_frames import _CORNU, is_engine_frame


def test_engine_frames_are_cornus_backend_and_the_engines_packages():
    assert is_engine_frame(os.path.join(_CORNU, 'backend', 'torch', 'nn.py'))
    assert is_engine_frame(os.path.join(_CORNU, 'backend', 'steps.py'))
    assert not is_engine_frame(os.path.join(_CORNU, 'engine', 'training.py'))
    site = os.path.join(os.sep, 'venv', 'lib', 'site-packages')
    assert is_engine_frame(os.path.join(site, 'torch', 'nn', 'functional.py'))
    assert is_engine_frame(os.path.join(site, 'jax', '_src', 'api.py'))
    assert is_engine_frame(os.path.join(site, 'jaxlib', 'xla_client.py'))
    # A folder merely named after an engine is not an engine.
    assert not is_engine_frame(os.path.join(os.sep, 'home', 'jax-notes', 'script.py'))
    assert not is_engine_frame(os.path.join(os.sep, 'srv', 'torchlight', 'train.py'))
