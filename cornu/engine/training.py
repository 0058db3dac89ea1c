"""`Model`: a `Network` that can be compiled, trained, evaluated and used for prediction."""
import numpy as np

from .. import backend as K
from ..utils.generic_utils import Progbar, unpack_singleton
from .network import Network
from . import training_utils
from .trainers import trainer_for


class Model(Network):
    """The functional-API model: `Model(inputs, outputs)`, with training and inference.

    # Arguments
        inputs: input tensor(s) made by `Input`.
        outputs: output tensor(s).
        name: optional name.
    """

    @property
    def _trainer(self):
        trainer = self.__dict__.get('_trainer_instance')
        if trainer is None or trainer.model is not self:
            trainer = trainer_for(self)
            self.__dict__['_trainer_instance'] = trainer
        return trainer

    def _ensure_graph(self, x=None):
        """Subclasses that defer building (Sequential without an input shape) hook in here."""
        if not self._is_graph_network:
            raise RuntimeError('Model ' + self.name + ' has no inputs yet: call it on data or '
                               'build it first.')

    def _feed_tensors(self, arrays):
        return [K.convert_to_tensor(array, dtype=x.dtype)
                for array, x in zip(arrays, self._feed_inputs)]

    def _standardize_inputs(self, x):
        return training_utils.standardize_input_data(
            x, self._feed_input_names, self._feed_input_shapes, check_batch_axis=False,
            exception_prefix='input')

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
            ValueError: when the input data does not match the model's inputs.
        """
        if batch_size is None and steps is None:
            batch_size = 32
        if x is None and steps is None:
            raise ValueError('If predicting from data tensors, you should specify the `steps` '
                             'argument.')
        self._ensure_graph(x)
        arrays = self._standardize_inputs(x)
        num_samples = arrays[0].shape[0] if arrays else 0
        if batch_size is None:
            batch_size = int(np.ceil(num_samples / float(steps))) if steps else 32
        slices = training_utils.batch_starts(num_samples, batch_size)
        if steps is not None:
            slices = slices[:steps]
        inputs = self._feed_tensors(arrays)

        progbar = Progbar(target=num_samples if steps is None else len(slices)) \
            if verbose == 1 else None
        on_batch_end = None
        if progbar is not None:
            def on_batch_end(index, stop):
                progbar.update(stop if steps is None else index + 1)
        collected = self._trainer.predict_batches(inputs, slices, on_batch_end)
        if collected is None:
            return unpack_singleton([np.zeros((0,) + tuple(s[1:]), dtype=K.floatx())
                                     for s in self._internal_output_shapes])
        results = [K.to_numpy(K.concatenate(outputs, axis=0)) if len(outputs) > 1
                   else K.to_numpy(outputs[0]) for outputs in collected]
        return unpack_singleton(results)

    def predict_on_batch(self, x):
        """Returns predictions for a single batch of samples."""
        self._ensure_graph(x)
        inputs = self._feed_tensors(self._standardize_inputs(x))
        outputs = self._trainer.predict_on_batch(inputs)
        return unpack_singleton([K.to_numpy(o) for o in outputs])
