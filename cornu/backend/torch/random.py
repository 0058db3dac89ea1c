"""Random tensors on PyTorch, seeded per call when a seed is given."""
import torch

__all__ = []
