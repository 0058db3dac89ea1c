"""cornu.wrappers.scikit_learn with real scikit-learn (Keras 2.2.4 semantics)."""
import numpy as np
import pytest

import cornu
from cornu import callbacks, layers, models, optimizers
from cornu.wrappers.scikit_learn import BaseWrapper, KerasClassifier, KerasRegressor

sklearn = pytest.importorskip('sklearn')
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402


@pytest.fixture(scope='module')
def iris():
    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype('float32'), y


def build_classifier(hidden=8, lr=0.05, loss='categorical_crossentropy', metrics=('accuracy',)):
    model = models.Sequential([layers.Dense(hidden, input_shape=(4,), activation='relu'),
                               layers.Dense(3, activation='softmax')])
    model.compile(optimizers.Adam(lr=lr), loss, metrics=list(metrics))
    return model


def build_regressor(hidden=8):
    model = models.Sequential([layers.Dense(hidden, input_shape=(3,), activation='relu'),
                               layers.Dense(1)])
    model.compile(optimizers.Adam(lr=0.02), 'mse')
    return model


def build_linear_regressor(lr=0.02):
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.Adam(lr=lr), 'mse')
    return model


@pytest.fixture(scope='module')
def raw_iris():
    """Iris as it comes (unscaled features), with the species names as labels."""
    x, y = load_iris(return_X_y=True)
    return x.astype('float32'), np.array(['setosa', 'versicolor', 'virginica'])[y]


@pytest.fixture(scope='module')
def regression_data():
    rng = np.random.RandomState(0)
    x = (rng.rand(60, 3) * [1., 10., 100.]).astype('float32')   # unscaled features
    y = (x[:, 0] + x[:, 1] / 10. - x[:, 2] / 100.).astype('float32')
    return x, y


class ClassifierBuilder(object):
    """A `build_fn` that is an object with `__call__`."""

    def __call__(self, hidden=8, lr=0.05):
        return build_classifier(hidden, lr)


class OwnBuilder(KerasClassifier):
    """No `build_fn`: the wrapper's own `__call__` builds the model."""

    def __call__(self, hidden=8, lr=0.05):
        return build_classifier(hidden, lr)


def test_wrappers_package(backend):
    assert cornu.wrappers.scikit_learn.KerasClassifier is KerasClassifier
    assert is_classifier(KerasClassifier(build_classifier))
    assert is_regressor(KerasRegressor(build_regressor))


@pytest.mark.parametrize('make', [
    lambda: KerasClassifier(build_classifier, hidden=6, epochs=30, batch_size=16, verbose=0),
    lambda: KerasClassifier(ClassifierBuilder(), hidden=6, epochs=30, batch_size=16,
                            verbose=0),
    lambda: OwnBuilder(hidden=6, epochs=30, batch_size=16, verbose=0),
], ids=['function', 'callable_object', 'own_call'])
def test_classifier_fit_predict_score(backend, iris, make):
    x, y = iris
    clf = make()
    history = clf.fit(x, y)
    assert isinstance(history, callbacks.History) and len(history.history['loss']) == 30
    assert clf.model.layers[0].units == 6          # the sk_param reached build_fn
    assert list(clf.classes_) == [0, 1, 2] and clf.n_classes_ == 3
    # Integer labels with categorical_crossentropy were one-hot encoded for the model.
    assert clf.model.output_shape == (None, 3)
    predictions = clf.predict(x)
    assert predictions.shape == (150,)
    proba = clf.predict_proba(x)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(predictions, proba.argmax(axis=1))
    score = clf.score(x, y)
    assert score == pytest.approx(np.mean(predictions == y), abs=1e-6)
    assert score > 0.8


def test_labels_of_any_kind(backend, iris):
    x, y = iris
    names = np.array(['setosa', 'versicolor', 'virginica'])[y]
    clf = KerasClassifier(build_classifier, epochs=20, batch_size=16, verbose=0)
    clf.fit(x, names, sample_weight=np.ones(150))
    assert list(clf.classes_) == ['setosa', 'versicolor', 'virginica']
    assert set(clf.predict(x)) <= set(clf.classes_)
    assert clf.score(x, names) > 0.6
    # One-hot targets: the classes are the column indices.
    clf.fit(x, np.eye(3)[y])
    assert list(clf.classes_) == [0, 1, 2]
    with pytest.raises(ValueError, match=r'Invalid shape for y: \(150, 3, 1\)'):
        clf.fit(x, np.eye(3)[y][:, :, None])


def test_sparse_labels_are_left_alone(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, loss='sparse_categorical_crossentropy',
                          epochs=2, verbose=0)
    clf.fit(x, y)
    assert 0 <= clf.score(x, y) <= 1


