"""`keras.backend.tensorflow_backend` and the TensorFlow idioms of Keras 2 scripts: what has a
meaning without TensorFlow works, the rest says what to use instead."""
import pytest

import cornu.backend as K
from cornu.backend import kernels, tensorflow_backend


def test_available_gpus_are_named_as_keras_2_2_4_named_them(monkeypatch):
    expected = ['/job:localhost/replica:0/task:0/device:GPU:%d' % i
                for i in range(kernels.gpu_count())]
    monkeypatch.setattr(tensorflow_backend, '_LOCAL_DEVICES', None)
    assert tensorflow_backend._get_available_gpus() == expected
    # Cached as Keras 2 cached them: scripts patching it for TensorFlow 2 read this list.
    assert tensorflow_backend._LOCAL_DEVICES[0] == '/job:localhost/replica:0/task:0/device:CPU:0'
    monkeypatch.setattr(tensorflow_backend, '_LOCAL_DEVICES',
                        ['/job:localhost/replica:0/task:0/device:CPU:0',
                         '/job:localhost/replica:0/task:0/device:GPU:0',
                         '/job:localhost/replica:0/task:0/device:GPU:1'])
    assert tensorflow_backend._get_available_gpus() == [
        '/job:localhost/replica:0/task:0/device:GPU:0',
        '/job:localhost/replica:0/task:0/device:GPU:1']


def test_set_session_is_accepted_and_clear_session_clears():
    assert K.set_session(object()) is None
    assert tensorflow_backend.set_session(None) is None
    assert K.get_uid('probe') == 1 and K.get_uid('probe') == 2
    tensorflow_backend.clear_session()
    assert K.get_uid('probe') == 1


def test_get_session_says_what_to_use_instead():
    for get_session in (K.get_session, tensorflow_backend.get_session):
        with pytest.raises(RuntimeError) as error:
            get_session()
        message = str(error.value)
        assert message.startswith('K.get_session(): cornu runs Keras 2 code on %s, without '
                                  'TensorFlow' % K.backend())
        for advice in ('K.function(inputs, outputs)', 'K.eval / K.get_value',
                       'K.set_random_seed for tf.set_random_seed', 'allow_growth'):
            assert advice in message


def test_k_tf_says_what_to_use_instead():
    assert not hasattr(K, 'tf')
    with pytest.raises(AttributeError, match=r'^K\.tf: cornu runs Keras 2 code on'):
        K.tf
    with pytest.raises(AttributeError, match=r'tensorflow_backend\.tf: cornu runs'):
        tensorflow_backend.tf
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        K.no_such_name


def test_the_module_holds_k_names_as_keras_2s_did():
    assert K.tensorflow_backend is tensorflow_backend
    assert tensorflow_backend.sum is K.sum
    assert tensorflow_backend.floatx() == K.floatx()
    with pytest.raises(AttributeError):
        tensorflow_backend.no_such_name
