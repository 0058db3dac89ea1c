"""Optimizer updates on PyTorch: Keras 2 formulas as multi-tensor (`torch._foreach_*`) ops.

Each update function changes parameters and accumulators in place, one `_foreach` call per
element-wise step over all parameters at once. Hyperparameters arrive as Python numbers:
`scalar_value` reads a variable once and caches the number until the variable is written
again (tensors count in-place writes in `_version`), so a step never waits on the device to
read a learning rate. `cornu.optimizers` reaches these functions through `K` only.
"""
import numpy as np
import torch

__all__ = [
    'scalar_value', 'assign_scalar', 'advance_counter', 'forget_scalar', 'clip_gradients',
    'apply_constraints', 'sgd_update', 'rmsprop_update', 'adagrad_update', 'adadelta_update',
    'adam_update', 'adamax_update', 'nadam_update', 'is_native_optimizer', 'native_optimizer',
    'native_optimizer_step', 'native_optimizer_lr', 'dispatches_plainly', 'update_mode',
]

# `torch.overrides.has_torch_function`: whether any of a sequence's tensors (or an active
# torch function mode) asks for Python-level dispatch.
_has_torch_function = torch._C._has_torch_function

_AutoDispatchBelowAutograd = torch._C._AutoDispatchBelowAutograd

# The float types whose range holds Adadelta's ratio `(d + eps) / (a + eps)`.
_WIDE_FLOATS = (torch.float32, torch.float64)

_NUMPY_SCALARS = {torch.float16: np.float16, torch.float32: np.float32,
                  torch.float64: np.float64}


def scalar_value(variable):
    """The value of a one-element variable as a Python number, read from the device only
    when the variable was written since the last read.

    # Arguments
        variable: a variable holding one number (a learning rate, `iterations`, ...).

    # Returns
        A Python `float` (or `int` for integer variables).
    """
    version = variable._version
    cache = getattr(variable, '_cornu_scalar', None)
    if cache is not None and cache[0] == version:
        return cache[1]
    value = variable.item()
    variable._cornu_scalar = (version, value)
    return value


def forget_scalar(variable):
    """Drops the cached number of `variable`, e.g. after writing it through `.data`."""
    variable._cornu_scalar = None


def assign_scalar(variable, value):
    """Writes a Python number into a one-element variable, in place and without a device
    sync, and caches it.

    # Returns
        The number as the variable stores it (rounded to its dtype).
    """
    with torch.no_grad():
        variable.fill_(value)
    rounding = _NUMPY_SCALARS.get(variable.dtype)
    stored = float(rounding(value)) if rounding is not None else value
    variable._cornu_scalar = (variable._version, stored)
    return stored


def advance_counter(variable, count):
    """Adds one to an integer counter variable whose current value is `count`.

    # Returns
        `count + 1`, the new value (cached, so reading it back costs nothing).
    """
    count += 1
    if variable.is_floating_point():
        # (A float counter adds in its own precision.)
        with torch.no_grad():
            variable.add_(1)
    else:
        # The new value is known exactly on the host: writing it (`fill_`) costs ~40% fewer
        # instructions than the binary `add_` (an integer counter never requires gradients:
        # no `no_grad` to enter).
        variable.fill_(count)
    variable._cornu_scalar = (variable._version, count)
    return count


def dispatches_plainly(tensors):
    """Whether no tensor in `tensors` overrides `__torch_function__` (a variable, a
    `Parameter` and a plain tensor do not): ops on them then mean the same with torch's
    dispatch to tensor subclasses turned off (see `update_mode`).

    # Arguments
        tensors: a list of tensors (the weights a model trains), checked once.
    """
    return not _has_torch_function(tuple(tensors))