def test_binary_probabilities_have_two_columns(backend):
    def build(lr=0.05):
        model = models.Sequential([layers.Dense(1, input_shape=(2,), activation='sigmoid')])
        model.compile(optimizers.Adam(lr=lr), 'binary_crossentropy', metrics=['accuracy'])
        return model

    x = np.random.rand(40, 2).astype('float32')
    y = (x[:, 0] > x[:, 1]).astype('int32')
    clf = KerasClassifier(build, epochs=3, verbose=0)
    clf.fit(x, y)
    proba = clf.predict_proba(x)
    assert proba.shape == (40, 2)
    np.testing.assert_allclose(proba[:, 0], 1 - proba[:, 1], rtol=1e-6)
    np.testing.assert_allclose(proba[:, 1], clf.model.predict(x)[:, 0], rtol=1e-6)
    # As in Keras 2.2.4, `predict` keeps the model's `(n, 1)` class column.
    assert clf.predict(x).shape == (40, 1)


def test_score_needs_an_accuracy_metric(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, metrics=(), epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError) as info:
        clf.score(x, y)
    assert str(info.value) == ('The model is not configured to compute accuracy. You should '
                               'pass `metrics=["accuracy"]` to the `model.compile()` method.')


def test_params(backend):
    clf = KerasClassifier(build_classifier, hidden=4, epochs=2, batch_size=8, nb_epoch=2)
    params = clf.get_params()
    assert params == {'build_fn': build_classifier, 'hidden': 4, 'epochs': 2, 'batch_size': 8,
                      'nb_epoch': 2}
    assert clf.get_params(deep=False) == params
    assert clf.set_params(hidden=7, verbose=0, validation_split=0.1) is clf
    assert clf.sk_params['hidden'] == 7 and clf.sk_params['validation_split'] == 0.1
    # fit, predict(_classes), evaluate and build_fn arguments are legal; anything else is not.
    with pytest.raises(ValueError, match='^hiden is not a legal parameter$'):
        clf.set_params(hiden=3)
    with pytest.raises(ValueError, match='^units is not a legal parameter$'):
        KerasClassifier(build_classifier, units=3)
    with pytest.raises(ValueError, match='is not a legal parameter'):
        KerasClassifier(ClassifierBuilder(), loss='mse')   # not an argument of its __call__
    KerasClassifier(ClassifierBuilder(), lr=0.1, steps=2)
    OwnBuilder(lr=0.1)
    assert clf.filter_sk_params(build_classifier) == {'hidden': 7}
    assert clf.filter_sk_params(models.Sequential.fit, {'epochs': 9}) == {
        'epochs': 9, 'batch_size': 8, 'verbose': 0, 'validation_split': 0.1}


def test_clone(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, hidden=5, epochs=1, verbose=0)
    clf.fit(x, y)
    twin = clone(clf)
    assert type(twin) is KerasClassifier and twin is not clf
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, 'model') and not hasattr(twin, 'classes_')
    twin.fit(x, y)
    assert twin.model is not clf.model


def test_cross_val_score_on_iris(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, epochs=20, batch_size=16, verbose=0)
    scores = cross_val_score(clf, x, y, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1)) and scores.mean() > 0.6


def test_grid_search_on_iris(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, batch_size=16, verbose=0)
    search = GridSearchCV(clf, {'hidden': [2, 8], 'epochs': [1, 15]}, cv=2)
    search.fit(x, y)
    assert search.best_params_['hidden'] in (2, 8)
    assert len(search.cv_results_['mean_test_score']) == 4
    best = search.best_estimator_
    assert best.sk_params['hidden'] == search.best_params_['hidden']
    assert best.predict(x).shape == (150,)


def test_regressor(backend):
    x = np.random.rand(60, 3).astype('float32')
    y = (x.sum(axis=1) + 0.5).astype('float32')
    reg = KerasRegressor(build_regressor, epochs=30, batch_size=10, verbose=0)
    history = reg.fit(x, y)
    assert history.history['loss'][-1] < history.history['loss'][0]
    predictions = reg.predict(x)
    assert predictions.shape == (60,)                         # squeezed
    loss = reg.model.evaluate(x, y, verbose=0)
    assert reg.score(x, y) == pytest.approx(-loss, rel=1e-6)   # score = -loss
    np.testing.assert_allclose(-reg.score(x, y), np.mean((predictions - y) ** 2), rtol=1e-4)
    scores = cross_val_score(KerasRegressor(build_regressor, epochs=2, verbose=0), x, y, cv=2)
    assert scores.shape == (2,) and np.all(scores <= 0)


