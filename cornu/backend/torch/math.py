"""Tensor math on PyTorch: products, reductions, element-wise ops, reshaping, indexing."""
import torch

from .core import convert_to_tensor

__all__ = ['dot']


def dot(x, y):
    """Matrix product with Keras 2's rules for N-D tensors."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y)
    if x.dim() <= 2 and y.dim() <= 2:
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.dim() - 1], [max(y.dim() - 2, 0)]))