class update_mode(object):
    """The context of an optimizer update: no gradients recorded, and, where every tensor
    involved dispatches plainly, torch's search for `__torch_function__` on tensor
    subclasses turned off.

    Variables are a subclass of `Parameter` whose `__torch_function__` is disabled, yet
    torch still looks the attribute up (a Python attribute search) for every variable
    passed to every op: ~0.3 us each, so an update's few multi-tensor ops over every weight
    and accumulator pay for it many times over. Turning the search off changes no number.

    There too, the ops are dispatched below autograd: with gradients off, its kernels only
    pass each op on, once per tensor of a multi-tensor op (~15% of a small model's SGD
    update). In-place writes still count in the tensors' versions (the dispatch key that
    counts them stays), so autograd's checks of saved tensors and `scalar_value`'s cache
    see them.

    # Arguments
        plain: whether the variables updated dispatch plainly (`dispatches_plainly`, worked
            out once for the weights; accumulators are variables).
        grads: the gradients of this step (plain tensors from autograd, checked anyway).
    """

    __slots__ = ('_plain', '_previous', '_dispatch', '_below_autograd')

    def __init__(self, plain, grads):
        # A gradient that is a tensor subclass with its own `__torch_function__` keeps it.
        self._plain = plain and not _has_torch_function(grads)

    def __enter__(self):
        self._previous = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        if self._plain:
            self._dispatch = torch._C.DisableTorchFunctionSubclass()
            self._dispatch.__enter__()
            # (A guard object: its dispatch keys stay excluded until it is released.)
            self._below_autograd = _AutoDispatchBelowAutograd()

    def __exit__(self, *exc):
        if self._plain:
            self._below_autograd = None
            self._dispatch.__exit__(*exc)
        torch._C._set_grad_enabled(self._previous)
        return False


def clip_gradients(grads, clipnorm=0., clipvalue=0.):
    """Clips gradients as Keras 2 optimizers do, in place.

    With `clipnorm > 0`, all gradients are scaled by `clipnorm / norm` when their global L2
    norm `norm` reaches `clipnorm`; then, with `clipvalue > 0`, every entry is clipped to
    `[-clipvalue, clipvalue]`. The scale stays on the device (no sync).

    # Arguments
        grads: list of gradient tensors (modified in place).

    # Returns
        `grads`.
    """
    if not grads:
        return grads
    if clipnorm and clipnorm > 0:
        norms = torch._foreach_norm(grads)
        total = torch.linalg.vector_norm(torch.stack([n.float() for n in norms]))
        # Scale c / n when n >= c, else 1: min(1, c / n) for n > 0, and 1 for n == 0.
        scale = torch.clamp(clipnorm / total, max=1.0)
        torch._foreach_mul_(grads, scale)
    if clipvalue and clipvalue > 0:
        torch._foreach_clamp_min_(grads, -clipvalue)
        torch._foreach_clamp_max_(grads, clipvalue)
    return grads


def apply_constraints(params):
    """Replaces each parameter `p` by `p.constraint(p)`, in place.

    # Arguments
        params: variables whose `constraint` is not `None`.
    """
    with torch.no_grad():
        for p in params:
            p.copy_(p.constraint(p))


def sgd_update(params, grads, moments, lr, momentum, nesterov):
    """Keras 2 SGD: `v = momentum * m - lr * g`; `p += v` (Nesterov:
    `p += momentum * v - lr * g`); `m = v`."""
    if momentum == 0:
        # `0 * m` is zero (for a finite m): zeroing is a third of the cost of multiplying.
        torch._foreach_zero_(moments)
    else:
        torch._foreach_mul_(moments, momentum)
    torch._foreach_add_(moments, grads, alpha=-lr)
    if nesterov:
        torch._foreach_add_(params, moments, alpha=momentum)
        torch._foreach_add_(params, grads, alpha=-lr)
    else:
        torch._foreach_add_(params, moments)


def rmsprop_update(params, grads, accumulators, lr, rho, epsilon):
    """Keras 2 RMSprop: `a = rho * a + (1 - rho) * g^2`; `p -= lr * g / (sqrt(a) + eps)`."""
    torch._foreach_mul_(accumulators, rho)
    torch._foreach_addcmul_(accumulators, grads, grads, value=1. - rho)
    denominators = torch._foreach_sqrt(accumulators)
    torch._foreach_add_(denominators, epsilon)
    torch._foreach_addcdiv_(params, grads, denominators, value=-lr)


def adagrad_update(params, grads, accumulators, lr, epsilon):
    """Keras 2 Adagrad: `a += g^2`; `p -= lr * g / (sqrt(a) + eps)`."""
    torch._foreach_addcmul_(accumulators, grads, grads)
    denominators = torch._foreach_sqrt(accumulators)
    torch._foreach_add_(denominators, epsilon)
    torch._foreach_addcdiv_(params, grads, denominators, value=-lr)


