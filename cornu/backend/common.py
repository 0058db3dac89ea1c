"""Engine-neutral backend state: configuration, name counters and the learning phase."""
import json
import os
from collections import defaultdict

_FLOATX = 'float32'
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = 'channels_last'
_VALID_FLOATX = ('float16', 'float32', 'float64', 'bfloat16')
_VALID_DATA_FORMATS = ('channels_first', 'channels_last')
# Bytes of input data above which `fit`/`evaluate`/`predict` stream batches from the host;
# `None`: chosen from the device's free memory (`cornu.backend.streaming`).
_STREAMING_THRESHOLD = None

_UID_PREFIXES = defaultdict(int)
_SESSION_CLEAR_HOOKS = []


def epsilon():
    """Returns the fuzz factor used in numeric expressions (default `1e-7`)."""
    return _EPSILON


def set_epsilon(e):
    """Sets the fuzz factor used in numeric expressions.

    # Arguments
        e: float, the new value of epsilon.
    """
    global _EPSILON
    _EPSILON = float(e)


def floatx():
    """Returns the default float type as a string, e.g. `'float32'`."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type.

    # Arguments
        value: one of `'float16'`, `'float32'`, `'float64'` (or `'bfloat16'`).

    # Raises
        ValueError: for any other value.
    """
    global _FLOATX
    if value not in _VALID_FLOATX:
        raise ValueError('Unknown floatx type: ' + str(value))
    _FLOATX = str(value)


def set_streaming_threshold(value):
    """Sets how many bytes of input data `fit`, `evaluate` and `predict` copy to the device
    whole; larger data stays on the host and is copied batch by batch.

    # Arguments
        value: a number of bytes (an integer >= 0), or `None` for the automatic choice (see
            `cornu.backend.streaming.streaming_threshold`).

    # Raises
        ValueError: for a negative number.
        TypeError: for anything that is not an integer or `None`.
    """
    global _STREAMING_THRESHOLD
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            raise TypeError('`streaming_threshold` must be a whole number of bytes or None, '
                            'got ' + repr(value) + '.')
        if value < 0:
            raise ValueError('`streaming_threshold` must be a number of bytes >= 0, got ' +
                             repr(value) + '.')
        value = int(value)
    _STREAMING_THRESHOLD = value


def streaming_threshold_setting():
    """The value given to `set_streaming_threshold` (or `cornu.json`); `None`: automatic."""
    return _STREAMING_THRESHOLD


def image_data_format():
    """Returns the default image data format, `'channels_last'` or `'channels_first'`."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image data format.

    # Arguments
        data_format: `'channels_first'` or `'channels_last'`.

    # Raises
        ValueError: for any other value.
    """
    global _IMAGE_DATA_FORMAT
    if data_format not in _VALID_DATA_FORMATS:
        raise ValueError('Unknown data_format: ' + str(data_format))
    _IMAGE_DATA_FORMAT = str(data_format)


def normalize_data_format(value):
    """Checks a `data_format` argument, returning the default when it is `None`.

    # Raises
        ValueError: when `value` is neither format.
    """
    if value is None:
        value = image_data_format()
    data_format = value.lower() if isinstance(value, str) else value
    if data_format not in _VALID_DATA_FORMATS:
        raise ValueError('The `data_format` argument must be one of '
                         '"channels_first", "channels_last". Received: ' + str(value))
    return data_format


def image_dim_ordering():
    """Legacy getter: `'tf'` for channels_last, `'th'` for channels_first."""
    return 'th' if _IMAGE_DATA_FORMAT == 'channels_first' else 'tf'


def set_image_dim_ordering(dim_ordering):
    """Legacy setter: `'tf'` (channels_last) or `'th'` (channels_first)."""
    global _IMAGE_DATA_FORMAT
    if dim_ordering not in ('tf', 'th'):
        raise ValueError('Unknown dim_ordering: ' + str(dim_ordering))
    _IMAGE_DATA_FORMAT = 'channels_first' if dim_ordering == 'th' else 'channels_last'


