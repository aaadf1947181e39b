"""A sparse matrix whose rows are served dense one batch at a time, missing entries NaN.

A ratings matrix (items x users) is mostly missing: MovieLens 1M fills 4% of its 22 million
cells. Kept as its ratings (scipy's CSR) it costs memory by the ratings, not by users x items;
``ae_core.train.loop.fit`` cuts batches from it as it would from a dense array.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse


class SparseRows:
    """Rows ``rows``, columns ``columns`` hold ``values``; every other cell is missing (NaN).

    Indexing with row indices or a slice gives those rows as a dense float32 tensor; a stored
    value of 0 stays 0. Of repeated (row, column) pairs the last value counts, as when a dense
    array is assigned.

    Parameters
    ----------
    rows, columns : array-like of int
        The cells' coordinates, one per value.
    values : array-like of float
        Stored as float32.
    shape : tuple of int
        (rows, columns) of the whole matrix.
    """

    device = torch.device("cpu")

    def __init__(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int]):
        cells = np.asarray(rows, np.int64) * shape[1] + np.asarray(columns, np.int64)
        unique, last = np.unique(cells[::-1], return_index=True)  # sorted cells: CSR order
        kept = np.asarray(values, np.float32)[::-1][last]
        indptr = np.searchsorted(unique // shape[1], np.arange(shape[0] + 1)).astype(np.int64)
        self.matrix = sparse.csr_array((kept, (unique % shape[1]).astype(np.int32), indptr), shape=shape)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.matrix.shape

    @property
    def nnz(self) -> int:
        """The number of stored (non-missing) cells."""
        return self.matrix.nnz

    @property
    def nbytes(self) -> int:
        """Memory held by the CSR arrays (values, column indices, row pointers), in bytes."""
        matrix = self.matrix
        return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> torch.Tensor:
        if torch.is_tensor(index):
            index = index.cpu().numpy()
        block = self.matrix[index] if isinstance(index, slice) else self.matrix[np.asarray(index, np.int64)]
        out = np.full(block.shape, np.nan, np.float32)
        out[np.repeat(np.arange(block.shape[0]), np.diff(block.indptr)), block.indices] = block.data
        return torch.from_numpy(out)

    def to(self, device) -> SparseRows:
        """Itself: its batches are moved to ``device`` one at a time, as they are cut.

        Parameters
        ----------
        device : torch.device or str
            Unused here.

        Returns
        -------
        SparseRows
            ``self``.
        """
        return self

    def float(self) -> SparseRows:
        """Itself: its values are float32 already (stands in for ``Tensor.float``)."""
        return self
