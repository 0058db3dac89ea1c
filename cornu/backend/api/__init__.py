"""`K`'s functions written once, engine-neutral: signature, Keras-style docstring and the checks
that need only the arguments (through `arguments.py` and `conv_arithmetic.py`).

Each module here mirrors an engine module of the same name and binds it once, at import; a
function checks its arguments and calls the engine's function of the same name, which holds
no docstring beyond a line and no argument checks. A function that records a graph op on
symbolic inputs carries the `graph_op` marker here, where `K` sees it. The exceptions are in
`core`: the names that need no engine function of their own, written there whole or
re-exported from `engine_neutral.py`.
"""
