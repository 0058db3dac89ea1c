"""Utilities related to model visualization: `model_to_dot` and `plot_model` (Keras 2.2.4).

A model is drawn as a Graphviz graph, one record-shaped node per layer of the model (nested
models and wrapped layers are one node each) and one edge per connection between layers, built
with `pydot` and rendered by Graphviz's `dot` program. Both are optional dependencies
(`pip install cornu[viz]` and a Graphviz installation); they are looked for only when a model
is drawn, so `import cornu` does not pay for them.
"""
import os

# The `pydot` module in use; `None` until a model is drawn. As in Keras 2, code may assign a
# compatible module here (`vis_utils.pydot = pydot_ng`) to choose it.
pydot = None

_PYDOT_MODULES = ('pydot', 'pydot_ng', 'pydotplus')

_MISSING_MESSAGE = ('Failed to import pydot. You must install pydot and graphviz for '
                    '`pydotprint` to work.')


def _import_pydot():
    """Finds a `pydot`-compatible module: `pydot`, else its forks `pydot_ng`, `pydotplus`."""
    global pydot
    if pydot is None:
        import importlib
        for name in _PYDOT_MODULES:
            try:
                pydot = importlib.import_module(name)
                break
            except ImportError:
                continue
    return pydot


def _check_pydot():
    """Makes sure that pydot can be imported and can run Graphviz.

    # Raises
        ImportError: if no pydot module is installed, or Graphviz's `dot` cannot be run.
    """
    if _import_pydot() is None:
        raise ImportError(_MISSING_MESSAGE)
    try:
        # Rendering an empty graph runs `dot` once: this is what tells whether Graphviz is
        # installed and on the PATH.
        pydot.Dot.create(pydot.Dot())
    except Exception as error:
        # pydot reports a missing or failing `dot` with errors of various classes.
        raise ImportError(_MISSING_MESSAGE) from error


def _layer_label(layer, show_shapes, show_layer_names):
    """The record label of a layer's node."""
    from ..layers.wrappers import Wrapper

    layer_name = layer.name
    class_name = layer.__class__.__name__
    if isinstance(layer, Wrapper):
        layer_name = '{}({})'.format(layer_name, layer.layer.name)
        class_name = '{}({})'.format(class_name, layer.layer.__class__.__name__)
    label = '{}: {}'.format(layer_name, class_name) if show_layer_names else class_name
    if not show_shapes:
        return label
    try:
        output_labels = str(layer.output_shape)
    except AttributeError:
        output_labels = 'multiple'
    if hasattr(layer, 'input_shape'):
        input_labels = str(layer.input_shape)
    elif hasattr(layer, 'input_shapes'):
        input_labels = ', '.join(str(shape) for shape in layer.input_shapes)
    else:
        input_labels = 'multiple'
    return '%s\n|{input:|output:}|{{%s}|{%s}}' % (label, input_labels, output_labels)


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir='TB'):
    """Converts a Keras model to dot format.

    # Arguments
        model: A Keras model instance.
        show_shapes: whether to display shape information.
        show_layer_names: whether to display layer names.
        rankdir: `rankdir` argument passed to PyDot,
            a string specifying the format of the plot:
            'TB' creates a vertical plot;
            'LR' creates a horizontal plot.

    # Returns
        A `pydot.Dot` instance representing the Keras model.

    # Raises
        ImportError: if pydot or Graphviz is not available.
    """
    from ..models import Sequential

    _check_pydot()
    dot = pydot.Dot()
    dot.set('rankdir', rankdir)
    dot.set('concentrate', True)
    dot.set_node_defaults(shape='record')

    if isinstance(model, Sequential) and not model.built:
        model.build()
    # `_layers` rather than `layers`: a Sequential model's `layers` leaves out its InputLayer,
    # which would then be drawn as a bare node named by a number (Keras 2.2.4's issue #11376,
    # fixed in later Keras releases).
    layers = model._layers

    for layer in layers:
        dot.add_node(pydot.Node(str(id(layer)),
                                label=_layer_label(layer, show_shapes, show_layer_names)))

    network_nodes = getattr(model, '_network_nodes', set())
    for layer in layers:
        layer_id = str(id(layer))
        for node_index, node in enumerate(layer._inbound_nodes):
            if layer.name + '_ib-' + str(node_index) not in network_nodes:
                continue
            for inbound_layer in node.inbound_layers:
                dot.add_edge(pydot.Edge(str(id(inbound_layer)), layer_id))
    return dot


def plot_model(model, to_file='model.png', show_shapes=False, show_layer_names=True,
               rankdir='TB'):
    """Converts a Keras model to dot format and save to a file.

    The file format follows the file name's extension (`png`, `svg`, `pdf`, `dot`, ... any
    format Graphviz writes); without an extension, PNG.

    # Arguments
        model: A Keras model instance
        to_file: File name of the plot image.
        show_shapes: whether to display shape information.
        show_layer_names: whether to display layer names.
        rankdir: `rankdir` argument passed to PyDot,
            a string specifying the format of the plot:
            'TB' creates a vertical plot;
            'LR' creates a horizontal plot.

    # Raises
        ImportError: if pydot or Graphviz is not available.
    """
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir)
    _, extension = os.path.splitext(to_file)
    extension = extension[1:] if extension else 'png'
    dot.write(to_file, format=extension)
