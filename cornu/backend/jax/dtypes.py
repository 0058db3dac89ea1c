"""Dtypes on JAX: the names Keras 2 uses, mapped to NumPy dtypes (64-bit types are enabled in
`core`, so `int64` and `float64` mean what they mean on the torch engine)."""
import numpy as np
import jax.numpy as jnp

from .. import common

_DTYPES = {
    'float16': np.dtype('float16'), 'float32': np.dtype('float32'),
    'float64': np.dtype('float64'), 'bfloat16': np.dtype(jnp.bfloat16),
    'int8': np.dtype('int8'), 'int16': np.dtype('int16'), 'int32': np.dtype('int32'),
    'int64': np.dtype('int64'), 'uint8': np.dtype('uint8'), 'bool': np.dtype('bool'),
    'complex64': np.dtype('complex64'), 'complex128': np.dtype('complex128'),
}


def standardize_dtype(dtype):
    """Maps a dtype given as a name or a NumPy/JAX dtype to a NumPy dtype (`None`: floatx)."""
    if dtype is None:
        return _DTYPES[common.floatx()]
    if isinstance(dtype, str):
        try:
            return _DTYPES[dtype]
        except KeyError as error:
            raise TypeError('Unsupported dtype: %r' % (dtype,)) from error
    try:
        name = np.dtype(dtype).name
    except TypeError as error:
        raise TypeError('Unsupported dtype: %r' % (dtype,)) from error
    try:
        return _DTYPES[name]
    except KeyError as error:
        raise TypeError('Unsupported dtype: %r' % (dtype,)) from error


def _dtype_name(dtype):
    return np.dtype(dtype).name


def is_floating(x):
    return jnp.issubdtype(x.dtype, jnp.floating)
