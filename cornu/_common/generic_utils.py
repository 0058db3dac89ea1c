"""Python utilities shared by the whole library: function marshalling for `Lambda` layers,
argument inspection, the progress bar and small list/shape helpers.

`cornu.utils.generic_utils` re-exports them with Keras 2.2.4's names, together with the
custom objects and `(de)serialize_keras_object` of `serialization.py`. They live here, below
the engine and the layers that use them, because `cornu.utils` imports `multi_gpu_model` and
`plot_model`, which build on the layers. Configs, saved `Lambda` functions and progress-bar
output look the same as they did under Keras 2.
"""
import binascii
import codecs
import collections
import inspect
import marshal
import re
import sys
import time
import types as python_types

import numpy as np

def func_dump(func):
    """Serializes a Python function (its bytecode, defaults and closure), e.g. a `Lambda`'s.

    The bytecode is `marshal`led and base64-encoded as Keras 2 (2.1.2 and later) did, so
    it can only be loaded by the same Python version.

    # Arguments
        func: the function to serialize.

    # Returns
        A tuple `(code, defaults, closure)`: `code` is a string, `defaults` the tuple of
        default argument values (or `None`), `closure` the tuple of the values of the
        closure cells (or `None`).

    # Raises
        TypeError: if `func` has no Python bytecode (a builtin, or a C-level wrapper such as
            NumPy's `np.argmax` since NumPy 1.25); store such functions by name instead.
    """
    if not isinstance(getattr(func, '__code__', None), python_types.CodeType):
        raise TypeError('func_dump serializes the bytecode of a Python function, but %r '
                        '(of type %s) has no `__code__`; refer to it by name (e.g. through '
                        '`custom_objects`) instead.' % (func, type(func).__name__))
    raw_code = marshal.dumps(func.__code__)
    code = codecs.encode(raw_code, 'base64').decode('ascii')
    defaults = func.__defaults__
    if func.__closure__:
        closure = tuple(cell.cell_contents for cell in func.__closure__)
    else:
        closure = None
    return code, defaults, closure


def _as_cell(value):
    if isinstance(value, python_types.CellType):
        return value
    return python_types.CellType(value)


def _unmarshal_code(code):
    try:
        raw_code = codecs.decode(code.encode('ascii'), 'base64')
        return marshal.loads(raw_code)
    except (UnicodeEncodeError, binascii.Error, ValueError, EOFError, TypeError):
        pass
    # Models saved before Keras 2.1.2 stored the raw marshal bytes as a
    # raw_unicode_escape-decoded string.
    try:
        return marshal.loads(code.encode('raw_unicode_escape'))
    except (UnicodeEncodeError, ValueError, EOFError, TypeError) as e:
        raise ValueError(
            'Could not load the bytecode of a serialized Python function (e.g. the function of '
            'a `Lambda` layer): %s. Function bytecode can only be loaded by the Python version '
            'that saved it (this is Python %d.%d). Rebuild the model in code and use '
            '`load_weights`, or re-save it from the original Python version.'
            % (e, sys.version_info[0], sys.version_info[1])) from e


def func_load(code, defaults=None, closure=None, globs=None):
    """Rebuilds a function serialized with `func_dump`.

    Accepts the base64 format of Keras >= 2.1.2 and the raw_unicode_escape format of earlier
    Keras 2 versions.

    # Arguments
        code: the serialized bytecode, or a whole `(code, defaults, closure)` tuple/list.
        defaults: default argument values of the function.
        closure: values of the function's closure cells.
        globs: the global namespace the function sees (default: this module's globals).

    # Returns
        A function.

    # Raises
        ValueError: when the bytecode cannot be read (typically: saved by another Python
            version).
    """
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    if closure is not None:
        closure = tuple(_as_cell(value) for value in closure)
    code = _unmarshal_code(code)
    if globs is None:
        globs = globals()
    return python_types.FunctionType(code, globs, name=code.co_name, argdefs=defaults,
                                     closure=closure)


ArgSpec = collections.namedtuple('ArgSpec', ['args', 'varargs', 'keywords', 'defaults'])


def getargspec(fn):
    """Python-2-style `getargspec` built on `inspect.getfullargspec`.

    # Arguments
        fn: the function to inspect.

    # Returns
        An `ArgSpec(args, varargs, keywords, defaults)` named tuple, where `keywords` is the
        name of the `**kwargs` argument (or `None`).
    """
    spec = inspect.getfullargspec(fn)
    return ArgSpec(args=spec.args, varargs=spec.varargs, keywords=spec.varkw,
                   defaults=spec.defaults)


