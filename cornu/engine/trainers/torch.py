"""Step functions for the PyTorch engine: eager forward/backward with fused updates."""
from ... import backend as K


class TorchTrainer(object):
    """Runs a model's batches on the PyTorch engine.

    # Arguments
        model: a built `Model`.
    """

    def __init__(self, model):
        self.model = model

    def predict_batches(self, inputs, batch_slices, on_batch_end=None):
        """Predicts every slice of the (engine) input tensors; returns per-output lists."""
        plan = self.model._plan
        collected = None
        with K.inference_mode(), K.learning_phase_scope(0):
            for index, (start, stop) in enumerate(batch_slices):
                outputs = plan.run([x[start:stop] for x in inputs])
                if collected is None:
                    collected = [[] for _ in outputs]
                for bucket, output in zip(collected, outputs):
                    bucket.append(output)
                if on_batch_end is not None:
                    on_batch_end(index, stop)
        return collected

    def predict_on_batch(self, inputs):
        with K.inference_mode(), K.learning_phase_scope(0):
            return self.model._plan.run(inputs)
