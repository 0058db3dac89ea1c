"""`keras.utils.generic_utils`: the custom objects and `(de)serialize_keras_object`, function
marshalling for `Lambda` layers, argument inspection, the progress bar and small list/shape
helpers.

They are written in `cornu._common` (`serialization.py`, `generic_utils.py`), below the engine
and the layers that use them, and re-exported here with Keras 2.2.4's names.
"""
from .._common.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                      get_custom_objects, serialize_keras_object,
                                      deserialize_keras_object)
from .._common.generic_utils import (func_dump, func_load, ArgSpec, getargspec,  # noqa: F401
                                     has_arg, Progbar, to_list, unpack_singleton,
                                     object_list_uid, is_all_none, slice_arrays,
                                     transpose_shape, to_snake_case)
