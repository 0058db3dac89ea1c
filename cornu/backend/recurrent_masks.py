"""Keras 2's recurrent dropout as the engines' recurrence kernels take it: the same on every
engine, on the engines' own tensors (only their shapes, indexing and products are used).

Keras 2 draws one mask per gate (`implementation=1`) or uses the first for all of them
(`implementation=2`), the same at every step of a sequence.
"""

__all__ = ['check_recurrent_masks', 'gru_state_operands']


def check_recurrent_masks(masks, state, counts):
    """Raises `ValueError` unless `masks` (a list) holds one of `counts` masks, each shaped
    like `state`."""
    shape = tuple(state.shape)
    if len(masks) not in counts or any(tuple(m.shape) != shape for m in masks):
        raise ValueError('recurrent_masks must be a list of %s masks shaped like the state '
                         '%s, got shapes %s.' % (' or '.join(str(c) for c in counts), shape,
                                                 [tuple(m.shape) for m in masks]))


def gru_state_operands(h, rec_masks):
    """What a GRU step (`reset_after=False`) takes in place of the previous state `h`:
    `(for the update gate's product, for the reset gate's, for the candidate's, for the new
    state's mix)`. `rec_masks`: `None`, or the masks stacked, three (one per product; the mix
    takes `h` itself) or one (Keras 2.2.4's implementation 2 masks the state itself, so the
    masked state stands for `h` everywhere)."""
    if rec_masks is None:
        return h, h, h, h
    if rec_masks.shape[0] == 1:
        masked = h * rec_masks[0]
        return masked, masked, masked, masked
    return h * rec_masks[0], h * rec_masks[1], h * rec_masks[2], h
