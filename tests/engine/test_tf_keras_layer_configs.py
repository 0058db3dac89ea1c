"""Layer configurations as tf.keras 2.x writes them (`tests/fixtures/tf_keras_layer_configs.json`,
made by `make_tf_keras_layer_configs.py` with tf-keras 2.21) read into cornu layers: every
layer Keras 2.2.4 also has is rebuilt, with the settings both versions share kept."""
import json
import os

import pytest

from cornu import layers
from cornu.engine import config_conversion

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       'fixtures', 'tf_keras_layer_configs.json')
with open(FIXTURE) as handle:
    CONFIGS = json.load(handle)

# Later settings the conversion drops because they mean what Keras 2.2.4 does (or, for
# `implementation` of locally connected layers, compute the same function another way).
DROPPED = {'ragged', 'groups', 'keepdims', 'zero_output_for_mask', 'time_major', 'implementation',
           'renorm', 'renorm_clipping', 'renorm_momentum', 'virtual_batch_size', 'adjustment',
           'fused', 'synchronized', 'use_legacy_format'}


@pytest.mark.parametrize('class_name', sorted(CONFIGS))
def test_tf_keras_layer_configuration_is_read(class_name):
    saved = CONFIGS[class_name]
    layer = layers.deserialize(config_conversion.convert_model_config(saved))
    assert type(layer).__name__ == class_name
    config = layer.get_config()
    for key, value in saved['config'].items():
        if key in config and not isinstance(value, dict) and key not in DROPPED:
            # (Compared as JSON: tuples are written as lists.)
            assert json.loads(json.dumps(config[key])) == value, key


def test_fixture_covers_the_cases_that_need_a_conversion():
    assert CONFIGS['GaussianNoise']['config']['seed'] == 5
    assert CONFIGS['LocallyConnected2D']['config']['implementation'] == 2
    assert CONFIGS['RNN']['config']['cell']['config']['kernel_initializer']['class_name'] == \
        'GlorotUniform'


def test_seed_is_kept():
    layer = layers.deserialize(config_conversion.convert_model_config(CONFIGS['GaussianDropout']))
    assert layer.seed == 6


def test_initializers_of_a_nested_cell_are_converted():
    layer = layers.deserialize(config_conversion.convert_model_config(CONFIGS['RNN']))
    initializer = layer.cell.kernel_initializer.get_config()
    assert (initializer['scale'], initializer['mode'], initializer['distribution']) == \
        (1., 'fan_avg', 'uniform')


def test_unknown_implementation_of_a_locally_connected_layer_still_refused():
    config = json.loads(json.dumps(CONFIGS['LocallyConnected1D']))
    config['config']['implementation'] = 7
    with pytest.raises(TypeError, match='implementation'):
        layers.deserialize(config_conversion.convert_model_config(config))
