"""`InputSpec`: what a layer accepts (ndim, dtype, axis sizes), checked when it is called."""


class InputSpec(object):
    """Specifies the rank, dtype and shape of every input to a layer.

    # Arguments
        dtype: expected dtype name, or `None`.
        shape: expected shape tuple (`None` entries match anything), or `None`.
        ndim: expected rank, or `None`.
        max_ndim: maximum rank, or `None`.
        min_ndim: minimum rank, or `None`.
        axes: dict mapping an axis to its expected size, or `None`.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def __repr__(self):
        fields = [('dtype', self.dtype), ('shape', self.shape), ('ndim', self.ndim),
                  ('max_ndim', self.max_ndim), ('min_ndim', self.min_ndim),
                  ('axes', self.axes or None)]
        return 'InputSpec(%s)' % ', '.join('%s=%s' % (k, v) for k, v in fields if v is not None)

    def get_config(self):
        return {'dtype': self.dtype, 'shape': self.shape, 'ndim': self.ndim,
                'max_ndim': self.max_ndim, 'min_ndim': self.min_ndim, 'axes': self.axes}


def check_input_compatibility(layer, specs, inputs, shapes):
    """Raises a `ValueError` naming `layer` when `inputs` do not satisfy `specs`.

    # Arguments
        layer: the layer being called (for the message).
        specs: list of `InputSpec` (or `None`) as long as `inputs`.
        inputs: list of tensors.
        shapes: their static shapes.
    """
    if len(inputs) != len(specs):
        raise ValueError('Layer ' + layer.name + ' expects ' + str(len(specs)) + ' inputs, '
                         'but it received ' + str(len(inputs)) + ' input tensors. '
                         'Input received: ' + str(inputs))
    for index, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None:
            continue
        where = 'Input ' + str(index) + ' is incompatible with layer ' + layer.name + ': '
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(where + 'expected ndim=' + str(spec.ndim) + ', found ndim=' +
                             str(len(shape)) + ' (input shape ' + str(shape) + ')')
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(where + 'expected max_ndim=' + str(spec.max_ndim) +
                             ', found ndim=' + str(len(shape)))
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(where + 'expected min_ndim=' + str(spec.min_ndim) +
                             ', found ndim=' + str(len(shape)) + ' (input shape ' +
                             str(shape) + ')')
        if spec.dtype is not None:
            from .. import backend as K
            dtype = K.dtype(inputs[index])
            if dtype != spec.dtype:
                raise ValueError(where + 'expected dtype=' + str(spec.dtype) +
                                 ', found dtype=' + str(dtype))
        if spec.axes:
            for axis, value in spec.axes.items():
                if value is None or not -len(shape) <= axis < len(shape):
                    continue
                if shape[axis] not in (value, None):
                    raise ValueError(where + 'expected axis ' + str(axis) +
                                     ' of input shape to have value ' + str(value) +
                                     ' but got shape ' + str(shape))
        if spec.shape is not None:
            for spec_dim, dim in zip(spec.shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(where + 'expected shape=' + str(spec.shape) +
                                     ', found shape=' + str(shape))
