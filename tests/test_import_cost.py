"""`import cornu` loads only what every program needs: the heavy libraries behind rarely used
features (SciPy for image augmentation, Pillow for image files, h5py for model files,
requests for RemoteMonitor, pydot for plot_model, the engine not chosen) are imported when
first used."""
import json
import os
import pathlib
import subprocess
import sys

from cornu import backend as K

REPOSITORY = str(pathlib.Path(__file__).resolve().parents[1])
HEAVY_LIBRARIES = ('scipy', 'PIL', 'h5py', 'requests', 'pydot', 'pydotplus', 'yaml',
                   'pandas', 'sklearn', 'onnx', 'onnxruntime', 'tensorboard', 'tensorboardX',
                   'matplotlib')
OTHER_ENGINE = {'torch': 'jax', 'jax': 'torch'}


def _modules_loaded_by(statement):
    """The top-level names of the modules in `sys.modules` after `statement` runs in a
    fresh interpreter on this engine."""
    code = (statement + '\nimport sys, json\n'
            'print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))')
    env = dict(os.environ, PYTHONPATH=REPOSITORY, CORNU_BACKEND=K.backend())
    out = subprocess.run([sys.executable, '-c', code], env=env, cwd=REPOSITORY, check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_cornu_leaves_heavy_libraries_and_the_other_engine_alone():
    loaded = _modules_loaded_by('import cornu')
    assert 'cornu' in loaded and K.backend() in loaded
    # What the engine imports by itself is not cornu's doing (torch imports pydot).
    by_the_engine = _modules_loaded_by('import ' + K.backend())
    unwanted = (set(HEAVY_LIBRARIES) | {OTHER_ENGINE[K.backend()]}) - by_the_engine
    assert sorted(loaded & unwanted) == []


def test_the_checker_sees_a_heavy_import():
    # The same check fails once a feature that needs the libraries is used.
    loaded = _modules_loaded_by(
        'import numpy as np\n'
        'from cornu.preprocessing.image import apply_affine_transform, array_to_img\n'
        'apply_affine_transform(np.zeros((3, 4, 4)), theta=10)\n'
        'array_to_img(np.zeros((4, 4, 3)))\n'
        'from cornu.utils.io_utils import H5Dict\n'
        'H5Dict({})')
    assert {'scipy', 'PIL'} <= loaded
