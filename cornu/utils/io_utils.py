"""`keras.utils.io_utils`: `HDF5Matrix`, `H5Dict` and the overwrite prompt, written in
`cornu._common.io_utils` (below the engine's saving, which uses them) and re-exported here."""
from .._common.io_utils import (HDF5_OBJECT_HEADER_LIMIT, HDF5Matrix,  # noqa: F401
                                ask_to_proceed_with_overwrite, H5Dict, h5dict)
