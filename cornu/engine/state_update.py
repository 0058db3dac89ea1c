"""`StateUpdate`: what `layer.updates` lists for a state change a layer makes as it runs."""


class StateUpdate(object):
    """Stands for one assignment a layer makes to one of its variables each time a call of
    the layer runs: the moving statistics of `BatchNormalization` (in the training phase,
    never for a frozen layer or model), the states a stateful RNN keeps for the next batch.

    Keras 2 listed such assignments as update ops that its training (and, for the states
    of stateful layers, predict) function ran. In cornu the layer assigns the variable
    itself as it runs, so an entry here is a record, not work to do: training applies each
    update once per run of the call it belongs to, where Keras 2 ran the op, and
    `K.function(..., updates=model.updates)` accepts the entries and runs nothing more for
    them.

    # Arguments
        variable: the variable assigned.
        layer: the layer that assigns it.
        rule: how the new value is computed, in words (e.g. `'moving average'`).
        inputs: the symbolic input tensors of the call the update belongs to (a list), or
            `None` for an update that does not depend on a call.

    # Properties
        variable, layer, rule, inputs: as given.
    """

    __slots__ = ('variable', 'layer', 'rule', 'inputs')

    def __init__(self, variable, layer, rule, inputs=None):
        self.variable = variable
        self.layer = layer
        self.rule = rule
        self.inputs = inputs

    def for_inputs(self, inputs):
        """The same update, made by a call on other inputs (a model called on new tensors
        runs its layers again, and so updates the variable once more).

        # Arguments
            inputs: the symbolic input tensors of that call (a list).

        # Returns
            A new `StateUpdate`.
        """
        return StateUpdate(self.variable, self.layer, self.rule, inputs)

    def __repr__(self):
        return '<StateUpdate %s of %s by layer %s>' % (
            self.rule, getattr(self.variable, 'name', self.variable), self.layer.name)
