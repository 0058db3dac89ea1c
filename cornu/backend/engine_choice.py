"""Which engine runs cornu, chosen once per process, and access to its modules.

The `CORNU_BACKEND` environment variable, else the `"backend"` entry of `~/.cornu/cornu.json`,
else `torch`. Both `cornu.backend` (the public `K`) and `cornu.backend.kernels` (cornu's own
kernels) read the choice from here.
"""
import importlib
import os

from .common import load_user_config
from .host_runtime import configure_host_runtime

ENGINES = ('torch', 'jax')


def _select_engine():
    config = load_user_config()
    name = os.environ.get('CORNU_BACKEND') or config.get('backend') or 'torch'
    name = str(name).lower()
    if name not in ENGINES:
        raise ValueError(f'Unknown cornu backend {name!r} (CORNU_BACKEND or '
                         f'~/.cornu/cornu.json): expected one of {", ".join(ENGINES)}.')
    return name


ENGINE = _select_engine()
# Before the engine's first import, so that its first large blocks already come from the heap.
HOST_RUNTIME = configure_host_runtime(ENGINE)


def engine_module(name):
    """Imports and returns the engine's module `name`, e.g. `'math'` for
    `cornu.backend.torch.math`."""
    return importlib.import_module(f'cornu.backend.{ENGINE}.{name}')
