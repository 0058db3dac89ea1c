"""`keras.utils.conv_utils`: argument checks and shape arithmetic of convolutions, written in
`cornu._common.conv_utils` (below the layers that use them) and re-exported here."""
from .._common.conv_utils import (normalize_tuple, normalize_padding,  # noqa: F401
                                  normalize_data_format, convert_kernel, conv_output_length,
                                  conv_input_length, deconv_length)