def test_regressor_score_with_metrics_is_minus_the_loss(backend):
    def build():
        model = models.Sequential([layers.Dense(1, input_shape=(3,))])
        model.compile('sgd', 'mse', metrics=['mae'])
        return model

    x = np.random.rand(20, 3).astype('float32')
    y = np.random.rand(20).astype('float32')
    reg = KerasRegressor(build, epochs=1, verbose=0)
    reg.fit(x, y)
    loss, mae = reg.model.evaluate(x, y, verbose=0)
    assert reg.score(x, y) == pytest.approx(-loss, rel=1e-6)


def test_base_wrapper_without_a_builder(backend):
    with pytest.raises(AttributeError):
        BaseWrapper(epochs=1)   # needs a build_fn or a subclass with __call__


# ---------------------------------------------------------------- scikit-learn's protocol

def test_fitted_estimator_protocol(backend, iris):
    x, y = iris
    for estimator in (KerasClassifier(build_classifier, epochs=1, verbose=0),
                      KerasRegressor(build_regressor, epochs=1, verbose=0)):
        assert not estimator.__sklearn_is_fitted__()
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)
    clf = KerasClassifier(build_classifier, epochs=1, verbose=0)
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(NotFittedError, match='This KerasClassifier instance is not '
                                                 'fitted yet'):
            method(x)
    with pytest.raises(NotFittedError):
        clf.score(x, y)
    clf.fit(x, y)
    check_is_fitted(clf)
    assert clf.n_features_in_ == 4
    reg = KerasRegressor(build_regressor, epochs=1, verbose=0)
    with pytest.raises(NotFittedError, match='KerasRegressor'):
        reg.predict(x[:, :3])
    reg.fit(x[:, :3], y.astype('float32'))
    check_is_fitted(reg)   # a regressor has no `classes_`: the protocol method answers
    assert reg.n_features_in_ == 3


def test_tags(backend):
    from sklearn.utils import get_tags
    tags = get_tags(KerasClassifier(build_classifier))
    assert tags.estimator_type == 'classifier' and tags.classifier_tags is not None
    assert tags.regressor_tags is None and tags.target_tags.required
    assert tags.non_deterministic            # random initial weights
    tags = get_tags(KerasRegressor(build_regressor))
    assert tags.estimator_type == 'regressor' and tags.regressor_tags is not None
    assert tags.classifier_tags is None
    # What scikit-learn releases before 1.6 read.
    assert KerasClassifier._estimator_type == 'classifier'
    assert KerasRegressor._estimator_type == 'regressor'
    assert KerasRegressor(build_regressor)._more_tags() == {'non_deterministic': True,
                                                            'requires_y': True}


def test_clone_keeps_every_parameter_object(backend, iris):
    x, y = iris
    metrics = ['accuracy']
    clf = KerasClassifier(build_classifier, metrics=metrics, epochs=1, verbose=0)
    assert clf.get_params()['metrics'] is metrics     # not a copy: clone checks identity
    twin = clone(clf)                                 # a list parameter used to break clone
    assert twin.get_params().keys() == clf.get_params().keys()
    assert twin.get_params()['metrics'] == ['accuracy']
    twin.fit(x, y)
    assert twin.model.metrics_names == ['loss', 'acc']
    assert not clf.__sklearn_is_fitted__()


def test_set_params_replaces_the_builder(backend, iris):
    x, y = iris
    clf = KerasClassifier(build_classifier, hidden=5, epochs=1, verbose=0)

    def narrow(width=2):
        return build_classifier(hidden=width)

    # `hidden` is no argument of the new builder: refused, and nothing changes.
    with pytest.raises(ValueError, match='^hidden is not a legal parameter$'):
        clf.set_params(build_fn=narrow, hidden=3)
    assert clf.build_fn is build_classifier and clf.sk_params['hidden'] == 5
    clf = KerasClassifier(build_classifier, epochs=1, verbose=0)
    assert clf.set_params(build_fn=narrow, width=3) is clf
    assert clf.build_fn is narrow and clf.get_params()['width'] == 3
    assert 'build_fn' not in clf.sk_params
    clf.fit(x, y)
    assert clf.model.layers[0].units == 3


