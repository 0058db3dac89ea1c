"""Device placement for data-parallel replicas (`multi_gpu_model`) on JAX.

Internal (`cornu.backend.kernels` re-exports it); same names as
`cornu.backend.torch.placement`.

On jax the replicas of `multi_gpu_model` are not placed op by op: XLA does not mix arrays
committed to several devices in one op. The trainer runs the whole step on a mesh of the
replicas' devices instead, the batch split over them (`tracing.replica_mesh`), so these
functions change nothing.
"""
import jax

__all__ = ['gpu_count', 'to_device', 'replica_placement']


def gpu_count():
    """Returns the number of GPUs jax sees (0 without a GPU jaxlib)."""
    try:
        return len(jax.devices('gpu'))
    except RuntimeError:
        return 0


def to_device(x, device):
    """Returns `x`: XLA places jax replicas' work (see the note above)."""
    return x


class _SameDevice:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def replica_placement(home=None):
    """A context for data-parallel replicas; on jax XLA places their work (see the note
    above), so it changes nothing.

    # Returns
        A context manager.
    """
    return _SameDevice()
