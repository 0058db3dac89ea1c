"""The JAX engine: the same modules and public names as `cornu.backend.torch`."""