def adadelta_update(params, grads, accumulators, delta_accumulators, lr, rho, epsilon):
    """Keras 2 Adadelta: `a = rho * a + (1 - rho) * g^2`;
    `u = g * sqrt(d + eps) / sqrt(a + eps)` (old `d`); `p -= lr * u`;
    `d = rho * d + (1 - rho) * u^2`.

    In float32 and float64 the ratio of square roots is taken as one square root of the
    ratio, `sqrt((d + eps) / (a + eps))`: equal up to rounding (an ulp or so), and one pass
    over the weights fewer, the costlier one (a square root costs several multiplies). The
    ratio stays a normal number unless a gradient passes ~1e16 (float32). Half-precision
    accumulators, whose range the ratio could leave, keep the two square roots.
    """
    torch._foreach_mul_(accumulators, rho)
    torch._foreach_addcmul_(accumulators, grads, grads, value=1. - rho)
    steps = torch._foreach_add(delta_accumulators, epsilon)
    denominators = torch._foreach_add(accumulators, epsilon)
    if all(a.dtype in _WIDE_FLOATS for a in accumulators):
        torch._foreach_div_(steps, denominators)
        torch._foreach_sqrt_(steps)
    else:
        torch._foreach_sqrt_(steps)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(steps, denominators)
    torch._foreach_mul_(steps, grads)
    torch._foreach_add_(params, steps, alpha=-lr)
    torch._foreach_mul_(delta_accumulators, rho)
    torch._foreach_addcmul_(delta_accumulators, steps, steps, value=1. - rho)


def adam_update(params, grads, ms, vs, vhats, lr_t, beta_1, beta_2, epsilon, amsgrad):
    """Keras 2 Adam: `m = b1 * m + (1 - b1) * g`; `v = b2 * v + (1 - b2) * g^2`;
    `p -= lr_t * m / (sqrt(v) + eps)`, with `vhat = max(vhat, v)` in place of `v` for AMSGrad.

    # Arguments
        lr_t: the bias-corrected rate `lr * sqrt(1 - b2^t) / (1 - b1^t)`.
        vhats: AMSGrad maxima (ignored unless `amsgrad`).
    """
    if _fused_adam_applies(params, grads, ms, vs, vhats if amsgrad else (), lr_t):
        # torch's fused Adam: one pass over each parameter and its accumulators, where the
        # multi-tensor ops below make six (measured 0.85 against 2.8 ms a step for the 2.6
        # million weights of Keras 2's imdb_lstm model). Its own bias correction,
        # `(1 - b^step)`, is 1 at an infinite step: the rate is `lr_t` and `eps` is added to
        # `sqrt(v)`, Keras' formula.
        # (The kernel reads every tensor as laid out contiguously: a gradient with other
        # strides, say a convolution's, is copied.)
        grads = [g if g.is_contiguous() else g.contiguous() for g in grads]
        torch._fused_adam_(params, grads, ms, vs, vhats if amsgrad else [],
                           _uncorrected_steps(len(params)), lr=lr_t, beta1=beta_1,
                           beta2=beta_2, weight_decay=0., eps=epsilon, amsgrad=amsgrad,
                           maximize=False)
        return
    torch._foreach_mul_(ms, beta_1)
    torch._foreach_add_(ms, grads, alpha=1. - beta_1)
    torch._foreach_mul_(vs, beta_2)
    torch._foreach_addcmul_(vs, grads, grads, value=1. - beta_2)
    if amsgrad:
        torch._foreach_maximum_(vhats, vs)
        denominators = torch._foreach_sqrt(vhats)
    else:
        denominators = torch._foreach_sqrt(vs)
    torch._foreach_add_(denominators, epsilon)
    torch._foreach_addcdiv_(params, ms, denominators, value=-lr_t)


def _fused_adam_applies(params, grads, ms, vs, vhats, lr_t):
    """Whether torch's fused Adam runs this update: on the CPU, float32 or float64 dense
    parameters with gradients of their own dtype, parameters and accumulators contiguous
    (the kernel updates them in place as laid out contiguously), a Python number for the
    rate."""
    if not _FUSED_ADAM or not isinstance(lr_t, (int, float)):
        return False
    for param, grad in zip(params, grads):
        if (param.device.type != 'cpu' or param.dtype not in _WIDE_FLOATS or
                grad.dtype != param.dtype or param.is_sparse or grad.is_sparse or
                grad.device.type != 'cpu'):
            return False
    for group in (params, ms, vs, vhats):
        for tensor in group:
            if not tensor.is_contiguous():
                return False
    return True


_FUSED_ADAM = hasattr(torch, '_fused_adam_')
_uncorrected_step_lists = {}


def _uncorrected_steps(count):
    """`count` step counters (the fused Adam's, one per parameter) at infinity, where its
    bias corrections `1 - b^step` are 1."""
    steps = _uncorrected_step_lists.get(count)
    if steps is None:
        steps = _uncorrected_step_lists[count] = [torch.tensor(float('inf'), device='cpu')
                                                  for _ in range(count)]
    return steps


