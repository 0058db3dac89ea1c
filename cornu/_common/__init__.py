"""Plain-Python pieces every part of cornu uses, below everything but the backend.

`serialization` (configs, custom objects, the layer and model registry), `generic_utils`,
`conv_utils`, `io_utils`, `layer_utils` and `enqueuers`. The public names are those of
`cornu.utils` and its modules, which re-export these with Keras 2.2.4's names; they live here
because `cornu.utils` itself imports `multi_gpu_model` and `plot_model`, which build on the
layers, while the engine and the layers need these helpers.
"""
