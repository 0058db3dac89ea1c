"""cornu.utils.generic_utils against Keras 2.2.4's behaviour and exact progress-bar text."""
import marshal
import sys

import numpy as np
import pytest

from cornu import utils
from cornu.utils import generic_utils
from cornu.utils.generic_utils import (CustomObjectScope, Progbar, custom_object_scope,
                                       deserialize_keras_object, func_dump, func_load,
                                       get_custom_objects, getargspec, has_arg, is_all_none,
                                       object_list_uid, serialize_keras_object, slice_arrays,
                                       to_list, to_snake_case, transpose_shape,
                                       unpack_singleton)


class _Clock(object):
    """Stands in for the `time` module inside generic_utils: time only moves when told."""

    def __init__(self):
        self.now = 0.

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    # The module that defines Progbar (cornu.utils.generic_utils re-exports it).
    monkeypatch.setattr(sys.modules[Progbar.__module__], 'time', fake)
    return fake


class _Thing(object):
    def __init__(self, a=1):
        self.a = a

    def get_config(self):
        return {'a': self.a}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _double(x):
    return 2 * x


def test_utils_package_reexports(backend):
    for name in ('CustomObjectScope', 'custom_object_scope', 'get_custom_objects',
                 'serialize_keras_object', 'deserialize_keras_object', 'Progbar'):
        assert getattr(utils, name) is getattr(generic_utils, name)


def test_custom_object_scope_restores_globals(backend):
    get_custom_objects()['kept'] = _double
    try:
        with custom_object_scope({'Thing': _Thing}) as scope:
            assert isinstance(scope, CustomObjectScope)
            assert get_custom_objects()['Thing'] is _Thing
            get_custom_objects()['added_inside'] = _double
        assert 'Thing' not in get_custom_objects()
        assert 'added_inside' not in get_custom_objects()
        assert get_custom_objects()['kept'] is _double
    finally:
        get_custom_objects().pop('kept')


def test_serialize_and_deserialize_round_trip(backend):
    config = serialize_keras_object(_Thing(a=3))
    assert config == {'class_name': '_Thing', 'config': {'a': 3}}
    assert serialize_keras_object(_double) == '_double'
    assert serialize_keras_object(None) is None
    with pytest.raises(ValueError):
        serialize_keras_object(3)

    module_objects = {'_Thing': _Thing, '_double': _double}
    thing = deserialize_keras_object(config, module_objects=module_objects)
    assert isinstance(thing, _Thing) and thing.a == 3
    assert deserialize_keras_object('_double', module_objects=module_objects) is _double
    # custom_objects, then global custom objects, win over module objects.
    assert deserialize_keras_object('_double', module_objects=module_objects,
                                    custom_objects={'_double': abs}) is abs
    with custom_object_scope({'_double': round}):
        assert deserialize_keras_object('_double', module_objects=module_objects) is round
    # A function named in a config is called with the config as keyword arguments.
    made = deserialize_keras_object({'class_name': 'make', 'config': {'a': 5}},
                                    custom_objects={'make': lambda a: _Thing(a)})
    assert made.a == 5


def test_deserialize_errors(backend):
    with pytest.raises(ValueError, match='^Unknown widget: Nope$'):
        deserialize_keras_object({'class_name': 'Nope', 'config': {}}, module_objects={},
                                 printable_module_name='widget')
    with pytest.raises(ValueError, match='^Unknown widget: nope$'):
        deserialize_keras_object('nope', module_objects={}, printable_module_name='widget')
    with pytest.raises(ValueError, match='Improper config format'):
        deserialize_keras_object({'class_name': 'X'})
    with pytest.raises(ValueError, match='Could not interpret serialized widget: 3'):
        deserialize_keras_object(3, printable_module_name='widget')


def test_deserialize_passes_custom_objects_to_from_config(backend):
    seen = {}

    class Container(object):
        @classmethod
        def from_config(cls, config, custom_objects=None):
            seen.update(custom_objects)
            return cls()

    with custom_object_scope({'g': abs}):
        deserialize_keras_object({'class_name': 'Container', 'config': {}},
                                 custom_objects={'Container': Container, 'c': round})
    assert seen['g'] is abs and seen['c'] is round


