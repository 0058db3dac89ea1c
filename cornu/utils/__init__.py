"""`cornu.utils`: the Keras 2 `keras.utils` package.

Its submodules keep Keras 2's names (`generic_utils`, `data_utils`, `io_utils`, `np_utils`,
`vis_utils`, `layer_utils`, `multi_gpu_utils`, `conv_utils`); the names Keras 2.2.4 made
importable straight from `keras.utils` are re-exported here.

This package sits at the top of the house: `multi_gpu_model` and `plot_model` build on the
engine and the layers. What those need from it (serialization, the helpers of
`generic_utils`, `conv_utils`, `io_utils`, `layer_utils`, the `Sequence` enqueuers) is
written in `cornu._common`, below them, and re-exported by the modules here.
"""
from . import generic_utils
from . import data_utils
from . import io_utils
from . import np_utils
from . import conv_utils
from . import layer_utils
from . import vis_utils
from . import multi_gpu_utils
from .generic_utils import CustomObjectScope
from .generic_utils import custom_object_scope
from .generic_utils import get_custom_objects
from .generic_utils import serialize_keras_object
from .generic_utils import deserialize_keras_object
from .generic_utils import Progbar
from .data_utils import get_file
from .data_utils import Sequence
from .data_utils import GeneratorEnqueuer
from .data_utils import OrderedEnqueuer
from .io_utils import HDF5Matrix
from .io_utils import H5Dict
from .io_utils import h5dict
from .layer_utils import convert_all_kernels_in_model
from .layer_utils import get_source_inputs
from .layer_utils import print_summary
from .np_utils import to_categorical
from .np_utils import normalize
from .vis_utils import model_to_dot
from .vis_utils import plot_model
from .multi_gpu_utils import multi_gpu_model
