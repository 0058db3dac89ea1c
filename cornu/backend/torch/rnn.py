"""Loops over time and sequences on PyTorch: rnn, map_fn, foldl, foldr, ctc."""
import torch

__all__ = []
