"""A drawn digit is framed like the training digits before it is encoded."""

import numpy as np
import pytest

from ae_core.images import drawing_for_model


def test_a_small_stroke_in_a_corner_is_centred_and_fills_the_frame():
    drawing = np.zeros((28, 28), np.float32)
    drawing[2:8, 3] = 1.0  # a short "1" in the top-left corner
    x = drawing_for_model(drawing, (1, 8, 8))
    assert x.shape == (1, 1, 8, 8)
    ink_rows = np.flatnonzero(x[0, 0].max(axis=1) > 0.2)
    assert ink_rows.min() >= 1 and ink_rows.max() <= 6  # centred with a margin, spanning most of the height
    assert ink_rows.max() - ink_rows.min() >= 4


def test_an_empty_drawing_and_a_table_model_are_refused():
    with pytest.raises(ValueError, match="the drawing is empty"):
        drawing_for_model(np.zeros((28, 28)), (1, 8, 8))
    with pytest.raises(ValueError, match="table rows of 20 numbers"):
        drawing_for_model(np.ones((28, 28)), (20,))
