"""The registry that layer and model configs are rebuilt through, and the precedence of
custom objects over it."""
import pytest

import cornu
from cornu._common.serialization import deserialize_layer, registered_class, registered_classes
from cornu.layers import Conv2D, Dense
from cornu.utils import CustomObjectScope


class _OwnDense(Dense):
    pass


class _ScopedDense(Dense):
    pass


def _dense_config():
    return cornu.layers.serialize(Dense(2, name='d'))


def test_the_catalogue_and_the_models_are_registered():
    assert registered_class('Dense') is Dense
    # Legacy names that configs may use resolve as their module's alias does.
    assert registered_class('Convolution2D') is Conv2D
    assert registered_class('Model') is cornu.models.Model
    assert registered_class('Sequential') is cornu.models.Sequential
    assert registered_class('InputLayer') is cornu.layers.InputLayer


def test_user_classes_are_not_registered_by_defining_them():
    assert registered_class('_OwnDense') is None
    assert '_OwnDense' not in registered_classes()
    with pytest.raises(ValueError, match='Unknown layer: _OwnDense'):
        deserialize_layer({'class_name': '_OwnDense', 'config': {'units': 2}})


def test_custom_objects_take_precedence_over_the_registry():
    config = _dense_config()
    assert type(cornu.layers.deserialize(config)) is Dense
    assert type(cornu.layers.deserialize(config, custom_objects={'Dense': _OwnDense})) \
        is _OwnDense
    with CustomObjectScope({'Dense': _ScopedDense}):
        assert type(cornu.layers.deserialize(config)) is _ScopedDense
        # Those passed to the call come before those of the scope.
        assert type(cornu.layers.deserialize(config, custom_objects={'Dense': _OwnDense})) \
            is _OwnDense
    assert type(cornu.layers.deserialize(config)) is Dense
