"""The decorator behind Keras 1 argument support (`keras.legacy.interfaces`).

Keras 2.2.4 still took the Keras 1 spellings of many arguments (`nb_filter`, `border_mode`,
`output_dim`, `nb_epoch`, `dim_ordering='th'`, ...), converted them and warned with the Keras 2
call to write instead. `legacy_interface` makes such a decorator; the layers (see
`cornu.layers._legacy`) and the generator methods of `Model` use it.
"""
import functools
import warnings


def _describe(value):
    if isinstance(value, str):
        return '"' + value + '"'
    text = 'array' if hasattr(value, 'shape') and hasattr(value, 'dtype') else str(value)
    return text[:10] + '...' if len(text) > 10 else text


def legacy_interface(allowed_positional_args=None, conversions=(), value_conversions=None,
                     preprocessor=None, object_type='class'):
    """Returns a decorator for `__init__` that converts Keras 1 arguments.

    # Arguments
        allowed_positional_args: names of the positional arguments the Keras 2 signature
            allows (more raise a `TypeError`), or `None` for no check.
        conversions: `(old_name, new_name)` keyword renamings.
        value_conversions: `{old_name: {old_value: new_value}}`, applied before renaming.
        preprocessor: optional `f(args, kwargs) -> (args, kwargs, converted)` for conversions
            that need more than a renaming (e.g. `nb_row`/`nb_col` into `kernel_size`).
        object_type: `'class'` (the decorated function is an `__init__`: messages name the
            class) or `'method'` (they name the method).
    """
    value_conversions = value_conversions or {}

    def decorator(init):
        @functools.wraps(init)
        def wrapper(*args, **kwargs):
            name = args[0].__class__.__name__ if object_type == 'class' else init.__name__
            converted = []
            if preprocessor is not None:
                args, kwargs, converted = preprocessor(args, kwargs)
            if (allowed_positional_args is not None and
                    len(args) > len(allowed_positional_args) + 1):
                raise TypeError('`' + name + '` can accept only ' +
                                str(len(allowed_positional_args)) + ' positional arguments ' +
                                str(tuple(allowed_positional_args)) + ', but you passed the '
                                'following positional arguments: ' + str(list(args[1:])))
            for key, mapping in value_conversions.items():
                if key in kwargs and _hashable(kwargs[key]) and kwargs[key] in mapping:
                    kwargs[key] = mapping[kwargs[key]]
            for old_name, new_name in conversions:
                if old_name in kwargs:
                    value = kwargs.pop(old_name)
                    if new_name in kwargs:
                        raise TypeError('For the `' + new_name + '` argument, the layer '
                                        'received both the legacy keyword argument `' +
                                        old_name + '` and the Keras 2 keyword argument `' +
                                        new_name + '`. Stick to the latter!')
                    kwargs[new_name] = value
                    converted.append((new_name, old_name))
            if converted:
                parts = [_describe(v) for v in args[1:]]
                parts += [k + '=' + _describe(v) for k, v in kwargs.items()]
                warnings.warn('Update your `' + name + '` call to the Keras 2 API: `' + name +
                              '(' + ', '.join(parts) + ')`', stacklevel=2)
            return init(*args, **kwargs)
        return wrapper
    return decorator


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _generator_methods_preprocessor(args, kwargs):
    """Keras 1's `samples_per_epoch` counted samples: it becomes a number of batches when the
    generator says its `batch_size`. Warns that the `*_samples` arguments changed meaning."""
    converted = []
    if len(args) < 3 and 'samples_per_epoch' in kwargs:
        samples = kwargs.pop('samples_per_epoch')
        generator = args[1] if len(args) > 1 else kwargs.get('generator')
        batch_size = getattr(generator, 'batch_size', None)
        kwargs['steps_per_epoch'] = samples // batch_size if batch_size else samples
        converted.append(('steps_per_epoch', 'samples_per_epoch'))
    if set(kwargs) & {'samples_per_epoch', 'val_samples', 'nb_epoch', 'nb_val_samples',
                      'nb_worker'}:
        warnings.warn('The semantics of the Keras 2 argument `steps_per_epoch` is not the same '
                      'as the Keras 1 argument `samples_per_epoch`. `steps_per_epoch` is the '
                      'number of batches to draw from the generator at each epoch. Basically '
                      'steps_per_epoch = samples_per_epoch/batch_size. Similarly '
                      '`nb_val_samples`->`validation_steps` and `val_samples`->`steps` '
                      'arguments have changed. Update your method calls accordingly.',
                      stacklevel=3)
    return args, kwargs, converted


legacy_generator_methods_support = legacy_interface(
    allowed_positional_args=['generator', 'steps_per_epoch', 'epochs'],
    conversions=[('samples_per_epoch', 'steps_per_epoch'), ('val_samples', 'steps'),
                 ('nb_epoch', 'epochs'), ('nb_val_samples', 'validation_steps'),
                 ('nb_worker', 'workers'), ('pickle_safe', 'use_multiprocessing'),
                 ('max_q_size', 'max_queue_size')],
    preprocessor=_generator_methods_preprocessor, object_type='method')
