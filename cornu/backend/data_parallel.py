"""The engine's side of `cornu.distribute.DataParallel` (not part of `K`): which devices a
distribution spans and how a multi-process run starts (see
`cornu/backend/<engine>/data_parallel.py`, which both have with the same names).
"""
from .engine_choice import engine_module

_engine = engine_module('data_parallel')

resolve_devices = _engine.resolve_devices
start_processes = _engine.start_processes
process_count = _engine.process_count
