"""Dtype policies: the dtype a layer computes in and the dtype of its variables.

A policy is named as in tf.keras: a plain float dtype (`'float32'`, `'float16'`,
`'bfloat16'`, `'float64'`) computes in and stores variables in that dtype; `'mixed_float16'`
and `'mixed_bfloat16'` compute in half precision and keep the variables in float32, so the
optimizer updates them at full precision.

Every layer holds a policy (its `dtype=` argument, else the global policy in effect when it
was made). The global policy is `K.floatx()` until `set_global_policy` names another one.
Once a mixed policy has been made, `mixed_in_use()` is true for the rest of the process: layers
built from then on cast their inputs at every call (see `cornu.engine.autocast`); until then,
a layer call costs exactly what it did without policies.
"""

_FLOAT_DTYPES = ('float16', 'bfloat16', 'float32', 'float64')
_MIXED = {'mixed_float16': 'float16', 'mixed_bfloat16': 'bfloat16'}
VALID_NAMES = _FLOAT_DTYPES + tuple(_MIXED)
# The dtypes a layer may be given that no policy names (an integer input, a boolean mask).
_OTHER_DTYPES = frozenset(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
                           'uint64', 'bool', 'string', 'complex64', 'complex128'])

_global_policy = None
_mixed_seen = False


class Policy(object):
    """The dtype policy of a layer.

    # Arguments
        name: one of `'float32'`, `'float16'`, `'bfloat16'`, `'float64'`, `'mixed_float16'`,
            `'mixed_bfloat16'`.

    # Properties
        name: the policy's name.
        compute_dtype: the dtype of a layer's computations and outputs.
        variable_dtype: the dtype of a layer's variables.

    # Raises
        TypeError: if `name` is not a string.
        ValueError: if `name` is not one of the names above.
    """

    def __init__(self, name):
        global _mixed_seen
        if isinstance(name, Policy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f'Policy: `name` must be a string, got {name!r} of type '
                            f'{type(name).__name__}.')
        if name not in VALID_NAMES:
            raise ValueError(f'Policy: unknown policy name {name!r}; valid names are '
                             f'{", ".join(repr(n) for n in VALID_NAMES)}.')
        self._name = name
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], 'float32'
            _mixed_seen = True
        else:
            self._compute_dtype = self._variable_dtype = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def is_mixed(self):
        """Whether the layer computes in another dtype than its variables'."""
        return self._compute_dtype != self._variable_dtype

    def get_config(self):
        return {'name': self._name}

    @classmethod
    def from_config(cls, config):
        return cls(config['name'])

    def __eq__(self, other):
        return isinstance(other, Policy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<Policy "{self._name}">'


def _floatx():
    # Imported here: the backend's floatx is read when no policy was set, and `backend`
    # itself never needs this module.
    from ..backend.common import floatx
    return floatx()


def global_policy():
    """The policy layers get when they are made without `dtype=`.

    # Returns
        The `Policy` given to `set_global_policy`, else a policy named after `K.floatx()`.
    """
    if _global_policy is not None:
        return _global_policy
    return Policy(_floatx())


def set_global_policy(policy):
    """Sets the policy of the layers made from now on (made before keep theirs).

    # Arguments
        policy: a `Policy`, a policy name, or `None` to go back to `K.floatx()`.

    # Raises
        ValueError: for an unknown policy name.
        TypeError: for a value that is neither a `Policy`, a string nor `None`.
    """
    global _global_policy
    _global_policy = None if policy is None else Policy(policy)


def get_policy(dtype):
    """The policy a layer's `dtype=` argument names.

    # Arguments
        dtype: `None` (the global policy), a `Policy`, a policy or dtype name, or tf.keras's
            serialized form `{'class_name': 'Policy', 'config': {'name': ...}}`.

    # Returns
        A `Policy`, or `None` when `dtype` is a dtype that no policy names (e.g. `'int32'`,
        kept as the layer's plain dtype).

    # Raises
        ValueError: for a string that names neither a policy nor a dtype.
    """
    if dtype is None:
        return global_policy()
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, dict) and dtype.get('class_name') == 'Policy':
        return Policy(dtype.get('config', {}).get('name'))
    name = dtype if isinstance(dtype, str) else getattr(dtype, 'name', None)
    if isinstance(name, str) and name in VALID_NAMES:
        return Policy(name)
    if isinstance(dtype, str) and dtype not in _OTHER_DTYPES:
        # Neither a policy nor a dtype: the policy error names the valid policies.
        return Policy(dtype)
    return None


def mixed_in_use():
    """Whether a mixed policy has been made in this process (see the module docstring)."""
    return _mixed_seen
