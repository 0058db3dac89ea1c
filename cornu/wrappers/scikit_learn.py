"""Wrappers that give cornu models the scikit-learn estimator API (Keras 2.2.4's
`keras.wrappers.scikit_learn`): `KerasClassifier` and `KerasRegressor`.

scikit-learn is not imported with this module: the wrappers follow its conventions
(constructor parameters, `get_params`/`set_params`, `fit`/`predict`/`score`, the fitted-estimator
protocol `__sklearn_is_fitted__` and fitted attributes ending in `_`, the estimator tags), so
`Pipeline`, `cross_val_score`, `GridSearchCV`, `clone` and `check_is_fitted` work with them.
"""
import copy
import types

import numpy as np

from ..models import Sequential
from ..utils.generic_utils import has_arg
from ..utils.np_utils import to_categorical


def _sklearn_tags(estimator_type):
    """The tags by which scikit-learn 1.6 and later tell classifiers from regressors (older
    releases read the `_estimator_type` attribute and `_more_tags` instead). Training starts
    from random weights, so two fits differ: the estimator is non-deterministic."""
    from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
    tags = Tags(estimator_type=estimator_type, target_tags=TargetTags(required=True),
                non_deterministic=True)
    if estimator_type == 'classifier':
        tags.classifier_tags = ClassifierTags()
    elif estimator_type == 'regressor':
        tags.regressor_tags = RegressorTags()
    return tags


def _not_fitted_error(estimator):
    """The error of a method that needs a fitted estimator: scikit-learn's `NotFittedError`
    (a `ValueError` and an `AttributeError`) when scikit-learn is installed."""
    message = ('This %s instance is not fitted yet. Call `fit` with appropriate arguments '
               'before using this estimator.' % type(estimator).__name__)
    try:
        from sklearn.exceptions import NotFittedError
    except ImportError:
        return AttributeError(message)
    return NotFittedError(message)


def _loss_name(model):
    """The name of a compiled model's loss (`'categorical_crossentropy'`, ...)."""
    loss = model.loss
    return getattr(loss, '__name__', loss)


class BaseWrapper(object):
    """Base class for the scikit-learn wrappers (use `KerasClassifier` or `KerasRegressor`).

    # Arguments
        build_fn: callable that builds, compiles and returns a Keras model: a function, an
            instance of a class with a `__call__` method, or `None`, in which case the wrapper
            subclass must define `__call__` to build the model.
        **sk_params: model parameters (arguments of `build_fn`) and fitting/predicting
            parameters (arguments of `Sequential.fit`, `predict`, `predict_classes` and
            `evaluate`, e.g. `epochs`, `batch_size`, `verbose`).

    Like every scikit-learn estimator, `build_fn` should give its arguments default values,
    so that the estimator can be created without `sk_params`. The parameters used by `fit`,
    `predict`, `predict_proba` and `score` come, in order of precedence, from the keyword
    arguments of those methods, then from `sk_params`, then from the defaults of the
    `Sequential` methods. With scikit-learn's model selection tools (`GridSearchCV`...), every
    parameter that `sk_params` accepts can be tuned, `epochs` and `batch_size` included, and
    `build_fn` itself.

    `fit` makes `model` (the fitted Keras model) and, for one 2D array of samples,
    `n_features_in_`; scikit-learn's `check_is_fitted` (and so `Pipeline`) asks
    `__sklearn_is_fitted__`, and `predict`, `predict_proba` and `score` raise its
    `NotFittedError` before `fit`.
    """

    _estimator_type = None

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def __sklearn_is_fitted__(self):
        """Whether `fit` has made the model (scikit-learn's `check_is_fitted` asks this)."""
        return hasattr(self, 'model')

    def __sklearn_tags__(self):
        return _sklearn_tags(self._estimator_type)

    def _more_tags(self):
        # The tags of scikit-learn releases before 1.6.
        return {'non_deterministic': True, 'requires_y': True}

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise _not_fitted_error(self)

    def _build_callable(self, build_fn):
        """The callable that builds the model with `build_fn` (`self.build_fn` or one about
        to replace it), and the function whose arguments it takes."""
        if build_fn is None:
            return self.__call__, self.__call__
        if not isinstance(build_fn, (types.FunctionType, types.MethodType)):
            return build_fn, build_fn.__call__
        return build_fn, build_fn

    def check_params(self, params):
        """Checks for user typos in `params`.

        # Arguments
            params: dictionary; the parameters to be checked.

        # Raises
            ValueError: if any member of `params` is not a valid argument.
        """
        self._check_params_of(params, self.build_fn)

    def _check_params_of(self, params, build_fn):
        """`check_params` against the arguments of `build_fn`."""
        legal_params_fns = [Sequential.fit, Sequential.predict, Sequential.predict_classes,
                            Sequential.evaluate, self._build_callable(build_fn)[1]]
        for name in params:
            if name == 'nb_epoch':  # Keras 1's name of `epochs`, still accepted by `fit`
                continue
            if not any(has_arg(fn, name) for fn in legal_params_fns):
                raise ValueError('{} is not a legal parameter'.format(name))

    def get_params(self, **params):
        """Gets parameters for this estimator.

        # Arguments
            **params: ignored (exists for API compatibility).

        # Returns
            Dictionary of parameter names mapped to their values: the values themselves,
            not copies (scikit-learn's `clone` checks that the constructor kept them).
        """
        result = dict(self.sk_params)
        result.update({'build_fn': self.build_fn})
        return result

    def set_params(self, **params):
        """Sets the parameters of this estimator.

        # Arguments
            **params: Dictionary of parameter names mapped to their values; `build_fn`
                replaces the model builder (the other names are then checked against it).

        # Returns
            self

        # Raises
            ValueError: if a parameter is not an argument of the builder nor of the
                `Sequential` methods (nothing is changed then).
        """
        params = dict(params)
        build_fn = params.pop('build_fn') if 'build_fn' in params else self.build_fn
        self._check_params_of(params, build_fn)
        self.build_fn = build_fn
        self.sk_params.update(params)
        return self

    def fit(self, x, y, **kwargs):
        """Constructs a new model with `build_fn` and fits it to `(x, y)`.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Training samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`. True labels.
            **kwargs: arguments of `Sequential.fit`; they override those in `sk_params`.

        # Returns
            history: the `History` of the training.
        """
        build, signature = self._build_callable(self.build_fn)
        self.model = build(**self.filter_sk_params(signature))
        # scikit-learn's number of features, defined for one 2D array of samples.
        shape = getattr(x, 'shape', None)
        if shape is not None and len(shape) == 2:
            self.n_features_in_ = shape[1]
        elif hasattr(self, 'n_features_in_'):
            del self.n_features_in_

        # Integer labels for a categorical crossentropy are one-hot encoded.
        if _loss_name(self.model) == 'categorical_crossentropy' and len(y.shape) != 2:
            y = to_categorical(y)

        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn, override=None):
        """Filters `sk_params` and returns those in `fn`'s arguments.

        # Arguments
            fn: arbitrary function.
            override: dictionary, values to override `sk_params`.

        # Returns
            res: dictionary containing variables in both `sk_params` and `fn`'s arguments.
        """
        override = override or {}
        res = {}
        for name, value in self.sk_params.items():
            if has_arg(fn, name):
                res[name] = value
        res.update(override)
        return res