def test_func_dump_and_load_with_defaults_and_closure(backend):
    offset = 10.

    def shifted(x, scale=3.):
        return x * scale + offset

    code, defaults, closure = func_dump(shifted)
    assert isinstance(code, str) and defaults == (3.,) and closure == (10.,)
    restored = func_load(code, defaults=defaults, closure=closure)
    assert restored(2.) == 16.
    # The whole dump as one tuple (as Lambda configs store it), defaults read back from JSON
    # as a list.
    restored = func_load([code, [5.], closure])
    assert restored(2.) == 20.
    no_closure = func_load(func_dump(_double))
    assert no_closure(4) == 8


def test_func_dump_of_a_function_without_bytecode_says_why(backend):
    # np.argmax is a C-level dispatcher since NumPy 1.25; builtins never had bytecode.
    for func in (np.argmax, len):
        with pytest.raises(TypeError, match='has no `__code__`'):
            func_dump(func)


def test_func_load_reads_pre_2_1_2_raw_unicode_escape_format(backend):
    legacy_code = marshal.dumps(_double.__code__).decode('raw_unicode_escape')
    assert func_load(legacy_code)(21) == 42


def test_func_load_unreadable_bytecode_says_why(backend):
    with pytest.raises(ValueError, match='Python version'):
        func_load('bm90IGJ5dGVjb2Rl\n')


def test_has_arg_and_getargspec(backend):
    def f(a, b=1, *args, c=2, **kwargs):
        pass

    def g(a, /, b):
        pass

    assert has_arg(f, 'b') and has_arg(f, 'c')
    assert not has_arg(f, 'zzz')
    assert has_arg(f, 'zzz', accept_all=True)
    assert not has_arg(g, 'a')
    assert not has_arg(g, 'zzz', accept_all=True)
    spec = getargspec(f)
    assert spec.args == ['a', 'b'] and spec.varargs == 'args'
    assert spec.keywords == 'kwargs' and spec.defaults == (1,)


def test_list_helpers(backend):
    assert to_list(1) == [1]
    items = [1, 2]
    assert to_list(items) is items
    assert to_list((1, 2)) == [(1, 2)]
    assert to_list((1, 2), allow_tuple=True) == [1, 2]
    assert unpack_singleton([7]) == 7
    assert unpack_singleton([7, 8]) == [7, 8]
    a, b = object(), object()
    assert object_list_uid([a, b]) == '%d, %d' % (abs(id(a)), abs(id(b)))
    assert object_list_uid(a) == str(abs(id(a)))
    assert is_all_none(None) and is_all_none([None, None]) and is_all_none((None,))
    assert not is_all_none([None, 0])


def test_slice_arrays(backend):
    x = np.arange(10)
    y = np.arange(10, 20)
    assert [list(s) for s in slice_arrays([x, y], 2, 4)] == [[2, 3], [12, 13]]
    assert slice_arrays([x, None], 0, 2)[1] is None
    assert list(slice_arrays([x], np.array([5, 1]))[0]) == [5, 1]
    assert list(slice_arrays(x, [0, 9])) == [0, 9]
    assert list(slice_arrays(x, 3, 5)) == [3, 4]
    assert slice_arrays(None, 0, 1) == [None]


def test_transpose_shape(backend):
    assert transpose_shape((16, 128, 128, 32), 'channels_first', (1, 2)) == (16, 32, 128, 128)
    assert transpose_shape([16, 128, 128, 32], 'channels_first', (1, 2)) == [16, 32, 128, 128]
    assert transpose_shape((16, 128, 128, 32), 'channels_last', (1, 2)) == (16, 128, 128, 32)
    with pytest.raises(ValueError, match='data_format'):
        transpose_shape((1, 2, 3), 'nchw', (1,))


