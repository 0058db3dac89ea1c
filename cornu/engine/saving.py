"""`keras.engine.saving`: model architectures as Keras 2 JSON/YAML configs, HDF5 files and
pickling, with Keras 2.2.4's names.

The work is done in `model_config` (configs), `model_files` (files: `hdf5_format`,
`keras_archive`), `pickling` and
`weight_conversion` (weights of older files); the setting that allows loading saved Python
code is `cornu._common.serialization`'s. This module gathers their public names.
"""
from .._common.serialization import (allow_code_loading,  # noqa: F401
                                      enable_unsafe_deserialization,
                                      check_code_loading_allowed)
from .model_config import (model_config_dict, model_from_config,  # noqa: F401
                           model_from_json, model_from_yaml)
from .model_files import save_model, load_model  # noqa: F401
from .hdf5_format import (save_attributes_to_hdf5_group,  # noqa: F401
                          load_attributes_from_hdf5_group, save_weights_to_hdf5_group,
                          load_weights_from_hdf5_group, load_weights_from_hdf5_group_by_name)
from .pickling import pickle_model, unpickle_model  # noqa: F401
from .weight_conversion import preprocess_weights_for_loading  # noqa: F401
