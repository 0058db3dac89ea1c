"""Which engine runs cornu, chosen once per process, and access to its modules.

The `CORNU_BACKEND` environment variable, else the `"backend"` entry of the configuration file
in use (`~/.cornu/cornu.json`, else Keras' `~/.keras/keras.json`), else `torch`. Both
`cornu.backend` (the public `K`) and `cornu.backend.kernels` (cornu's own kernels) read the
choice from here.
"""
import importlib
import importlib.util
import os
import sys

from .common import config_path, load_user_config, user_config_file
from .host_runtime import configure_host_runtime

ENGINES = ('torch', 'jax')
DEFAULT_ENGINE = 'torch'

# The modules each engine cannot start without, and how to install them.
_REQUIRED_MODULES = {'torch': ('torch',), 'jax': ('jax', 'jaxlib')}
_INSTALL_COMMANDS = {
    'torch': "pip install torch (or, in cornu's directory, pip install -e '.[torch]')",
    'jax': "pip install -e '.[jax]' in cornu's directory (or pip install jax jaxlib optax)",
}


class EngineNotInstalledError(ImportError):
    """The engine chosen for cornu is not installed; the message says what to install."""


def choose_engine(requested, config, config_file=None):
    """Works out the engine from the environment variable and the configuration file.

    Keras' own `keras.json` (read when there is no `cornu.json`) names Keras' backends:
    `"tensorflow"`, `"theano"` and `"cntk"` (and any other value that is not one of cornu's
    installed engines) mean cornu's default engine, and a note says so; Keras 3's `"torch"`
    and `"jax"` choose that engine of cornu's when it is installed.

    # Arguments
        requested: the value of `CORNU_BACKEND`, or `None`/`''` when it is not set.
        config: the configuration file's contents (a dict).
        config_file: the path of that file, or `None`.

    # Returns
        The tuple `(engine, note)`: the engine's name and a line to show the user (or `None`).

    # Raises
        ValueError: when `CORNU_BACKEND` or `cornu.json` names no engine of cornu's.
    """
    if requested:
        name, source = str(requested).lower(), 'CORNU_BACKEND'
    elif config.get('backend'):
        name, source = str(config['backend']).lower(), config_file or config_path()
    else:
        return DEFAULT_ENGINE, None
    from_keras_config = source != 'CORNU_BACKEND' and source != config_path()
    if name in ENGINES and not (from_keras_config and _missing_modules(name)):
        return name, None
    if from_keras_config:
        note = (f"Using cornu's {DEFAULT_ENGINE} engine for the backend "
                f"{config['backend']!r} of {source} (set CORNU_BACKEND to "
                f'{" or ".join(ENGINES)} to choose).')
        return DEFAULT_ENGINE, note
    raise ValueError(f'Unknown cornu backend {name!r} ({source}): expected one of '
                     f'{", ".join(ENGINES)}.')


def _missing_modules(engine):
    return [m for m in _REQUIRED_MODULES[engine] if importlib.util.find_spec(m) is None]


def install_command(engine):
    """The command that installs `engine`, as text."""
    return _INSTALL_COMMANDS[engine]


def check_installed(engine):
    """Raises `EngineNotInstalledError`, naming the command to run, when a module `engine`
    needs cannot be found (before importing it, so the error is one clear sentence)."""
    missing = _missing_modules(engine)
    if missing:
        raise EngineNotInstalledError(
            f"cornu's {engine} engine needs {', '.join(missing)}, which is not installed: "
            f'run {_INSTALL_COMMANDS[engine]}.')


# Set once the note on Keras' backend name has been shown (see `_select_engine`).
_NOTED = 'CORNU_KERAS_BACKEND_NOTED'


def _select_engine():
    config = load_user_config()
    config_file = user_config_file()
    requested = os.environ.get('CORNU_BACKEND')
    name, note = choose_engine(requested, config, config_file)
    if note and not os.environ.get(_NOTED):
        # Once, like Keras 2's own "Using TensorFlow backend." line: the processes this one
        # starts (data workers, torchrun's ranks started from it) inherit the variable.
        sys.stderr.write(note + '\n')
        os.environ[_NOTED] = '1'
    check_installed(name)
    if requested:
        chosen_by = 'CORNU_BACKEND=' + requested
    elif config.get('backend') and not note:
        chosen_by = '"backend" of ' + config_file
    else:
        chosen_by = 'the default'
    return name, chosen_by


# The engine, and what chose it (for `python -m cornu info`).
ENGINE, CHOSEN_BY = _select_engine()
# Before the engine's first import, so that its first large blocks already come from the heap.
HOST_RUNTIME = configure_host_runtime(ENGINE)


def engine_module(name):
    """Imports and returns the engine's module `name`, e.g. `'math'` for
    `cornu.backend.torch.math`."""
    return importlib.import_module(f'cornu.backend.{ENGINE}.{name}')