def has_arg(fn, name, accept_all=False):
    """Whether a callable can be called with `name` as a keyword argument.

    # Arguments
        fn: the callable to inspect.
        name: the keyword argument's name.
        accept_all: what to answer when `fn` has no argument called `name` but takes
            `**kwargs`.

    # Returns
        bool.
    """
    signature = inspect.signature(fn)
    parameter = signature.parameters.get(name)
    if parameter is None:
        if accept_all:
            for param in signature.parameters.values():
                if param.kind == inspect.Parameter.VAR_KEYWORD:
                    return True
        return False
    return parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)


def _to_numpy(value):
    """NumPy view of a metric value that may be an engine tensor (on any device)."""
    if isinstance(value, (int, float, np.ndarray, np.generic)):
        return value
    from .. import backend as K
    from ..backend import kernels
    if K.is_tensor(value):
        return kernels.to_numpy(value)
    return value


class Progbar(object):
    """Displays a progress bar.

    On a terminal (or in a notebook) the bar is redrawn in place. When standard output is
    neither (a log file, a pipe), only the final line of each bar is printed, so logs stay
    readable.

    # Arguments
        target: total number of steps expected, `None` if unknown.
        width: width of the bar on screen, in characters.
        verbose: 0 (silent), 1 (bar), 2 (one line when the target is reached).
        interval: minimum time between two redraws, in seconds.
        stateful_metrics: names of the metrics shown as given instead of averaged over the
            steps seen so far.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = ((hasattr(sys.stdout, 'isatty') and sys.stdout.isatty()) or
                                 'ipykernel' in sys.modules)
        self._total_width = 0
        self._seen_so_far = 0
        self._values = collections.OrderedDict()
        self._start = time.time()
        self._last_update = 0

    def update(self, current, values=None, force=False):
        """Updates the progress bar.

        # Arguments
            current: index of the current step (number of samples or steps done).
            values: list of `(name, value_for_last_step)` tuples. Values of metrics named in
                `stateful_metrics` are shown as given; the others are averaged, weighted by
                the number of steps each covered.
            force: redraw even if `interval` has not elapsed (Keras 2.0 argument).
        """
        values = values or []
        steps = current - self._seen_so_far
        for name, value in values:
            if name in self.stateful_metrics:
                # Shown as is, but through the same [sum, count] form as averaged values.
                self._values[name] = [value, 1]
            elif name not in self._values:
                self._values[name] = [value * steps, steps]
            else:
                self._values[name][0] += value * steps
                self._values[name][1] += steps
        self._seen_so_far = current

        now = time.time()
        done = self.target is not None and current >= self.target
        if self.verbose == 1:
            if (not force and now - self._last_update < self.interval and
                    self.target is not None and current < self.target):
                return
            if not self._dynamic_display and self.target is not None and not done:
                # Carriage-return redraws would litter a log file: wait for the final line.
                return
            self._write_bar(current, now, done)
        elif self.verbose == 2:
            if self.target is None or done:
                info = ' - %.0fs' % (now - self._start)
                for name in self._values:
                    avg = self._average(name)
                    # Keras 2 tests `avg > 1e-3` here (not `abs(avg)`): kept for identical logs.
                    info += ' - %s:' % name
                    info += (' %.4f' % avg) if avg > 1e-3 else (' %.4e' % avg)
                sys.stdout.write(info + '\n')
                sys.stdout.flush()
        self._last_update = now

    def _average(self, name):
        total, count = self._values[name]
        return np.mean(_to_numpy(total) / max(1, count))

    def _write_bar(self, current, now, done):
        prev_total_width = self._total_width
        if self._dynamic_display:
            sys.stdout.write('\b' * prev_total_width)
            sys.stdout.write('\r')

        if self.target is not None:
            numdigits = int(np.floor(np.log10(self.target))) + 1 if self.target > 0 else 1
            bar = ('%%%dd/%d [' % (numdigits, self.target)) % current
            progress = float(current) / self.target if self.target > 0 else 1.
            prog_width = int(self.width * progress)
            if prog_width > 0:
                bar += '=' * (prog_width - 1)
                bar += '>' if current < self.target else '='
            bar += '.' * (self.width - prog_width)
            bar += ']'
        else:
            bar = '%7d/Unknown' % current
        self._total_width = len(bar)
        sys.stdout.write(bar)

        time_per_unit = (now - self._start) / current if current else 0
        if self.target is not None and current < self.target:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_format = '%d:%02d:%02d' % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_format = '%d:%02d' % (eta // 60, eta % 60)
            else:
                eta_format = '%ds' % eta
            info = ' - ETA: %s' % eta_format
        else:
            info = ' - %.0fs' % (now - self._start)
            if time_per_unit >= 1:
                info += ' %.0fs/step' % time_per_unit
            elif time_per_unit >= 1e-3:
                info += ' %.0fms/step' % (time_per_unit * 1e3)
            else:
                info += ' %.0fus/step' % (time_per_unit * 1e6)

        for name in self._values:
            avg = self._average(name)
            info += ' - %s:' % name
            info += (' %.4f' % avg) if abs(avg) > 1e-3 else (' %.4e' % avg)

        self._total_width += len(info)
        if prev_total_width > self._total_width:
            info += ' ' * (prev_total_width - self._total_width)
        if done or not self._dynamic_display:
            info += '\n'
        sys.stdout.write(info)
        sys.stdout.flush()

    def add(self, n, values=None):
        """Advances the bar by `n` steps (see `update` for `values`)."""
        self.update(self._seen_so_far + n, values)


def to_list(x, allow_tuple=False):
    """Wraps `x` in a list unless it already is one.

    # Arguments
        x: anything.
        allow_tuple: if True, a tuple is converted to a list instead of being wrapped.

    # Returns
        A list.
    """
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    """Returns the only element of a one-element list or tuple, else `x` itself.

    # Arguments
        x: a list or tuple.
    """
    if len(x) == 1:
        return x[0]
    return x


def object_list_uid(object_list):
    """A string identifying a list of objects by their `id`s (used as a cache key)."""
    object_list = to_list(object_list)
    return ', '.join(str(abs(id(x))) for x in object_list)


def is_all_none(iterable_or_element):
    """Whether an element, or every element of a list/tuple, is `None`."""
    for element in to_list(iterable_or_element, allow_tuple=True):
        if element is not None:
            return False
    return True


def slice_arrays(arrays, start=None, stop=None):
    """Slices an array or a list of arrays (`None` entries stay `None`).

    # Arguments
        arrays: an array, a list of arrays (with possible `None`s), or `None`.
        start: an int (start index) or a list/array of indices.
        stop: an int (stop index); `None` when `start` is a list of indices.

    # Returns
        The slice(s): a list when `arrays` is a list, else a single array.
    """
    if arrays is None:
        return [None]
    if hasattr(start, '__len__'):
        # HDF5 datasets accept lists of indices, not arrays.
        if hasattr(start, 'shape'):
            start = start.tolist()
        if isinstance(arrays, list):
            return [None if x is None else x[start] for x in arrays]
        return arrays[start]
    if isinstance(arrays, list):
        return [None if x is None else x[start:stop] for x in arrays]
    if hasattr(arrays, '__getitem__'):
        return arrays[start:stop]
    return [None]


def transpose_shape(shape, target_format, spatial_axes):
    """Moves the channels entry of a channels_last shape to where `target_format` puts it.

    # Arguments
        shape: tuple or list laid out as channels_last, e.g. `(batch, rows, cols, channels)`.
        target_format: `'channels_first'` or `'channels_last'`.
        spatial_axes: indices of the spatial axes in `shape`, e.g. `(1, 2)`.

    # Returns
        A tuple or list (same type as `shape`), e.g. `(batch, channels, rows, cols)`.

    # Raises
        ValueError: for an unknown `target_format`.
    """
    if target_format == 'channels_first':
        new_values = tuple(shape[:spatial_axes[0]])
        new_values += (shape[-1],)
        new_values += tuple(shape[x] for x in spatial_axes)
        if isinstance(shape, list):
            return list(new_values)
        return new_values
    if target_format == 'channels_last':
        return shape
    raise ValueError('The `data_format` argument must be one of '
                     '"channels_first", "channels_last". Received: ' + str(target_format))


_SNAKE_WORD = re.compile('(.)([A-Z][a-z0-9]+)')
_SNAKE_BOUNDARY = re.compile('([a-z])([A-Z])')


def to_snake_case(name):
    """Converts a class name to the snake_case prefix of auto-generated layer names.

    `Dense` -> `dense`, `Conv2D` -> `conv2d`, `LSTM` -> `lstm`,
    `BatchNormalization` -> `batch_normalization`. A name starting with `_` is prefixed with
    `private`, as Keras 2 did.
    """
    intermediate = _SNAKE_WORD.sub(r'\1_\2', name)
    insecure = _SNAKE_BOUNDARY.sub(r'\1_\2', intermediate).lower()
    if insecure[0] != '_':
        return insecure
    return 'private' + insecure
