"""Symbolic tensors: what `Input()` and layers called on `Input()` return.

A `KerasTensor` carries a static shape (with `None` for unknown sizes), a dtype, a name and its
history (`_keras_history = (layer, node_index, tensor_index)`). It holds no data. `K` functions
applied to symbolic tensors do not compute: they record an op in the graph and return a new
symbolic tensor, so Keras 2 idioms such as `K.function([model.input], [K.mean(layer.output)])`
work. The engine registers how an op is recorded (`set_op_recorder`), since graph nodes belong
to `cornu.engine`, which this module must not import.
"""
import functools

_op_recorder = None
_function_builder = None


def set_op_recorder(recorder):
    """Registers `recorder(fn, args, kwargs) -> KerasTensor(s)` for K ops on symbolic tensors."""
    global _op_recorder
    _op_recorder = recorder


def set_function_builder(builder):
    """Registers `builder(inputs, outputs, updates, name) -> callable` behind `K.function`."""
    global _function_builder
    _function_builder = builder


class TensorShape(tuple):
    """A static shape: a tuple of ints and `None`s, with TensorFlow's `as_list()` for old code."""

    def as_list(self):
        return list(self)

    @property
    def ndims(self):
        return len(self)


class KerasTensor:
    """A symbolic tensor of the functional API.

    # Arguments
        shape: tuple of ints or `None`, the batch dimension included.
        dtype: dtype name, e.g. `'float32'`.
        name: optional name.
    """

    # Lets NumPy defer to our operators (`np_array * keras_tensor`).
    __array_priority__ = 1000

    def __init__(self, shape, dtype='float32', name=None, sparse=False):
        self._keras_shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self.sparse = sparse
        self._keras_history = None
        self._keras_mask = None
        self._uses_learning_phase = False

    @property
    def shape(self):
        return TensorShape(self._keras_shape)

    def get_shape(self):
        return TensorShape(self._keras_shape)

    @property
    def ndim(self):
        return len(self._keras_shape)

    def __len__(self):
        raise TypeError('len() of a symbolic tensor is unknown until it is run; '
                        'use K.int_shape(x) for its static shape.')

    def __iter__(self):
        raise TypeError('A symbolic tensor cannot be iterated; index it or use K.unstack-style ops.')

    def __bool__(self):
        raise TypeError('The truth value of a symbolic tensor is unknown until the graph runs '
                        '(use K.switch or K.in_train_phase for conditions).')

    def __repr__(self):
        return f"<KerasTensor '{self.name}' shape={self._keras_shape} dtype={self.dtype}>"

    __hash__ = object.__hash__

    # Operators record ops like any K function (see `_install_operators`).


class LearningPhase(KerasTensor):
    """The symbolic learning phase that `K.learning_phase()` returns outside a run.

    Feed it to `K.function` to choose test (0) or train (1) behaviour.
    """

    def __init__(self):
        super().__init__((), dtype='bool', name='keras_learning_phase')

    def __repr__(self):
        return '<LearningPhase>'


LEARNING_PHASE = LearningPhase()


def is_symbolic(x):
    return isinstance(x, KerasTensor)


# What may be or hold a symbolic tensor: one `isinstance` per argument rules the rest out.
_SYMBOLIC_OR_SEQUENCE = (KerasTensor, list, tuple)


def _contains_symbolic(values):
    for v in values:
        if isinstance(v, _SYMBOLIC_OR_SEQUENCE):
            if isinstance(v, KerasTensor):
                return True
            for w in v:
                if isinstance(w, KerasTensor):
                    return True
    return False


def record(fn, args, kwargs):
    if _op_recorder is None:
        raise RuntimeError('Symbolic tensors need cornu.engine; import cornu first.')
    return _op_recorder(fn, args, kwargs)


def graph_op(fn):
    """Marks a backend function as one that records a graph op when given symbolic tensors.

    `K` wraps exactly the marked functions (see `dispatching`) when it exports them; an
    unmarked function (one that creates state, reads static properties or builds callables)
    is handed symbolic tensors as they are. The marker is an attribute, so the engines' own
    calls between their functions pay nothing for it.

    # Arguments
        fn: the function to mark.

    # Returns
        `fn` itself.
    """
    fn.records_graph_op = True
    return fn


def records_graph_op(fn):
    """Whether `fn` carries the `graph_op` marker."""
    return getattr(fn, 'records_graph_op', False) is True


def dispatching(fn):
    """Wraps a backend function so that a call on symbolic tensors records an op instead."""

    # Every `K` call on concrete tensors passes here: the common case (no argument is a
    # symbolic tensor, a list or a tuple) is decided inline, without a call per argument.
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for value in args:
            if isinstance(value, _SYMBOLIC_OR_SEQUENCE):
                if _contains_symbolic(args):
                    return record(fn, args, kwargs)
                break
        if kwargs:
            for value in kwargs.values():
                if isinstance(value, _SYMBOLIC_OR_SEQUENCE):
                    if _contains_symbolic(kwargs.values()):
                        return record(fn, args, kwargs)
                    break
        return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn
    return wrapper


def install_operators(ops):
    """Gives `KerasTensor` Python operators built from the engine's functions.

    # Arguments
        ops: dict mapping a dunder name (e.g. `'__add__'`) to a function of two arguments.
    """
    for dunder, op in ops.items():
        setattr(KerasTensor, dunder, _symbolic_operator(op))


def _symbolic_operator(op):
    def method(self, *args):
        return record(op, (self,) + args, {})
    return method
