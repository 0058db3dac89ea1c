"""`K` functions on symbolic tensors, and `K.function`.

A backend function called on symbolic tensors becomes a `TensorOp` layer in the graph, so it
runs with the rest of the model; `K.function(inputs, outputs)` compiles the graph between
symbolic tensors into an `ExecutionPlan`.
"""
from .. import backend as K
from ..backend import kernels
from ..backend import symbolic
from ..backend.run_context import run_context
from .base_layer import Layer
from .execution_plan import ExecutionPlan
from . import shape_inference
from .shape_inference import map_structure


class _Slot(object):
    __slots__ = ('index',)

    def __init__(self, index):
        self.index = index


class _Phase(object):
    """Stands for the learning phase in a recorded op; resolved when the op runs."""


_PHASE = _Phase()


class TensorOp(Layer):
    """A backend function applied to symbolic tensors, recorded as a graph layer.

    # Arguments
        fn: the backend function.
        args, kwargs: its arguments; symbolic tensors among them become the layer's inputs.
    """

    def __init__(self, fn, args, kwargs):
        name = getattr(fn, '__name__', 'op').strip('_') or 'op'
        super(TensorOp, self).__init__(name=name + '_op_' + str(K.get_uid(name + '_op')))
        self.fn = fn
        self.symbolic_inputs = []

        def to_template(leaf):
            if leaf is kernels.LEARNING_PHASE:
                self._uses_learning_phase = True
                return _PHASE
            if isinstance(leaf, K.KerasTensor):
                for index, known in enumerate(self.symbolic_inputs):
                    if known is leaf:
                        return _Slot(index)
                self.symbolic_inputs.append(leaf)
                return _Slot(len(self.symbolic_inputs) - 1)
            return leaf

        self.args_template = map_structure(to_template, tuple(args))
        self.kwargs_template = map_structure(to_template, dict(kwargs))
        self.supports_masking = True
        self.built = True
        self._is_gradients = getattr(fn, '__name__', '') == 'gradients'
        self._static_shape = getattr(fn, 'static_shape', None)

    def gradient_operands(self):
        """For a recorded `K.gradients`: `(loss, targets)`, the symbolic tensors or variables
        it was called with (`targets` a list)."""
        def value(template):
            return self.symbolic_inputs[template.index] if isinstance(template, _Slot) \
                else template

        args, kwargs = self.args_template, self.kwargs_template
        loss = kwargs['loss'] if 'loss' in kwargs else args[0]
        targets = kwargs['variables'] if 'variables' in kwargs else args[1]
        targets = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        return value(loss), [value(t) for t in targets]

    def _has_shape_formula(self):
        # Probes carry no autograd graph, so gradients cannot be probed; their shapes are
        # those of the tensors they are taken with respect to.
        # A function with a `static_shape` rule gets its output shape from it: probes, whose
        # unknown sizes are drawn independently per tensor, cannot follow a rule such as
        # "axis 0 of the output is axis 0 of `a` times axis 1 of `b`".
        return self._is_gradients or self._static_shape is not None

    def _output_dtype(self, input_list):
        if self._static_shape is not None:
            return input_list[0].dtype  # shape rules are for ops that rearrange values
        return super(TensorOp, self)._output_dtype(input_list)

    def compute_output_shape(self, input_shape):
        if self._static_shape is not None:
            def shape_of(leaf):
                if isinstance(leaf, _Slot):
                    return self.symbolic_inputs[leaf.index]._keras_shape
                return leaf
            args = map_structure(shape_of, self.args_template)
            kwargs = map_structure(shape_of, self.kwargs_template)
            return tuple(self._static_shape(*args, **kwargs))
        if 'variables' in self.kwargs_template:
            variables = self.kwargs_template['variables']
        else:
            variables = self.args_template[1]

        def shape_of(leaf):
            if isinstance(leaf, _Slot):
                return self.symbolic_inputs[leaf.index]._keras_shape
            return tuple(K.int_shape(leaf))

        # K.gradients returns a list, also for a single variable (as Keras 2 does).
        self._single_output_as_list = True
        if isinstance(variables, (list, tuple)):
            return [shape_of(v) for v in variables]
        return [shape_of(variables)]

    def call(self, inputs):
        values = inputs if isinstance(inputs, list) else [inputs]

        def fill(leaf):
            if isinstance(leaf, _Slot):
                return values[leaf.index]
            if leaf is _PHASE:
                phase = K.learning_phase()
                return 0 if isinstance(phase, K.KerasTensor) else phase
            return leaf

        args = map_structure(fill, self.args_template)
        kwargs = map_structure(fill, self.kwargs_template)
        result = self.fn(*args, **kwargs)
        if isinstance(result, tuple):
            result = list(result)
        if isinstance(result, list) and len(result) == 1:
            if shape_inference.is_probing():
                # A one-element list stays a list for the caller (`K.gradients(l, [x])`)...
                self._single_output_as_list = True
            elif getattr(self, '_single_output_as_list', False):
                # ...while the plan stores a single output as a tensor.
                result = result[0]
        return result

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        raise ValueError('The op ' + self.name + ' records the backend function ' +
                                  getattr(self.fn, '__name__', '?') + ' applied to symbolic '
                                  'tensors; wrap it in a Lambda layer to save the model.')


