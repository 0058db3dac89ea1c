"""The Keras 2 samples of the seed notes, run as written (with cornu imports), on small
synthetic tasks that a model can learn: they must run and they must learn."""
import numpy as np

from cornu.callbacks import EarlyStopping, History
from cornu.layers import Dense
from cornu.models import Sequential
from cornu import optimizers


def _clusters(num_samples, num_classes=10, dim=100, seed=0):
    """Gaussian clusters around random class centres, one-hot labels: linearly separable."""
    rng = np.random.RandomState(seed)
    centres = rng.normal(0., 1., size=(num_classes, dim))
    labels = rng.randint(0, num_classes, size=num_samples)
    x = centres[labels] + rng.normal(0., 0.5, size=(num_samples, dim))
    y = np.eye(num_classes)[labels]
    return x.astype('float32'), y.astype('float32'), labels


def _sample_1_model():
    # Sample 1 (building the model), verbatim.
    model = Sequential()
    model.add(Dense(units=64, activation='relu', input_dim=100))
    model.add(Dense(units=10, activation='softmax'))
    return model


def test_samples_2_to_4_run_and_learn(backend, capsys):
    x, y, labels = _clusters(640 + 256)
    x_train, y_train = x[:640], y[:640]
    x_test, y_test, test_labels = x[640:], y[640:], labels[640:]
    model = _sample_1_model()

    # Sample 2: compile.
    model.compile(loss='categorical_crossentropy',
                  optimizer='sgd',
                  metrics=['accuracy'])
    loss_before, acc_before = model.evaluate(x_test, y_test, batch_size=128, verbose=0)

    # Sample 3: train, then evaluate.
    history = model.fit(x_train, y_train, epochs=5, batch_size=32)
    loss_and_metrics = model.evaluate(x_test, y_test, batch_size=128)

    # Sample 4: predict.
    classes = model.predict(x_test, batch_size=128)

    out = capsys.readouterr().out
    assert 'Epoch 1/5' in out and 'Epoch 5/5' in out
    assert model.metrics_names == ['loss', 'acc']
    assert isinstance(loss_and_metrics, list) and len(loss_and_metrics) == 2
    losses = history.history['loss']
    assert len(losses) == 5
    assert losses[-1] < losses[0]
    assert loss_and_metrics[0] < 0.5 * loss_before
    assert loss_and_metrics[1] > 0.5  # chance is 0.1
    assert classes.shape == (256, 10)
    np.testing.assert_allclose(classes.sum(axis=1), 1., rtol=1e-5)
    # The reported accuracy is the accuracy of the predictions.
    np.testing.assert_allclose(loss_and_metrics[1],
                               np.mean(classes.argmax(axis=1) == test_labels), atol=1e-6)
    # And the reported loss is the mean categorical crossentropy of the predictions.
    p = np.clip(classes, 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(loss_and_metrics[0],
                               np.mean(-np.sum(y_test * np.log(p), axis=1)), rtol=1e-4)


def test_early_stopping_sample_as_written(backend, capsys):
    x, y, _ = _clusters(200)
    model = _sample_1_model()
    model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])

    early_stopping = EarlyStopping(monitor='val_loss', patience=2)
    hist = model.fit(x, y, validation_split=0.2, callbacks=[early_stopping])

    assert hist.epoch == [0]
    assert set(hist.history) >= {'loss', 'val_loss'}
    assert '160/160' in capsys.readouterr().out  # 80% of the 200 samples trained on


def test_early_stopping_stops_after_patience_epochs_without_improvement(backend):
    x, y, _ = _clusters(100)
    model = _sample_1_model()
    # With a zero learning rate val_loss never improves after the first epoch: epochs 1 and
    # 2 count towards patience=2, and training stops at the end of epoch 2.
    model.compile(loss='categorical_crossentropy', optimizer=optimizers.SGD(lr=0.),
                  metrics=['accuracy'])
    early_stopping = EarlyStopping(monitor='val_loss', patience=2)
    hist = model.fit(x, y, validation_split=0.2, callbacks=[early_stopping], epochs=20,
                     verbose=0)
    assert hist.epoch == [0, 1, 2]
    assert early_stopping.stopped_epoch == 2
    assert len(set(hist.history['val_loss'])) == 1


def test_early_stopping_lets_a_learning_model_train_on(backend):
    x, y, _ = _clusters(300)
    model = _sample_1_model()
    model.compile(loss='categorical_crossentropy', optimizer=optimizers.SGD(lr=0.05),
                  metrics=['accuracy'])
    early_stopping = EarlyStopping(monitor='val_loss', patience=2)
    hist = model.fit(x, y, validation_split=0.2, callbacks=[early_stopping], epochs=4,
                     verbose=0)
    val_losses = hist.history['val_loss']
    assert hist.epoch == [0, 1, 2, 3]
    assert all(b < a for a, b in zip(val_losses, val_losses[1:]))
    assert early_stopping.stopped_epoch == 0


def test_history_sample(backend, capsys):
    x, y, _ = _clusters(200)
    model = _sample_1_model()
    model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])

    hist = model.fit(x, y, validation_split=0.2)
    print(hist.history)

    assert isinstance(hist, History)
    assert hist is model.history
    assert sorted(hist.history.keys()) == ['acc', 'loss', 'val_acc', 'val_loss']
    for key in ('loss', 'acc', 'val_loss', 'val_acc'):
        assert len(hist.history[key]) == 1
        assert isinstance(hist.history[key][0], float)
    # Keras 2.3+ spellings answer too, with the same values.
    assert hist.history['accuracy'] == hist.history['acc']
    assert hist.history['val_accuracy'] == hist.history['val_acc']
    assert 'accuracy' in hist.history and 'val_accuracy' in hist.history
    # The validation values are those of the last 20% of the data.
    val_loss, val_acc = model.evaluate(x[160:], y[160:], verbose=0)
    np.testing.assert_allclose(hist.history['val_loss'][0], val_loss, rtol=1e-5)
    np.testing.assert_allclose(hist.history['val_acc'][0], val_acc, rtol=1e-5)
    printed = capsys.readouterr().out
    assert "'val_loss'" in printed and "'acc'" in printed
