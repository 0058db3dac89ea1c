"""Multi-GPU training utilities: `multi_gpu_model` (Keras 2.2.4), data parallelism on one
machine.

The returned model is built as Keras 2 builds it: for each replica, a `Lambda` layer takes the
replica's slice of every input, the template model is called on the slices (so all replicas
share its layers and weights), and a `Concatenate` layer per output, named after the output,
joins the replicas' results along the batch axis. How the replicas reach their devices is the
engine's way:

- PyTorch: each slice is moved to its GPU and the replica runs there (`kernels.replica_placement`):
  the weights keep one copy on the engine's device, are copied to each GPU for the forward
  pass, and their gradients come back summed, so one optimizer step updates the shared weights.
- JAX: the model records its devices (`replica_devices`) and its compiled steps run on a mesh
  of them: the weights and optimizer state are replicated on every device, each batch is split
  along its first axis over them, and XLA partitions the computation and sums the gradients
  (see `cornu.backend.jax.steps`).
"""
from .. import backend as K
from ..backend import kernels
from ..engine.execution_plan import ExecutionPlan
from ..engine.training import Model
from ..layers.core import Lambda
from ..layers.merge import concatenate
from .._common.generic_utils import to_list


def _get_available_devices():
    """The devices of this machine, with Keras 2's normalized names (`/cpu:0`, `/gpu:0`...)."""
    return ['/cpu:0'] + ['/gpu:%d' % i for i in range(kernels.gpu_count())]


def _slice_batch(x, i, parts, device):
    """The `i`-th of `parts` slices of the batch `x`, on `device`; the last slice also takes
    the samples left over when the batch size is not a multiple of `parts`."""
    batch_size = K.int_shape(x)[0]
    step = batch_size // parts
    start = step * i
    stop = batch_size if i == parts - 1 else start + step
    return kernels.to_device(x[start:stop], device)


class _PlacedPlan(ExecutionPlan):
    """An execution plan whose ops run where their replica's data is."""

    def run(self, values, masks=None, with_masks=False):
        with kernels.replica_placement():
            return super(_PlacedPlan, self).run(values, masks, with_masks)


class _ReplicatedModel(Model):
    """The model `multi_gpu_model` returns: a `Model` whose graph runs under
    `kernels.replica_placement`, so that each replica computes on its own device (on JAX, whose
    trainer splits each batch over `replica_devices`, the scope changes nothing)."""

    def _check_input_computability(self):
        super(_ReplicatedModel, self)._check_input_computability()
        self._plan = _PlacedPlan(self.inputs, self.outputs)

    def plan_for(self, outputs):
        key = tuple(id(t) for t in outputs)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _PlacedPlan(self.inputs, outputs)
        return plan


def _deduplicated_output_names(names):
    """Output names made unique (`name_1`, `name_2`, ...), e.g. for Siamese networks."""
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen = {}
    unique = []
    for name in names:
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            name = '%s_%d' % (name, seen[name])
        unique.append(name)
    return unique


def _replicate(model, devices):
    """Builds the data-parallel model: one replica of `model` per entry of `devices`.

    # Arguments
        model: the template model (its layers and weights are shared by the replicas).
        devices: list of engine device names, one per replica (e.g. `['cuda:0', 'cuda:1']`;
            the same device may appear several times).

    # Returns
        A `Model` with the inputs of `model` whose outputs are the replicas' outputs,
        concatenated along the batch axis on the engine's device.
    """
    parts = len(devices)
    all_outputs = [[] for _ in model.outputs]
    for i, device in enumerate(devices):
        inputs = []
        for x in model.inputs:
            input_shape = K.int_shape(x)[1:]
            inputs.append(Lambda(_slice_batch, output_shape=input_shape,
                                 arguments={'i': i, 'parts': parts, 'device': device})(x))
        outputs = to_list(model(inputs))
        for index, output in enumerate(outputs):
            all_outputs[index].append(output)
    merged = [concatenate(outputs, axis=0, name=name) for name, outputs in
              zip(_deduplicated_output_names(model.output_names), all_outputs)]
    parallel = _ReplicatedModel(model.inputs, merged)
    # The JAX engine splits each batch over these devices inside its compiled steps.
    parallel.replica_devices = list(devices)
    return parallel


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Replicates a model on different GPUs.

    Specifically, this function implements single-machine multi-GPU data parallelism. It works
    in the following way:

    - Divide the model's input(s) into multiple sub-batches.
    - Apply a model copy on each sub-batch. Every model copy is executed on a dedicated GPU.
    - Concatenate the results into one big batch.

    E.g. if your `batch_size` is 64 and you use `gpus=2`, then the input is divided into 2
    sub-batches of 32 samples, each sub-batch is processed on one GPU, and the full batch of
    64 processed samples is returned.

    The copies share the weights of `model`: training the returned model trains `model`.

    # Arguments
        model: A Keras model instance (the "template" model).
        gpus: Integer >= 2 or list of integers, number of GPUs or list of GPU IDs on which to
            create model replicas. By default, all visible GPUs.
        cpu_merge: accepted for compatibility. The results are always merged where the
            targets and the weights are: the engine's device (the first GPU) on PyTorch,
            every replica's device on JAX.
        cpu_relocation: accepted for compatibility. The weights remain those of `model`
            (on the engine's device; on JAX, replicated on the GPUs once the returned model
            has run).

    # Returns
        A Keras `Model` instance which can be used just like the initial `model` argument, but
        which distributes its workload on multiple GPUs.

    # Raises
        ValueError: if `gpus` is less than 2, or names GPUs this machine does not have.

    # Example
    ```python
    model = Xception(weights=None, input_shape=(224, 224, 3), classes=1000)
    parallel_model = multi_gpu_model(model, gpus=8)
    parallel_model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    # Since the batch size is 256, each GPU processes 32 samples.
    parallel_model.fit(x, y, epochs=20, batch_size=256)
    # Save the template model, which shares the weights:
    model.save('my_model.h5')
    ```

    # On model saving
        To save the multi-gpu model, use `.save(fname)` or `.save_weights(fname)` with the
        template model (the argument you passed to `multi_gpu_model`), rather than the model
        returned by `multi_gpu_model`.
    """
    available_devices = _get_available_devices()
    if not gpus:
        # All visible GPUs (e.g. `CUDA_VISIBLE_DEVICES=0,2 python train.py`).
        gpus = len([name for name in available_devices if 'gpu' in name])
    if isinstance(gpus, (list, tuple)):
        if len(gpus) <= 1:
            raise ValueError('For multi-gpu usage to be effective, call `multi_gpu_model` with '
                             '`len(gpus) >= 2`. Received: `gpus=%s`' % (gpus,))
        target_gpu_ids = list(gpus)
    else:
        if gpus <= 1:
            raise ValueError('For multi-gpu usage to be effective, call `multi_gpu_model` with '
                             '`gpus >= 2`. Received: `gpus=%d`' % gpus)
        target_gpu_ids = list(range(gpus))

    target_devices = ['/cpu:0'] + ['/gpu:%d' % i for i in target_gpu_ids]
    for device in target_devices:
        if device not in available_devices:
            raise ValueError('To call `multi_gpu_model` with `gpus=%s`, we expect the '
                             'following devices to be available: %s. However this machine '
                             'only has: %s. Try reducing `gpus`.' % (gpus, target_devices,
                                                                     available_devices))
    return _replicate(model, ['cuda:%d' % i for i in target_gpu_ids])
