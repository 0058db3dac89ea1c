"""A script's NumPy random draws do not depend on the engine: training draws from NumPy's
global generator only what Keras 2 drew (the epochs' shuffles), so after `np.random.seed`
every engine shuffles the same batches and a script's later draws are the same."""
import numpy as np

from cornu.layers import Dense, Dropout
from cornu.models import Sequential


def _model():
    model = Sequential([Dense(6, activation='relu', input_dim=3), Dropout(0.5),
                        Dense(2, activation='softmax')])
    model.compile('rmsprop', 'categorical_crossentropy', metrics=['accuracy'])
    return model


def _data(rows=23):
    rng = np.random.RandomState(5)
    x = rng.rand(rows, 3).astype('float32')
    y = np.eye(2, dtype='float32')[rng.randint(0, 2, rows)]
    return x, y


def test_fit_draws_only_its_shuffles_from_numpys_generator(backend):
    x, y = _data()
    np.random.seed(3)
    model = _model()
    before = np.random.get_state()
    model.fit(x, y, batch_size=5, epochs=3, validation_data=(x, y), verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    after = np.random.get_state()

    np.random.set_state(before)
    for _ in range(3):
        np.random.shuffle(np.arange(len(x)))
    expected = np.random.get_state()
    np.testing.assert_array_equal(after[1], expected[1])
    assert after[2] == expected[2]
