"""`keras.utils.layer_utils`: model summaries, parameter counts, source inputs and kernel
conversions, written in `cornu._common.layer_utils` (below the engine, which uses them) and
re-exported here."""
from .._common.layer_utils import (count_params, get_source_inputs,  # noqa: F401
                                   print_summary, convert_dense_weights_data_format,
                                   convert_all_kernels_in_model)