class KerasClassifier(BaseWrapper):
    """Implementation of the scikit-learn classifier API for Keras.

    After `fit`, `classes_` holds the class labels seen in `y` (sorted) and `n_classes_` their
    number; the model is trained on the labels' indices in `classes_`.
    """

    _estimator_type = 'classifier'

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Constructs a new model with `build_fn` and fits it to `(x, y)`.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Training samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`. True labels:
                class labels (any sortable values), or a one-hot matrix.
            sample_weight: optional array of weights of the samples.
            **kwargs: arguments of `Sequential.fit`; they override those in `sk_params`.

        # Returns
            history: the `History` of the training.

        # Raises
            ValueError: In case of invalid shape for `y` argument.
        """
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError('Invalid shape for y: ' + str(y.shape))
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs['sample_weight'] = sample_weight
        return super(KerasClassifier, self).fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """Returns the class predictions for the given test data.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Test samples.
            **kwargs: arguments of `Sequential.predict_classes`.

        # Returns
            preds: array-like, shape `(n_samples,)`. Class predictions (labels of `classes_`).
        """
        self._check_fitted()
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        classes = self.model.predict_classes(x, **kwargs)
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Returns class probability estimates for the given test data.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Test samples.
            **kwargs: arguments of `Sequential.predict_classes`.

        # Returns
            proba: array-like, shape `(n_samples, n_outputs)`. Class probability estimates.
                For binary classification (one sigmoid output), to match the scikit-learn
                API, an array of shape `(n_samples, 2)` (probabilities of class 0, then 1)
                instead of Keras' `(n_samples, 1)`.
        """
        self._check_fitted()
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = self.model.predict_proba(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """Returns the mean accuracy on the given test data and labels.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Test samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`. True labels.
            **kwargs: arguments of `Sequential.evaluate`.

        # Returns
            score: float. Mean accuracy of predictions on `x` wrt. `y`.

        # Raises
            ValueError: If the underlying model isn't configured to compute accuracy. You
                should pass `metrics=["accuracy"]` to the `.compile()` method of the model.
        """
        self._check_fitted()
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == 'categorical_crossentropy' and len(y.shape) != 2:
            y = to_categorical(y)
        outputs = self.model.evaluate(x, y, **kwargs)
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name == 'acc':
                return output
        raise ValueError('The model is not configured to compute accuracy. You should pass '
                         '`metrics=["accuracy"]` to the `model.compile()` method.')


class KerasRegressor(BaseWrapper):
    """Implementation of the scikit-learn regressor API for Keras."""

    _estimator_type = 'regressor'

    def predict(self, x, **kwargs):
        """Returns predictions for the given test data.

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Test samples.
            **kwargs: arguments of `Sequential.predict`.

        # Returns
            preds: array-like, shape `(n_samples,)`. Predictions (axes of length 1 removed).
        """
        self._check_fitted()
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x, y, **kwargs):
        """Returns the mean loss on the given test data and labels, negated (greater is
        better, as scikit-learn expects of a score).

        # Arguments
            x: array-like, shape `(n_samples, n_features)`. Test samples.
            y: array-like, shape `(n_samples,)`. True values.
            **kwargs: arguments of `Sequential.evaluate`.

        # Returns
            score: float. Minus the mean loss of predictions on `x` wrt. `y`.
        """
        self._check_fitted()
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -loss[0]
        return -loss
