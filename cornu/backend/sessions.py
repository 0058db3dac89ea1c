"""What Keras 2 code written against TensorFlow's sessions gets: `K.get_session` (an error
that says what to use instead), `K.set_session` (accepted), and the message for `K.tf` and a
script's `import tensorflow`."""
from .engine_choice import ENGINE


# How each engine takes GPU memory, for Keras 2 code that configured it through a session.
GPU_MEMORY_BEHAVIOUR = {
    'torch': 'PyTorch takes GPU memory as tensors need it and keeps freed blocks for reuse '
             "(TensorFlow's allow_growth=True); torch.cuda.set_per_process_memory_fraction "
             'caps it',
    'jax': 'JAX reserves 75% of each GPU when it starts; XLA_PYTHON_CLIENT_PREALLOCATE=false '
           "gives TensorFlow's allow_growth=True, XLA_PYTHON_CLIENT_MEM_FRACTION=0.5 its "
           'per_process_gpu_memory_fraction',
}


def without_tensorflow(what):
    """What to write instead of Keras 2 code that reaches for TensorFlow (`what` names it),
    as one message for an exception."""
    return (what + ': cornu runs Keras 2 code on ' + ENGINE + ', without TensorFlow and its '
            'sessions (values are computed as they are asked for). Use K.function(inputs, '
            'outputs) or K.eval / K.get_value where a session ran tensors, K.set_random_seed '
            'for tf.set_random_seed, and K\'s functions (K.dot, K.sum, ...) for tf ops; GPU '
            'memory needs no setting: ' + GPU_MEMORY_BEHAVIOUR[ENGINE] + '.')


def get_session():
    """Kept for Keras 2 code written against TensorFlow: cornu has no session.

    # Raises
        RuntimeError: always, saying what to use instead (`K.function`, `K.eval`,
            `K.set_random_seed`) and how the engine takes GPU memory.
    """
    raise RuntimeError(without_tensorflow('K.get_session()'))


def set_session(session):
    """Accepted for Keras 2 code written against TensorFlow, which set a session to configure
    GPU memory (`allow_growth`) or threads: cornu has no session, and does nothing.

    The engine takes GPU memory as `GPU_MEMORY_BEHAVIOUR` says; threads are set by the
    engine's own settings (`OMP_NUM_THREADS`, `torch.set_num_threads`).

    # Arguments
        session: ignored.
    """
    del session
