"""`cornu.legacy`: Keras 2.2.4's `keras.legacy` package, for code written against Keras 1 or
early Keras 2.

- `interfaces`: the decorators that turn Keras 1 arguments into Keras 2 ones (with a warning
  that shows the Keras 2 call to write), and `generate_legacy_interface` to make more.
- `layers`: `MaxoutDense`, `Highway`, and the abstract bases `Recurrent` and
  `ConvRecurrent2D` (also importable from `cornu.layers`, as in Keras 2.2.4).

The submodules are imported when named (`from cornu.legacy import interfaces`): `cornu.layers`
imports `legacy.layers`, and `legacy.interfaces` gathers decorators from `cornu.layers`.
"""