def cast_to_floatx(x):
    """Casts a NumPy array (or Python number) to the default float type, as a NumPy array.

    NumPy has no bfloat16 of its own: with `floatx()` `'bfloat16'` the array takes
    `ml_dtypes.bfloat16` (installed with JAX) when that package is present, else float32.
    """
    import numpy as np
    dtype = _FLOATX
    if dtype == 'bfloat16':
        try:
            import ml_dtypes
            dtype = ml_dtypes.bfloat16
        except ImportError:
            dtype = 'float32'
    return np.asarray(x, dtype=dtype)


def get_uid(prefix=''):
    """Returns 1, 2, 3, ... on successive calls with the same prefix (used for layer names)."""
    _UID_PREFIXES[prefix] += 1
    return _UID_PREFIXES[prefix]


def reset_uids():
    """Restarts every name counter."""
    _UID_PREFIXES.clear()


def on_clear_session(hook):
    """Registers a function that `clear_session` calls (engines and caches register here)."""
    _SESSION_CLEAR_HOOKS.append(hook)


def clear_session():
    """Forgets the names handed out so far and resets the learning phase, as Keras 2 did."""
    reset_uids()
    for hook in _SESSION_CLEAR_HOOKS:
        hook()


def manual_variable_initialization(value):
    """Kept for Keras 2 code; variables are always initialised when created here."""
    del value


def config_path():
    """The path of the user configuration file, `~/.cornu/cornu.json` (or `$CORNU_HOME`)."""
    base = os.environ.get('CORNU_HOME') or os.path.join(os.path.expanduser('~'), '.cornu')
    return os.path.join(base, 'cornu.json')


def keras_config_path():
    """The path of Keras' own configuration file, `~/.keras/keras.json` (or
    `$KERAS_HOME/keras.json`, as Keras 2 looked for it)."""
    base = os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'), '.keras')
    return os.path.join(base, 'keras.json')


def user_config_file():
    """The configuration file in use: `cornu.json` when it exists, else Keras' `keras.json`
    when that exists (so scripts written for a machine set up for Keras 2 keep their
    `image_data_format`, `floatx` and `epsilon`), else `None`."""
    for path in (config_path(), keras_config_path()):
        if os.path.isfile(path):
            return path
    return None


def read_user_config():
    """Reads the configuration file in use (see `user_config_file`) without applying it.

    # Returns
        The tuple `(path, config)`: the file's path (`None` when there is none) and its
        contents as a dict (`{}` when there is no file, or it holds no JSON object).
    """
    path = user_config_file()
    if path is None:
        return None, {}
    try:
        with open(path) as f:
            config = json.load(f)
    except (OSError, ValueError):
        return path, {}
    return path, config if isinstance(config, dict) else {}


def load_user_config():
    """Reads the configuration file in use (`cornu.json`, else Keras' `keras.json`) and
    applies its floatx, epsilon, image_data_format (or Keras 1's `image_dim_ordering`) and
    streaming_threshold; values of the wrong kind are ignored.

    # Returns
        The file's contents, a dict (`{}` when there is no file).
    """
    _, config = read_user_config()
    if config.get('floatx') in _VALID_FLOATX:
        set_floatx(config['floatx'])
    if isinstance(config.get('epsilon'), (int, float)) and \
            not isinstance(config['epsilon'], bool):
        set_epsilon(config['epsilon'])
    if config.get('image_data_format') in _VALID_DATA_FORMATS:
        set_image_data_format(config['image_data_format'])
    elif config.get('image_dim_ordering') in ('tf', 'th'):
        set_image_dim_ordering(config['image_dim_ordering'])
    threshold = config.get('streaming_threshold')
    if isinstance(threshold, int) and not isinstance(threshold, bool) and threshold >= 0:
        set_streaming_threshold(threshold)
    return config
