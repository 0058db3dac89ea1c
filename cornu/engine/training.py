"""`Model`: a `Network` that can be compiled, trained, evaluated and used for prediction."""
import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import steps as engine_steps
from .. import losses as losses_module
from .._common.generic_utils import Progbar, unpack_singleton, to_list
from .._common.legacy_arguments import legacy_generator_methods_support
from .network import Network
from .subclassed import set_inputs_from_data
from . import compile_utils
from . import training_utils
from . import training_arrays
from . import process_group
from . import argument_checks
from . import data_checks
from .compile_spec import build_compile_spec
from .stateful_metrics import find_stateful_metrics
from .callback_data import callback_validation_data
from ..distribute.data_parallel import current_distribution
from .trainer import Trainer


class _Required(object):
    """The default of an argument that must be given, so that leaving it out gets a message
    saying what to pass."""

    def __repr__(self):
        return '<required>'


_REQUIRED = _Required()


class Model(Network):
    """The functional-API model: `Model(inputs, outputs)`, with training and inference.

    # Arguments
        inputs: input tensor(s) made by `Input`.
        outputs: output tensor(s).
        name: optional name.
    """

    def __call__(self, inputs, **kwargs):
        # A subclassed model called on symbolic tensors before it saw data gets its graph
        # first (on inputs of their shapes), then is called like any functional model.
        if self.__dict__.get('_is_subclassed_model') and not self._is_graph_network and \
                all(isinstance(x, K.KerasTensor) for x in to_list(inputs)):
            set_inputs_from_data(self, inputs)
        return super().__call__(inputs, **kwargs)

    @property
    def _trainer(self):
        trainer = self.__dict__.get('_trainer_instance')
        if trainer is None or trainer.model is not self:
            trainer = Trainer(self)
            self.__dict__['_trainer_instance'] = trainer
        return trainer

    def _can_build_later(self):
        """Whether the model can still be built from data: a subclassed model before it saw
        data (Sequential overrides)."""
        return not self._is_graph_network and self.__dict__.get('_is_subclassed_model', False)

    def _ensure_graph(self, x=None):
        """Builds a subclassed model from the data `x` it first sees (Sequential overrides)."""
        if self._is_graph_network:
            return
        if self._can_build_later():
            set_inputs_from_data(self, x)
            return
        raise RuntimeError('Model ' + self.name + ' has no inputs yet: call it on data or '
                           'build it first.')

    def _feed_tensors(self, arrays):
        # As the loops hold arrays: the JAX engine copies them to the device itself.
        return [engine_steps.hold(array, x.dtype)
                for array, x in zip(arrays, self._feed_inputs)]

    def _standardize_inputs(self, x):
        shapes = self._feed_input_shapes
        accepted = self.__dict__.get('_accepted_array')
        if type(x) is np.ndarray and accepted is not None and accepted[0] is shapes and \
                accepted[1] == x.dtype and accepted[2] == x.shape[1:]:
            # A NumPy array of the dtype and sample shape last accepted for this model's
            # single input (a server's `predict(x[:1])`, call after call) passes the same
            # checks: the checks of its values alone run again.
            inputs = [x]
        else:
            inputs = training_utils.standardize_input_data(
                x, self._feed_input_names, shapes, check_batch_axis=False,
                exception_prefix='input')
            data_checks.check_numeric(inputs, self._feed_input_names, 'input')
            if type(x) is np.ndarray and len(inputs) == 1 and inputs[0] is x:
                self.__dict__['_accepted_array'] = (shapes, x.dtype, x.shape[1:])
        data_checks.check_indices(self, inputs)
        return inputs

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer=_REQUIRED, loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None, **kwargs):
        """Configures the model for training.

        # Arguments
            optimizer: name of an optimizer or an optimizer instance.
            loss: name of a loss, a loss function `f(y_true, y_pred)`, or a list/dict of them
                (one per output, dicts keyed by output name).
            metrics: list of metrics (names or functions), or a dict/list of lists per output;
                `'accuracy'` picks the right accuracy for the loss and output shape.
            loss_weights: list or dict of scalar weights of each output's loss.
            sample_weight_mode: `None` for sample-wise weights, `'temporal'` for timestep-wise
                weights (2-D sample_weight); or a list/dict per output.
            weighted_metrics: metrics weighted by sample_weight or class_weight.
            target_tensors: fixed target values (arrays or tensors) used when `fit` gets no
                `y`; a list (or dict) with one entry per output.
            jit_compile: (keyword only, not in Keras 2) compile the training step: on
                PyTorch, its forward pass, losses and metrics run through `torch.compile`
                (the backward and optimizer update stay eager; the first steps of each input
                signature are slow while compiling; if compiling fails, a warning says so and
                the step runs eagerly); on JAX steps are always compiled. Default `False`.
            fuse_softmax_crossentropy: (keyword only, not in Keras 2) an output whose
                layer ends in a softmax and whose loss is `categorical_crossentropy` or
                `sparse_categorical_crossentropy` computes its loss (in `fit` and `evaluate`)
                from the logits with one log-softmax, as tf.keras does: faster, and exact
                where Keras 2.2.4's clipped formula loses precision. The two differ only where
                a probability saturates below `epsilon` or above `1 - epsilon` (there the
                clipped form has no gradient). Metrics and predictions see the probabilities;
                models with masks always use the clipped formula. Default `True`; `False`
                gives Keras 2.2.4's formula.
            steps_per_execution: (keyword only, not in Keras 2; Keras 3's name) on JAX, how
                many training steps `fit` runs in one compiled call when it can: for arrays
                in memory, on one device, when the callbacks' batch hooks only read the logs
                (Keras' own loggers; a callback acting between batches gets them one by one),
                the batches of an epoch go in groups of up to this many through one compiled
                loop of the step, giving the same numbers as one call per batch, and the
                batch hooks are called after each group with each batch's values. A small
                model's step then costs several times less. `'auto'` (the default) groups
                the steps of a small model only: as many (a power of two, up to 64) as do
                about 32 million arithmetic operations together, judged from the step's
                trace before anything is compiled; a larger step runs one call per batch,
                where grouping would save next to nothing. Either way the grouped loop is
                the only training step `fit` compiles. `1` runs one call per batch. On
                PyTorch each step is its own call whatever the value.

        A model compiled inside `cornu.distribute.DataParallel(...).scope()` (or while a
        distribution is set with `cornu.distribute.set_distribution`) trains, evaluates and
        predicts data-parallel over that distribution's devices.

        # Raises
            ValueError: for unknown names, or lists/dicts that do not match the outputs.
            TypeError: for an unknown keyword argument, or when no optimizer is given.
        """
        if optimizer is _REQUIRED:
            raise TypeError('compile() of model ' + self.name + ' is missing its optimizer: '
                            "pass one first, by name (compile(optimizer='rmsprop', loss=...)) "
                            'or as an instance (compile(optimizer=Adam(lr=1e-3), ...)).')
        for key in kwargs:
            if key not in _COMPILE_OPTIONS:
                raise TypeError('Invalid keyword argument passed to compile: ' + str(key))
        from .. import optimizers
        # A Sequential compiled before it is built keeps the distribution of this call.
        distribution = self.__dict__.pop('_deferred_distribution', None) or \
            current_distribution()
        if not self._is_graph_network and self._can_build_later():
            # As Keras 2 does for a Sequential model without an input shape: the model is
            # compiled when it is built, at the first call with data.
            self.optimizer = optimizers.get(optimizer)
            self._deferred_compile = dict(optimizer=self.optimizer, loss=loss, metrics=metrics,
                                          loss_weights=loss_weights,
                                          sample_weight_mode=sample_weight_mode,
                                          weighted_metrics=weighted_metrics,
                                          target_tensors=target_tensors, **kwargs)
            self._deferred_distribution = distribution
            return
        self._ensure_graph()
        self._deferred_compile = None
        spec = build_compile_spec(self, loss=loss, metrics=metrics, loss_weights=loss_weights,
                                  sample_weight_mode=sample_weight_mode,
                                  weighted_metrics=weighted_metrics,
                                  target_tensors=target_tensors,
                                  **{**_COMPILE_OPTIONS, **kwargs})
        self.optimizer = _with_loss_scaling(self, optimizers.get(optimizer))
        self._compile_spec = spec
        # Keras 2's public attributes of a compiled model.
        self.loss = loss or {}
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self.loss_functions = [output.loss for output in spec.outputs]
        self.sample_weight_modes = [output.sample_weight_mode for output in spec.outputs]
        self.metrics_names = list(spec.metrics_names)
        self.stateful_metric_names, self.stateful_metric_functions = \
            find_stateful_metrics(spec.metric_specs)
        # As in Keras 2, the weights trained are those trainable when compile is called.
        self._collected_trainable_weights = self.trainable_weights
        self._distribution = distribution
        self._trainer.prepare(spec)

    @property
    def _is_compiled(self):
        return getattr(self, '_compile_spec', None) is not None

    def _check_trainable_weights_consistency(self):
        import warnings
        if not hasattr(self, '_collected_trainable_weights'):
            return
        if len(self.trainable_weights) != len(self._collected_trainable_weights):
            warnings.warn('Discrepancy between trainable weights and collected trainable '
                          'weights, did you set `model.trainable` without calling '
                          '`model.compile` after ?', stacklevel=3)

    def _require_compiled(self):
        deferred = getattr(self, '_deferred_compile', None)
        if deferred and self._is_graph_network:
            self.compile(**deferred)
        if not self._is_compiled:
            raise RuntimeError('You must compile your model before using it.')

    def _make_train_function(self):
        """Gets the model ready to train, as Keras 2's method of that name did: code written
        for Keras 2 calls it (say before saving a model that has not trained yet, or before
        training from several threads). The training step itself is made by `compile`
        (its engine function on the first batch), so this checks what Keras 2 checked.

        # Raises
            RuntimeError: if the model has not been compiled.
        """
        self._require_compiled()
        self._check_trainable_weights_consistency()

    def _make_test_function(self):
        """Gets the model ready to evaluate (see `_make_train_function`).

        # Raises
            RuntimeError: if the model has not been compiled.
        """
        self._require_compiled()

    def _make_predict_function(self):
        """Gets the model ready to predict, as Keras 2's method of that name did (scripts
        call it before predicting from several threads); the engine's predict step is made
        on the first batch, from any thread.

        # Raises
            RuntimeError: if the model has no inputs yet.
        """
        self._ensure_graph()

    def _set_inputs(self, inputs, outputs=None, training=None):
        """Sets the model's input tensors again, as Keras 2's method of that name did.

        A `Sequential` model is built for the inputs' shape; a subclassed model gets inputs
        shaped like the arrays or tensors given. A functional model's inputs are fixed by its
        graph: after `model.inputs = None`, its own input tensors (those it was made with) can
        be set again.

        # Arguments
            inputs: a tensor or a list of tensors (arrays for a `Sequential` model).
            outputs: unused for a functional model, whose outputs are its graph's.
            training: unused for a functional model.

        # Raises
            ValueError: if the model's inputs are already set, or if the tensors given are not
                the input tensors of the model's graph.
        """
        given = to_list(inputs)
        if self.__class__.__name__ == 'Sequential':
            if len(given) != 1:
                raise ValueError('A Sequential model has one input; _set_inputs got ' +
                                 str(len(given)) + ': ' + str(given)[:200])
            self.build(input_shape=(None,) + tuple(K.int_shape(given[0])[1:]))
            return
        if self.inputs:
            raise ValueError('Model inputs are already set.')
        if not self._is_graph_network:
            # A subclassed model: inputs shaped like the data (or tensors) given, as its
            # first fit/predict would set them.
            set_inputs_from_data(self, inputs)
            return
        own = list(self._inbound_nodes[0].input_tensors)
        if [id(x) for x in given] != [id(x) for x in own]:
            raise ValueError('The inputs of functional model ' + self.name + ' are fixed by '
                             'its graph: _set_inputs expects its input tensors ' + str(own) +
                             ', but got ' + str(given)[:200])
        self.inputs = own

    # ------------------------------------------------------------------ data

    def _standardize_user_data(self, x, y=None, sample_weight=None, class_weight=None,
                               check_array_lengths=True):
        """Inputs, targets and sample weights as lists of NumPy arrays, checked."""
        self._ensure_graph(x)
        self._require_compiled()
        inputs = self._standardize_inputs(x)
        fed = self._compile_spec.fed_outputs
        names = [output.name for output in fed]
        target_tensors = self._compile_spec.target_tensors
        if target_tensors is not None and all(
                target_tensors[output.index] is not None and
                not K.is_placeholder(target_tensors[output.index]) for output in fed):
            # As in Keras 2.2.4, outputs trained against `target_tensors` take no data (but
            # placeholders, which Keras 2 fed from `y`).
            if y is not None and not (isinstance(y, (list, dict)) and not y):
                raise ValueError('Error when checking model target: expected no data, as '
                                 'the model was compiled with `target_tensors`, but got: ' +
                                 str(y)[:200])
            y = [target_tensors[output.index] for output in fed]
        elif y is None and target_tensors is not None:
            y = [target_tensors[output.index] for output in fed]
        if y is None and fed:
            raise ValueError('You must provide target data (`y`) to train or evaluate this model '
                             'since it has ' + str(len(fed)) + ' output(s) with a loss.')
        try:
            targets = training_utils.standardize_input_data(
                y, names, [output.target_shape for output in fed], check_batch_axis=False,
                exception_prefix='target')
        except ValueError as shape_error:
            # Integer labels with categorical_crossentropy: add how to fix it to Keras 2's
            # shape message.
            unchecked = training_utils.standardize_input_data(
                y, names, None, exception_prefix='target')
            for target, output in zip(unchecked, fed):
                if output.loss is losses_module.categorical_crossentropy and \
                        target is not None and target.shape[-1] == 1:
                    raise ValueError(str(shape_error) + '\n' +
                                     compile_utils.integer_labels_advice(target.shape)) \
                        from shape_error
            raise
        data_checks.check_numeric(targets, names, 'target')
        data_checks.check_sparse_labels(self, targets)
        sample_weights = training_utils.standardize_sample_weights(sample_weight, names)
        class_weights = training_utils.standardize_class_weights(class_weight, names)
        data_checks.check_class_weight(class_weights, fed)
        weights = [training_utils.standardize_weights(t, sw, cw, output.sample_weight_mode)
                   for t, sw, cw, output in zip(targets, sample_weights, class_weights, fed)]
        data_checks.check_numeric(weights, ['`sample_weight` for output ' + name
                                            for name in names],
                                  'sample_weight')
        if check_array_lengths:
            # `None` weights stand for all ones here (Keras 2 made arrays of them).
            training_utils.check_array_length_consistency(
                inputs, targets, [w for w in weights if w is not None])
        compile_utils.check_loss_and_target_compatibility(
            targets, [output.loss for output in fed], [output.output_shape for output in fed])
        data_checks.check_not_empty(inputs, self._feed_input_names, 'input')
        data_checks.check_not_empty(targets, names, 'target')
        return inputs, targets, weights

    def _array_batches(self, inputs, targets, weights):
        """The engine copies of checked arrays; targets and weights spread over every output
        (`None` where an output has no loss)."""
        outputs = self._compile_spec.outputs
        full_targets, full_weights = [None] * len(outputs), [None] * len(outputs)
        for output, target, weight in zip(self._compile_spec.fed_outputs, targets, weights):
            full_targets[output.index] = target
            full_weights[output.index] = weight
        target_dtypes = [output.target_dtype if output.takes_target else None
                         for output in outputs]
        return training_arrays.ArrayBatches(inputs, full_targets, full_weights,
                                            [x.dtype for x in self._feed_inputs],
                                            target_dtypes,
                                            check=data_checks.streamed_check(self))

    # ------------------------------------------------------------------ training

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            **kwargs):
        """Trains the model for a fixed number of epochs (iterations on a dataset).

        # Arguments
            x: input data (array, list of arrays or dict keyed by input name).
            y: target data, arranged like the outputs.
            batch_size: samples per gradient update (default 32).
            epochs: index of the last epoch to train (training starts at `initial_epoch`).
            verbose: 0 = silent, 1 = progress bar, 2 = one line per epoch.
            callbacks: list of `cornu.callbacks.Callback` instances.
            validation_split: fraction of the data, taken from the end before shuffling,
                held out for validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, val_sample_weights)`;
                overrides `validation_split`.
            shuffle: shuffle the training data before each epoch (`True`), shuffle whole
                batches (`'batch'`, for HDF5 data) or not (`False`).
            class_weight: dict mapping class indices to loss weights.
            sample_weight: per-sample weights (1-D), or per-timestep (2-D) with
                `sample_weight_mode='temporal'`.
            initial_epoch: epoch at which to start (to resume a run).
            steps_per_epoch: batches per epoch when each step feeds the whole data.
            validation_steps: with `steps_per_epoch`, validation steps per epoch.

        # Returns
            A `History` object; its `history` attribute records loss and metric values.

        # Raises
            ValueError: for mismatched data, wrong shapes, values the model cannot take
                (sparse labels outside the output's classes, indices outside an
                `Embedding`'s `input_dim`), no samples, arguments outside their domain
                (say `batch_size=0`, `validation_split=1.5`), or a `batch_size` that the
                devices of the model's `DataParallel` distribution cannot share evenly.
            TypeError: for data that do not hold numbers (an object array of `None`s, say)
                or arguments of the wrong type (say `batch_size=2.5`).
        """
        if 'nb_epoch' in kwargs:
            import warnings
            warnings.warn('The `nb_epoch` argument in `fit` has been renamed `epochs`.')
            epochs = kwargs.pop('nb_epoch')
        if kwargs:
            raise TypeError('Unrecognized keyword arguments: ' + str(kwargs))
        argument_checks.check_positive_int(batch_size, 'batch_size')
        argument_checks.check_epochs(epochs, initial_epoch)
        argument_checks.check_verbose(verbose)
        argument_checks.check_validation_split(validation_split)
        argument_checks.check_positive_int(steps_per_epoch, 'steps_per_epoch')
        argument_checks.check_positive_int(validation_steps, 'validation_steps')
        if batch_size is None and steps_per_epoch is None:
            batch_size = 32
        if x is None and y is None and steps_per_epoch is None:
            raise ValueError('If fitting from data tensors, you should specify the '
                             '`steps_per_epoch` argument.')
        self._check_trainable_weights_consistency()
        inputs, targets, weights = self._standardize_user_data(x, y, sample_weight,
                                                               class_weight)
        self._trainer.check_batch_size(batch_size)
        val_batches = None
        val_arrays = None
        if validation_data:
            if len(validation_data) == 2:
                val_x, val_y = validation_data
                val_sample_weight = None
            elif len(validation_data) == 3:
                val_x, val_y, val_sample_weight = validation_data
            else:
                raise ValueError('When passing validation_data, it must contain 2 (x_val, y_val) '
                                 'or 3 (x_val, y_val, val_sample_weights) items, however it '
                                 'contains %d items' % len(validation_data))
            val_inputs, val_targets, val_weights = self._standardize_user_data(
                val_x, val_y, sample_weight=val_sample_weight)
            val_batches = self._array_batches(val_inputs, val_targets, val_weights)
            val_arrays = callback_validation_data(self, val_inputs, val_targets, val_weights)
        elif validation_split and 0. < validation_split < 1.:
            arrays = inputs + targets + weights
            train, val, split_at = training_utils.split_validation(arrays, validation_split)
            if split_at == 0:
                raise ValueError('`validation_split=' + str(validation_split) + '` holds out '
                                 'every one of the ' + str(len(val[0])) + ' samples, leaving '
                                 'none to train on.')
            n_in, n_t = len(inputs), len(targets)
            inputs, targets, weights = train[:n_in], train[n_in:n_in + n_t], train[n_in + n_t:]
            val_batches = self._array_batches(val[:n_in], val[n_in:n_in + n_t],
                                              val[n_in + n_t:])
            val_arrays = callback_validation_data(self, val[:n_in], val[n_in:n_in + n_t],
                                                  val[n_in + n_t:])
        if validation_steps is not None and steps_per_epoch is None:
            raise ValueError('`validation_steps` only applies with `steps_per_epoch` (each step '
                             'then feeds the whole data); drop it, or give `steps_per_epoch`.')
        if steps_per_epoch is not None and val_batches is not None and validation_steps is None:
            raise ValueError('When `steps_per_epoch` is given with validation data, '
                             '`validation_steps` must be given too.')
        if validation_steps and val_batches is None:
            raise ValueError('`validation_steps` needs `validation_data` to be given.')

        data = self._array_batches(inputs, targets, weights)
        out_labels = list(self.metrics_names)
        callback_list = self._make_callbacks(callbacks, verbose, 'steps' if steps_per_epoch
                                             else 'samples')
        return training_arrays.fit_loop(self, data, callback_list, out_labels, batch_size,
                                        epochs, verbose, shuffle, initial_epoch,
                                        steps_per_epoch, val_batches, validation_steps,
                                        val_arrays)

    def _make_callbacks(self, callbacks, verbose, count_mode):
        from .. import callbacks as cbks
        self.history = cbks.History()
        stateful = getattr(self, 'stateful_metric_names', None)
        callback_list = [cbks.BaseLogger(stateful_metrics=stateful)]
        # As in Keras 2.2.4, the progress bar comes before the user's callbacks: it prints
        # an epoch's last line before what they print at the end of the epoch.
        if verbose:
            callback_list.append(cbks.ProgbarLogger(count_mode, stateful_metrics=stateful))
        callback_list += list(callbacks or [])
        callback_list.append(self.history)
        return cbks.CallbackList(callback_list)

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None):
        """Returns the loss value and metric values of the model in test mode.

        # Arguments
            x, y: data, as for `fit`.
            batch_size: samples per batch (default 32).
            verbose: 0 or 1.
            sample_weight: optional per-sample weights.
            steps: number of batches (each feeding the whole data) instead of batching.

        # Returns
            A scalar loss (no metrics, one output) or a list in `model.metrics_names` order.

        # Raises
            ValueError: as for `fit`: data the model cannot take, no samples, arguments
                outside their domain, or a `batch_size` that the devices of the model's
                `DataParallel` distribution cannot share evenly.
            TypeError: for data that do not hold numbers, or arguments of the wrong type.
        """
        if batch_size is not None:
            argument_checks.check_positive_int(batch_size, 'batch_size')
        argument_checks.check_verbose(verbose)
        if steps is not None:
            argument_checks.check_positive_int(steps, 'steps')
        if batch_size is None and steps is None:
            batch_size = 32
        inputs, targets, weights = self._standardize_user_data(x, y,
                                                               sample_weight=sample_weight)
        self._trainer.check_batch_size(batch_size)
        data = self._array_batches(inputs, targets, weights)
        outs = training_arrays.test_loop(self, data, batch_size=batch_size, verbose=verbose,
                                         steps=steps)
        return unpack_singleton(outs)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """Runs a single gradient update on one batch.

        # Returns
            The scalar training loss, or a list with the metrics (`model.metrics_names`).
        """
        outs = self._train_batch_values(x, y, sample_weight, class_weight)
        return unpack_singleton([float(kernels.to_numpy(o)) for o in outs])

    def _train_batch_values(self, x, y, sample_weight=None, class_weight=None):
        """One training step on a batch; the logged values stay engine scalars."""
        inputs, targets, weights = self._standardize_user_data(x, y, sample_weight,
                                                               class_weight)
        data = self._array_batches(inputs, targets, weights)
        x_t, y_t, w_t = data.take((0, data.num_samples))
        with K.learning_phase_scope(1):
            return self._trainer.train_batch(x_t, y_t, w_t)

    def _test_batch_values(self, x, y, sample_weight=None):
        """Loss and metrics of a batch in test mode, as engine scalars."""
        inputs, targets, weights = self._standardize_user_data(x, y,
                                                               sample_weight=sample_weight)
        data = self._array_batches(inputs, targets, weights)
        x_t, y_t, w_t = data.take((0, data.num_samples))
        with K.learning_phase_scope(0):
            return self._trainer.test_batch(x_t, y_t, w_t)

    def test_on_batch(self, x, y, sample_weight=None):
        """Tests the model on one batch; returns the loss (and metrics) as `evaluate` does."""
        outs = self._test_batch_values(x, y, sample_weight)
        return unpack_singleton([float(kernels.to_numpy(o)) for o in outs])

    # ------------------------------------------------------------------ generators

    @legacy_generator_methods_support
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Trains on batches yielded by a Python generator or a `Sequence`.

        See `cornu.engine.training_generator.fit_generator` for the arguments.
        """
        from . import training_generator
        return training_generator.fit_generator(
            self, generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
            callbacks=callbacks, validation_data=validation_data,
            validation_steps=validation_steps, class_weight=class_weight,
            max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, shuffle=shuffle,
            initial_epoch=initial_epoch)

    @legacy_generator_methods_support
    def evaluate_generator(self, generator, steps=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """Evaluates on batches from a generator or `Sequence`; returns as `evaluate`."""
        from . import training_generator
        return training_generator.evaluate_generator(
            self, generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, verbose=verbose)

    @legacy_generator_methods_support
    def predict_generator(self, generator, steps=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """Predicts for the input batches of a generator or `Sequence`."""
        from . import training_generator
        return training_generator.predict_generator(
            self, generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, verbose=verbose)

    # ------------------------------------------------------------------ inference

    def predict(self, x, batch_size=None, verbose=0, steps=None):
        """Generates output predictions for the input samples, batch by batch.

        # Arguments
            x: input data: a NumPy array, a list of arrays (one per input) or a dict keyed by
                input name.
            batch_size: samples per batch (default 32).
            verbose: 0 or 1 (progress bar).
            steps: number of batches to run before stopping (default: all of `x`).

        # Returns
            NumPy array(s) of predictions.

        # Raises
            ValueError: when the input data does not match the model's inputs (indices
                outside an `Embedding`'s `input_dim` included), for arguments outside their
                domain (say `steps=0`), or for a `batch_size` that the devices of the
                model's `DataParallel` distribution cannot share evenly.
            TypeError: for data that do not hold numbers, or arguments of the wrong type.
        """
        if batch_size is not None:
            argument_checks.check_positive_int(batch_size, 'batch_size')
        argument_checks.check_verbose(verbose)
        if steps is not None:
            argument_checks.check_positive_int(steps, 'steps')
        if batch_size is None and steps is None:
            batch_size = 32
        if steps is not None and batch_size is not None:
            raise ValueError('If steps is set, the `batch_size` must be None.')
        if x is None and steps is None:
            raise ValueError('If predicting from data tensors, you should specify the `steps` '
                             'argument.')
        self._ensure_graph(x)
        arrays = self._standardize_inputs(x)
        self._trainer.check_batch_size(batch_size)
        num_samples = arrays[0].shape[0] if arrays else 0
        parallel = process_group.current() if steps is None else None
        if steps is None and parallel is None and 0 < num_samples <= batch_size and \
                verbose != 1 and all(type(a) is np.ndarray for a in arrays):
            # One batch of arrays in memory (say `predict(x[:1])`) has no streaming to
            # decide: it runs as `predict_on_batch` runs it (padded to the same length as in
            # the loop below), without the loop's per-call set-up, as a server calls it.
            outputs = self._trainer.predict_on_batch(self._feed_tensors(arrays), batch_size)
            return unpack_singleton([engine_steps.to_host([o]) for o in outputs])
        if steps is not None:
            # As Keras 2.2.4 does with `steps`: each step feeds the whole data.
            slices = [(0, num_samples)] * steps
        elif parallel is not None:
            # Each process predicts a contiguous shard; the shards are gathered below.
            first, last = parallel.bounds(num_samples)
            slices = [(first + start, first + stop) for start, stop in
                      training_utils.make_batches(last - first, batch_size)]
            num_samples = last - first
            if not parallel.is_chief:
                verbose = 0
        else:
            slices = training_utils.make_batches(num_samples, batch_size)
        # One batch of arrays in memory (with a progress bar, above) has no streaming to
        # decide either.
        one_batch = len(slices) == 1 and steps is None and parallel is None and \
            all(type(a) is np.ndarray for a in arrays)
        data = training_arrays.ArrayBatches(arrays, [], [], [x.dtype for x in self._feed_inputs],
                                            [], may_stream=not one_batch,
                                            check=data_checks.streamed_check(
                                                self, with_targets=False))

        progbar = Progbar(target=num_samples if steps is None else len(slices)) \
            if verbose == 1 else None
        on_batch_end = None
        if progbar is not None:
            offset = slices[0][0] if slices and steps is None else 0

            def on_batch_end(index, stop):
                progbar.update(stop - offset if steps is None else index + 1)
        collected = self._trainer.predict_batches(data, slices, on_batch_end,
                                                  batch_size if steps is None else None)
        if collected is None:
            results = [np.zeros((0,) + tuple(s[1:]), dtype=K.floatx())
                       for s in self._internal_output_shapes]
        else:
            results = [engine_steps.to_host(outputs) for outputs in collected]
        if parallel is not None:
            results = [parallel.gather(result) for result in results]
        return unpack_singleton(results)

    def predict_on_batch(self, x):
        """Returns predictions for a single batch of samples."""
        return unpack_singleton([engine_steps.to_host([o]) for o in self._predict_batch_values(x)])

    def _predict_batch_values(self, x):
        """The outputs for one batch, as engine tensors (not copied to the host)."""
        self._ensure_graph(x)
        inputs = self._feed_tensors(self._standardize_inputs(x))
        return self._trainer.predict_on_batch(inputs)


# Keyword arguments of `compile` that Keras 2 did not have, with their defaults.
_COMPILE_OPTIONS = {'jit_compile': False, 'fuse_softmax_crossentropy': True,
                    'steps_per_execution': 'auto'}


def _with_loss_scaling(model, optimizer):
    """`optimizer`, wrapped in a `LossScaleOptimizer` when a layer of `model` computes under
    the `mixed_float16` policy (as tf.keras's `compile` does), unless it is one already."""
    from ..optimizers import LossScaleOptimizer
    if isinstance(optimizer, LossScaleOptimizer):
        return optimizer
    layers, seen = list(model.layers), set()
    while layers:
        layer = layers.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        policy = getattr(layer, '_dtype_policy', None)
        if policy is not None and policy.name == 'mixed_float16':
            return LossScaleOptimizer(optimizer)
        layers.extend(getattr(layer, 'layers', []))
    return optimizer
