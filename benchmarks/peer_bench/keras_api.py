"""The Keras 2 API implementations: cornu (either engine), Keras 3 (torch or jax backend)
and tf-keras run the same script: `Sequential` model, `compile` with string names,
`fit(x, y, batch_size, epochs=1, verbose=0)` and `predict(x, batch_size)`. The engine or
backend is chosen by the environment the orchestrator gives the worker (`CORNU_BACKEND`,
`KERAS_BACKEND`)."""
import sys

from peer_bench.workloads import build_keras_model

PACKAGES = {'cornu-torch': 'cornu', 'cornu-jax': 'cornu', 'keras3-torch': 'keras',
            'keras3-jax': 'keras', 'tf-keras': 'tf_keras'}


def make_runner(impl, workload, data, threads, compile_options=None):
    """Returns `(fit, predict)`: one training epoch over, and a prediction of, the first
    `count` rows of the data, as functions of `count` (`compile_options`: further keyword
    arguments of the model's `compile`)."""
    package = PACKAGES[impl]
    if package == 'tf_keras':
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.random.set_seed(0)
    __import__(package)
    if 'torch' in sys.modules:  # cornu on PyTorch, Keras 3 on torch
        sys.modules['torch'].set_num_threads(threads)
        sys.modules['torch'].manual_seed(0)
    model = build_keras_model(workload, package, compile_options)
    x, y = data['x'], data['targets']
    batch_size = workload.batch_size

    def fit(count):
        model.fit(x[:count], y[:count], batch_size=batch_size, epochs=1, verbose=0)

    def predict(count):
        return model.predict(x[:count], batch_size=batch_size, verbose=0)

    return fit, predict


def version(impl):
    package = PACKAGES[impl]
    module = __import__(package)
    text = '%s %s' % (package, getattr(module, '__version__', '?'))
    if package == 'cornu':
        from cornu import backend
        text += ' (%s engine)' % backend.backend()
    elif package == 'keras':
        text += ' (%s backend)' % module.backend.backend()
    return text
