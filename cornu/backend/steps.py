"""The engine's side of the training step, for `cornu.engine.trainer` (not part of `K`).

The training, test and predict steps are written once, in the engine; the engine in use
supplies the few things that differ (see `cornu/backend/<engine>/steps.py`, which both have
with the same names): how gradients are taken, how a step function is run (eagerly or under
`torch.inference_mode` on PyTorch, as a jitted `TracedStep` on JAX), and how a batch's rows
are picked and where arrays are placed.
"""
from .engine_choice import engine_module

_engine = engine_module('steps')

prepare_trainable = _engine.prepare_trainable
value_and_grad = _engine.value_and_grad
known_gradients = _engine.known_gradients
compile_step = _engine.compile_step
placement = _engine.placement
hold = _engine.hold
place = _engine.place
place_arrays = _engine.place_arrays
row_order = _engine.row_order
batch_rows = _engine.batch_rows
feed = _engine.feed
take_rows = _engine.take_rows
trim = _engine.trim
to_host = _engine.to_host