def adamax_update(params, grads, ms, us, lr_t, beta_1, beta_2, epsilon):
    """Keras 2 Adamax: `m = b1 * m + (1 - b1) * g`; `u = max(b2 * u, |g|)`;
    `p -= lr_t * m / (u + eps)` with `lr_t = lr / (1 - b1^t)`."""
    torch._foreach_mul_(ms, beta_1)
    torch._foreach_add_(ms, grads, alpha=1. - beta_1)
    torch._foreach_mul_(us, beta_2)
    torch._foreach_maximum_(us, torch._foreach_abs(grads))
    denominators = torch._foreach_add(us, epsilon)
    torch._foreach_addcdiv_(params, ms, denominators, value=-lr_t)


def nadam_update(params, grads, ms, vs, lr, beta_1, beta_2, epsilon, gradient_scale,
                 moment_scale, v_scale):
    """Keras 2 Nadam, given its per-step scalars.

    `m = b1 * m + (1 - b1) * g`; `v = b2 * v + (1 - b2) * g^2`;
    `m_bar = gradient_scale * g + moment_scale * m`; `p -= lr * m_bar / (sqrt(v * v_scale) + eps)`.

    # Arguments
        gradient_scale: `(1 - mu_t) / (1 - m_schedule_new)`.
        moment_scale: `mu_{t+1} / (1 - m_schedule_next)`.
        v_scale: `1 / (1 - b2^t)`.
    """
    torch._foreach_mul_(ms, beta_1)
    torch._foreach_add_(ms, grads, alpha=1. - beta_1)
    torch._foreach_mul_(vs, beta_2)
    torch._foreach_addcmul_(vs, grads, grads, value=1. - beta_2)
    directions = torch._foreach_mul(ms, moment_scale)
    torch._foreach_add_(directions, grads, alpha=gradient_scale)
    denominators = torch._foreach_mul(vs, v_scale)
    torch._foreach_sqrt_(denominators)
    torch._foreach_add_(denominators, epsilon)
    torch._foreach_addcdiv_(params, directions, denominators, value=-lr)


# ---------------------------------------------------------------- torch.optim interop

def is_native_optimizer(obj):
    """Whether `obj` is a `torch.optim.Optimizer` instance or subclass."""
    if isinstance(obj, torch.optim.Optimizer):
        return True
    return isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer)


def native_optimizer(optimizer, params):
    """Makes the `torch.optim` optimizer that updates `params`.

    # Arguments
        optimizer: a `torch.optim.Optimizer` subclass (built with its default arguments), a
            callable taking the list of parameters and returning an optimizer (e.g.
            `lambda params: torch.optim.SGD(params, lr=0.1)`), or an optimizer instance
            already holding the parameters.
        params: the variables to train.

    # Raises
        TypeError: when `optimizer` gives no `torch.optim.Optimizer`.
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        native = optimizer
    else:
        native = optimizer(list(params))
    if not isinstance(native, torch.optim.Optimizer):
        raise TypeError('TorchOptimizer expects a torch.optim.Optimizer, a subclass of it, or a '
                        'function of the parameter list returning one; got %r, which returned '
                        '%r.' % (optimizer, native))
    return native


def native_optimizer_lr(native):
    """The learning rate of the first parameter group of a `torch.optim` optimizer, or
    `None` when it has none."""
    lr = native.param_groups[0].get('lr') if native.param_groups else None
    if isinstance(lr, torch.Tensor):
        lr = lr.item()
    return lr


def native_optimizer_step(native, params, grads, lr_variable=None):
    """Runs one `step()` of a `torch.optim` optimizer with the given gradients.

    # Arguments
        native: the `torch.optim.Optimizer`.
        params, grads: parameters and their gradients (`None`: not updated).
        lr_variable: optional variable; when it was written since the last step (e.g. by
            `K.set_value`), its value becomes every parameter group's `lr`.
    """
    if lr_variable is not None:
        cache = getattr(lr_variable, '_cornu_scalar', None)
        if cache is None or cache[0] != lr_variable._version:
            lr = scalar_value(lr_variable)
            for group in native.param_groups:
                if isinstance(group.get('lr'), torch.Tensor):
                    group['lr'].fill_(lr)
                else:
                    group['lr'] = lr
    for p, g in zip(params, grads):
        if p.grad is not g:
            p.grad = g
    native.step()