def call_op(fn, *args):
    """`fn(*args)` on concrete tensors; recorded as an op of the graph when an argument is a
    symbolic tensor (give `fn` a `static_shape` attribute, a function of the arguments with
    each symbolic tensor replaced by its static shape, when probing cannot find the shape).
    """
    if any(isinstance(arg, K.KerasTensor) for arg in args):
        return record_op(fn, args, {})
    return fn(*args)


def record_op(fn, args, kwargs):
    """Records `fn(*args, **kwargs)` on symbolic tensors; returns the symbolic result."""
    op = TensorOp(fn, args, kwargs)
    if not op.symbolic_inputs:
        # Only the learning phase was symbolic: resolve it now (test phase outside runs).
        return op.call([])
    inputs = op.symbolic_inputs
    return op(inputs if len(inputs) > 1 else inputs[0])


class Function(object):
    """The callable that `K.function` returns.

    Each call runs the function's execution plan on the fed values, then assigns the update
    values; the engine may compile that run (`kernels.compile_function`: on JAX one jitted function
    per input signature and learning phase), so the plan's Python code (a `Lambda`'s function,
    say) may run only when it is traced.

    # Arguments
        inputs: symbolic inputs to feed (may include `K.learning_phase()`).
        outputs: symbolic outputs to compute.
        updates: `(variable, new_value)` pairs applied after each call.
    """

    def __init__(self, inputs, outputs, updates=None, name=None):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.returns_list = isinstance(outputs, (list, tuple))
        outputs = list(outputs) if self.returns_list else [outputs]
        self.phase_index = None
        self.feed = []
        for index, x in enumerate(inputs):
            if x is kernels.LEARNING_PHASE:
                self.phase_index = index
            else:
                self.feed.append((index, x))
        self.update_pairs = []
        for update in updates or []:
            if isinstance(update, (list, tuple)) and len(update) == 2:
                self.update_pairs.append(update)
        update_values = [value for _, value in self.update_pairs
                         if isinstance(value, K.KerasTensor)]
        self.num_outputs = len(outputs)
        self.plan = ExecutionPlan([x for _, x in self.feed], outputs + update_values)
        self.needs_grad = any(getattr(node.outbound_layer, 'fn', None) is not None and
                              getattr(node.outbound_layer.fn, '__name__', '') == 'gradients'
                              for node in self.plan.nodes)
        self._run = kernels.compile_function(self._execute, self._variables(),
                                             watch_inputs=self.needs_grad)

    def _variables(self):
        """The variables a call reads or assigns, as far as the graph shows them: the layers'
        weights, the recorded ops' arguments, what their functions close over (an optimizer's
        step reads its `lr`), the updates. A compiling engine finds any others (those a
        `Lambda` closes over) when it traces the call."""
        found = []
        seen = set()

        def add(leaf):
            if kernels.is_variable(leaf) and id(leaf) not in seen:
                seen.add(id(leaf))
                found.append(leaf)

        def add_closed_over(fn):
            for cell in getattr(fn, '__closure__', None) or ():
                try:
                    value = cell.cell_contents
                except ValueError:  # a cell not yet filled
                    continue
                map_structure(add, value)
                if not isinstance(value, (list, tuple, dict)) and hasattr(value, '__dict__'):
                    map_structure(add, list(vars(value).values()))

        for layer in self.plan.layers:
            for weight in layer.weights:
                add(weight)
            if isinstance(layer, TensorOp):
                map_structure(add, (layer.args_template, layer.kwargs_template))
                add_closed_over(layer.fn)
        map_structure(add, self.update_pairs)
        return found

    def _execute(self, values):
        """The outputs computed from the fed `values`, after the updates are assigned."""
        with run_context(call_losses=[]):
            results = self.plan.run(values)
        computed_updates = iter(results[self.num_outputs:])
        for variable, value in self.update_pairs:
            new_value = next(computed_updates) if isinstance(value, K.KerasTensor) else value
            K.update(variable, new_value)
        return results[:self.num_outputs]

    def __call__(self, inputs):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phase = 0
        if self.phase_index is not None:
            phase = int(kernels.to_numpy(inputs[self.phase_index]).item()) if not isinstance(
                inputs[self.phase_index], (int, bool)) else int(inputs[self.phase_index])
        values = [kernels.convert_to_tensor(inputs[index], dtype=x.dtype) for index, x in self.feed]
        grad_mode = kernels.enable_grad() if self.needs_grad else kernels.no_grad()
        with grad_mode, run_context(learning_phase=phase):
            results = self._run(values)
        return [kernels.to_numpy(r) for r in results]


def build_function(inputs, outputs, updates, kwargs):
    return Function(inputs, outputs, updates, name=kwargs.get('name'))


symbolic.set_op_recorder(record_op)
symbolic.set_function_builder(build_function)
