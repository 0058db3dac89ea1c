"""cornu: the Keras 2 API on PyTorch and JAX.

`import cornu as keras` and Keras 2 code runs unchanged.
"""
from ._version import __version__, __keras_version__  # noqa: F401
from . import backend  # noqa: E402
from . import engine  # noqa: E402
from . import activations, initializers, regularizers, constraints  # noqa: E402
from . import losses, metrics, optimizers, callbacks  # noqa: E402
from . import layers  # noqa: E402
from . import models  # noqa: E402
from . import utils  # noqa: E402
from . import datasets  # noqa: E402
from . import preprocessing  # noqa: E402
from . import wrappers  # noqa: E402
from . import applications  # noqa: E402
from . import distribute  # noqa: E402
from .layers import Input  # noqa: E402
from .models import Model, Sequential  # noqa: E402
