"""The JAX engine: the same modules and public names as `cornu.backend.torch`."""
import numpy as np

# Importing jax draws from NumPy's global generator (a retry schedule made at import), which
# would move every later draw of a script that called `np.random.seed(...)` first: initial
# weights would then differ from PyTorch's for the same seed. The generator is put back.
_numpy_state = np.random.get_state()
import jax  # noqa: E402,F401 (imported here, once, for the generator's sake)
np.random.set_state(_numpy_state)
del _numpy_state
