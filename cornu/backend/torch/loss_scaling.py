"""Dynamic loss scaling on PyTorch: unscaling gradients and a step that may be skipped.

See `cornu.optimizers.loss_scale` for the algorithm. Gradients are unscaled and checked in one
fused kernel (the one `torch.amp.GradScaler` uses); whether the step is applied is decided
on the host, one synchronisation per step, as `GradScaler` does.
"""
import torch

__all__ = ['unscale_and_check', 'apply_when']


def unscale_and_check(grads, scale):
    """The gradients divided by `scale`, and whether all of them are finite.

    # Arguments
        grads: list of gradient tensors (or `None`), unscaled in place.
        scale: the loss scale, a scalar tensor.

    # Returns
        `(grads, all_finite)`: the same list, and a boolean scalar tensor.
    """
    present = [g for g in grads if g is not None]
    device = present[0].device if present else scale.device
    found_inf = torch.zeros((), dtype=torch.float32, device=device)
    if present:
        inverse = scale.detach().double().reciprocal().float().to(device)
        by_dtype = {}
        for g in present:
            by_dtype.setdefault(g.dtype, []).append(g)
        for group in by_dtype.values():
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inverse)
    return grads, found_inf == 0


def apply_when(condition, update):
    """Runs `update()` (which assigns variables) only when `condition` holds.

    # Arguments
        condition: a boolean scalar tensor.
        update: a function of no arguments.
    """
    if bool(condition):
        update()
