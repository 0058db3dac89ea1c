"""Which frames of a traceback run engine code: cornu's `backend` package, or the engines'
own packages (torch, jax, jaxlib). Tests of argument checks use it to show that a bad value
was refused by cornu before any engine code ran."""
import os

import cornu

_CORNU = os.path.dirname(os.path.abspath(cornu.__file__))
_BACKEND = os.path.join(_CORNU, 'backend') + os.sep
_ENGINE_PACKAGES = ('torch', 'jax', 'jaxlib')


def is_engine_frame(path):
    """Whether the source file `path` is engine code (a folder named like an engine in a
    checkout's own path, such as `jax-work/`, is not)."""
    path = os.path.abspath(str(path))
    if path.startswith(_CORNU + os.sep):
        return path.startswith(_BACKEND)
    return any(part in _ENGINE_PACKAGES for part in path.split(os.sep)[:-1])


def engine_frames(traceback):
    """The paths of `traceback`'s (a pytest `ExceptionInfo.traceback`) engine frames."""
    return [str(entry.path) for entry in traceback if is_engine_frame(entry.path)]
