"""Neural-network ops on PyTorch: activations, losses, dropout, convolution, pooling, normalization."""
import torch
import torch.nn.functional as F

__all__ = ['bias_add', 'relu', 'softmax', 'sigmoid', 'tanh']


def bias_add(x, bias, data_format=None):
    """Adds a bias vector to the channels axis of `x`."""
    if data_format == 'channels_first' and x.dim() > 2:
        return x + bias.reshape((1, -1) + (1,) * (x.dim() - 2))
    return x + bias


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)
    raise NotImplementedError


def softmax(x, axis=-1):
    return torch.softmax(x, dim=axis)


def sigmoid(x):
    return torch.sigmoid(x)


def tanh(x):
    return torch.tanh(x)
