"""The PyTorch engine: the same file and function names as `cornu.backend.jax`."""
