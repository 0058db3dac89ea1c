"""`cornu.utils`: the Keras 2 `keras.utils` package.

Its submodules keep Keras 2's names (`generic_utils`, `data_utils`, `io_utils`, `np_utils`,
`vis_utils`, `layer_utils`, `multi_gpu_utils`); the names Keras 2 made importable straight from
`keras.utils` are re-exported here.
"""
from . import generic_utils
from .generic_utils import CustomObjectScope
from .generic_utils import custom_object_scope
from .generic_utils import get_custom_objects
from .generic_utils import serialize_keras_object
from .generic_utils import deserialize_keras_object
from .generic_utils import Progbar

# ---------------------------------------------------------------------------------------------
# Re-exports from the other utils modules go below, as each module lands (Keras 2.2.4 list):
#   io_utils: HDF5Matrix, H5Dict; data_utils: get_file, Sequence, GeneratorEnqueuer,
#   OrderedEnqueuer; layer_utils: convert_all_kernels_in_model, get_source_inputs,
#   print_summary; vis_utils: model_to_dot, plot_model; np_utils: to_categorical, normalize;
#   multi_gpu_utils: multi_gpu_model.
# ---------------------------------------------------------------------------------------------
from . import data_utils
from . import io_utils
from . import np_utils
from .data_utils import get_file
from .data_utils import Sequence
from .data_utils import GeneratorEnqueuer
from .data_utils import OrderedEnqueuer
from .io_utils import HDF5Matrix
from .io_utils import H5Dict
from .np_utils import to_categorical
from .np_utils import normalize
from . import vis_utils
from .vis_utils import model_to_dot
from .vis_utils import plot_model


def __getattr__(name):
    # `multi_gpu_model` builds on the engine and the layers, which import this package while
    # they load: its module is imported at first use instead.
    if name in ('multi_gpu_model', 'multi_gpu_utils'):
        import importlib
        module = importlib.import_module(__name__ + '.multi_gpu_utils')
        globals()['multi_gpu_model'] = module.multi_gpu_model
        return module if name == 'multi_gpu_utils' else module.multi_gpu_model
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
