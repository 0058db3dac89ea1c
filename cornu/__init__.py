"""cornu: the Keras 2 API on PyTorch and JAX.

`import cornu as keras` and Keras 2 code runs unchanged.
"""
__version__ = '0.1.0'

from . import backend  # noqa: E402