def test_to_snake_case(backend):
    assert to_snake_case('Dense') == 'dense'
    assert to_snake_case('Conv2D') == 'conv2d'
    assert to_snake_case('LSTM') == 'lstm'
    assert to_snake_case('BatchNormalization') == 'batch_normalization'
    assert to_snake_case('SimpleRNNCell') == 'simple_rnn_cell'
    assert to_snake_case('_Hidden') == 'private__hidden'


def test_progbar_not_a_terminal_prints_only_the_final_line(backend, capsys, clock):
    bar = Progbar(60000)
    assert not bar._dynamic_display
    for i, loss in enumerate([0.75, 0.3124]):
        clock.now += 1.
        bar.update(30000 * (i + 1), [('loss', loss)])
    # 30000 * 0.75 + 30000 * 0.3124 over 60000 samples.
    assert capsys.readouterr().out == (
        '60000/60000 [==============================] - 2s 33us/step - loss: 0.5312\n')


def test_progbar_terminal_redraws_with_eta(backend, capsys, clock):
    bar = Progbar(1000)
    bar._dynamic_display = True
    clock.now = 1.
    bar.update(64, [('loss', 0.5312), ('acc', 0.0001)])
    first = capsys.readouterr().out
    assert first == '\r  64/1000 [>.............................] - ETA: 14s - loss: 0.5312' \
                    ' - acc: 1.0000e-04'
    clock.now = 1.01  # within `interval` of the last redraw: nothing printed
    bar.update(96, [('loss', 0.5312), ('acc', 0.0001)])
    assert capsys.readouterr().out == ''
    clock.now = 2.
    bar.update(1000, [('loss', 0.5312), ('acc', 0.0001)])
    out = capsys.readouterr().out
    assert out.startswith('\b' * len(first.lstrip('\r')) + '\r')
    assert out.split('\r')[-1] == ('1000/1000 [==============================] - 2s 2ms/step'
                                   ' - loss: 0.5312 - acc: 1.0000e-04\n')


def test_progbar_first_batch_and_eta_formats(backend, capsys, clock):
    for elapsed, eta in ((1., '14s'), (10., '2:26'), (300., '1:13:07')):
        bar = Progbar(1000)
        bar._dynamic_display = True
        clock.now += elapsed
        bar.update(64)
        assert capsys.readouterr().out.endswith('] - ETA: %s' % eta)
    bar = Progbar(1000)
    bar._dynamic_display = True
    clock.now += 1.
    bar.update(32)
    # Keras 2: fewer than width/target steps done shows no arrow yet.
    assert capsys.readouterr().out == '\r  32/1000 [..............................] - ETA: 30s'


def test_progbar_verbose_2_and_stateful_metrics(backend, capsys, clock):
    bar = Progbar(100, verbose=2, stateful_metrics=['lr'])
    clock.now = 1.
    bar.update(50, [('loss', 1.0), ('lr', 0.1)])
    assert capsys.readouterr().out == ''
    clock.now = 2.4
    bar.update(100, [('loss', 0.5), ('lr', 0.01)])
    assert capsys.readouterr().out == ' - 2s - loss: 0.7500 - lr: 0.0100\n'


def test_progbar_add_unknown_target_and_silent(backend, capsys, clock):
    bar = Progbar(None)
    clock.now = 1.
    bar.add(5, [('loss', 2.)])
    bar.add(5)
    assert bar._seen_so_far == 10
    assert capsys.readouterr().out == ('      5/Unknown - 1s 200ms/step - loss: 2.0000\n'
                                       '     10/Unknown - 1s 100ms/step - loss: 2.0000\n')
    silent = Progbar(10, verbose=0)
    silent.update(10, [('loss', 1.)])
    assert capsys.readouterr().out == ''


def test_progbar_accepts_tensor_values(backend, capsys, clock):
    K = backend
    bar = Progbar(4)
    clock.now = 1.
    bar.update(2, [('loss', K.constant(1.5))])
    bar.update(4, [('loss', K.constant(0.5))])
    assert capsys.readouterr().out.endswith(' - loss: 1.0000\n')