def test_pipeline_classifier_with_string_labels(backend, raw_iris):
    x, names = raw_iris
    pipeline = make_pipeline(StandardScaler(),
                             KerasClassifier(build_classifier, epochs=25, batch_size=16,
                                             verbose=0))
    with pytest.raises(NotFittedError):
        pipeline.predict(x)
    pipeline.fit(x, names)
    check_is_fitted(pipeline)
    scaler, clf = pipeline.named_steps['standardscaler'], pipeline.named_steps[
        'kerasclassifier']
    assert list(clf.classes_) == ['setosa', 'versicolor', 'virginica']
    predictions = pipeline.predict(x)
    assert predictions.shape == (150,) and set(predictions) <= set(clf.classes_)
    # The model saw the scaled features: its own predictions on them, as labels.
    scaled = scaler.transform(x)
    np.testing.assert_array_equal(
        predictions, clf.classes_[clf.model.predict(scaled).argmax(axis=1)])
    proba = pipeline.predict_proba(x)
    np.testing.assert_allclose(proba, clf.model.predict(scaled), rtol=1e-6)
    # The score is the model's accuracy from `evaluate`, on the labels' indices.
    indices = np.searchsorted(clf.classes_, names)
    loss, accuracy = clf.model.evaluate(scaled, np.eye(3)[indices], verbose=0)
    assert pipeline.score(x, names) == pytest.approx(accuracy, abs=1e-6)
    assert accuracy == pytest.approx(np.mean(predictions == names), abs=1e-6)
    assert accuracy > 0.8


def test_cross_val_score_of_a_pipeline(backend, raw_iris, regression_data):
    x, names = raw_iris
    pipeline = Pipeline([('scale', StandardScaler()),
                         ('net', KerasClassifier(build_classifier, epochs=15, batch_size=16,
                                                 verbose=0))])
    scores = cross_val_score(pipeline, x, names, cv=3, error_score='raise')
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert np.all((scores >= 0) & (scores <= 1)) and scores.mean() > 0.6
    x, y = regression_data
    pipeline = make_pipeline(StandardScaler(),
                             KerasRegressor(build_linear_regressor, epochs=2, verbose=0))
    scores = cross_val_score(pipeline, x, y, cv=2, error_score='raise')
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores <= 0)


def test_pipeline_regressor_score_is_minus_the_evaluated_loss(backend, regression_data):
    x, y = regression_data
    pipeline = make_pipeline(StandardScaler(),
                             KerasRegressor(build_linear_regressor, lr=0.05, epochs=40,
                                            batch_size=8, verbose=0))
    pipeline.fit(x, y)
    check_is_fitted(pipeline)
    scaled = pipeline[0].transform(x)
    model = pipeline[-1].model
    predictions = pipeline.predict(x)
    np.testing.assert_allclose(predictions, model.predict(scaled)[:, 0], rtol=1e-6)
    loss = model.evaluate(scaled, y, verbose=0)
    assert pipeline.score(x, y) == pytest.approx(-loss, rel=1e-6)
    np.testing.assert_allclose(loss, np.mean((predictions - y) ** 2), rtol=1e-4)


def test_grid_search_over_a_pipeline(backend, raw_iris):
    x, names = raw_iris
    pipeline = make_pipeline(StandardScaler(),
                             KerasClassifier(build_classifier, verbose=0))
    grid = {'kerasclassifier__hidden': [3, 8], 'kerasclassifier__epochs': [2, 10],
            'kerasclassifier__batch_size': [16]}
    search = GridSearchCV(pipeline, grid, cv=KFold(2, shuffle=True, random_state=0),
                          error_score='raise')
    search.fit(x, names)
    scores = search.cv_results_['mean_test_score']
    assert len(scores) == 4 and np.all(np.isfinite(scores))
    assert search.best_score_ == pytest.approx(np.max(scores))
    best = search.best_estimator_.named_steps['kerasclassifier']
    assert best.sk_params['hidden'] == search.best_params_['kerasclassifier__hidden']
    assert best.model.layers[0].units == best.sk_params['hidden']
    assert best.sk_params['epochs'] == search.best_params_['kerasclassifier__epochs']
    # The grid's estimators were clones: the pipeline given is left unfitted.
    assert not pipeline[-1].__sklearn_is_fitted__()
    assert search.score(x, names) == pytest.approx(
        np.mean(search.predict(x) == names), abs=1e-6)


def test_grid_search_over_builders(backend, iris):
    x, y = iris

    def wide():
        return build_classifier(hidden=9)

    def narrow():
        return build_classifier(hidden=2)

    search = GridSearchCV(KerasClassifier(build_classifier, epochs=1, verbose=0),
                          {'build_fn': [wide, narrow]}, cv=2, error_score='raise')
    search.fit(x, y)
    assert len(search.cv_results_['mean_test_score']) == 2
    best = search.best_estimator_
    assert best.build_fn is search.best_params_['build_fn']
    assert best.model.layers[0].units == (9 if best.build_fn is wide else 2)
