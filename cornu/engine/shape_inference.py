"""Static shapes for code that has no shape formula, found by running it on small probes.

Built-in layers compute their output shapes with `compute_output_shape`. A `Lambda` without
`output_shape`, a custom layer that does not override `compute_output_shape`, a mask function
or a `K` op applied to symbolic tensors is run instead on zero-filled tensors whose unknown
(`None`) sizes are replaced by two different probe sizes: an output size that differs between
the two runs depends on an unknown input size and is reported as `None`.
"""
from .. import backend as K
from ..backend import kernels
from ..backend.run_context import current, run_context

# (batch size, size for other unknown axes) for the two probe runs.
_PROBE_SIZES = ((2, 16), (3, 17))



def is_probing():
    """True while code runs on probes (layers must then skip side effects like add_loss)."""
    return current().probing


def map_structure(fn, structure):
    """Applies `fn` to every leaf of nested lists, tuples and dicts."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def flatten_structure(structure):
    """The leaves of nested lists, tuples and dicts, in order."""
    leaves = []
    map_structure(leaves.append, structure)
    return leaves


def _probe_for(template, run):
    batch, other = _PROBE_SIZES[run]
    shape = tuple((batch if axis == 0 else other) if size is None else size
                  for axis, size in enumerate(template._keras_shape))
    dtype = template.dtype if template.dtype != 'bool' else 'bool'
    return K.constant(0, dtype=dtype, shape=shape)


def _substitute(structure, run, extra_masks=None):
    def replace(leaf):
        if isinstance(leaf, K.KerasTensor):
            return _probe_for(leaf, run)
        return leaf
    return map_structure(replace, structure)


def _merge_shapes(first, second):
    if len(first) != len(second):
        return tuple(None for _ in first)
    return tuple(a if a == b else None for a, b in zip(first, second))


def probe(fn, args, kwargs):
    """Runs `fn(*args, **kwargs)` twice on probes for the symbolic tensors in them.

    # Returns
        The structure `fn` returns, with each tensor replaced by `(shape, dtype)` where
        `shape` holds `None` for sizes that follow an unknown input size.
    """
    results = []
    with run_context(probing=True, learning_phase=0), kernels.no_grad():
        for run in range(2):
            results.append(fn(*_substitute(args, run), **_substitute(kwargs, run)))
    first, second = results

    def describe(a, b):
        if a is None:
            return None
        if not K.is_tensor(a):
            return a
        return (_merge_shapes(tuple(K.int_shape(a)), tuple(K.int_shape(b))), K.dtype(a))

    return _zip_structures(describe, first, second)


def _zip_structures(fn, a, b):
    if isinstance(a, (list, tuple)):
        zipped = [_zip_structures(fn, x, y) for x, y in zip(a, b)]
        return zipped if isinstance(a, list) else tuple(zipped)
    if isinstance(a, dict):
        return {k: _zip_structures(fn, a[k], b[k]) for k in a}
    return fn(a, b)
