"""The parts of `benchmarks/peers.py`: the workloads, one worker per family of
implementations (hand-written PyTorch, hand-written JAX + optax, the Keras 2 API of cornu,
Keras 3 and tf-keras) and the results table.

Nothing here imports a framework at module level: the orchestrator needs only the standard
library, and each worker process loads only the framework it measures.
"""
