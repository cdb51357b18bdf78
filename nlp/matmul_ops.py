"""thinc's NumPy ops with numpy's matrix product in place of blis's.

The textcat's CNN is mostly ``gemm``. thinc computes it with blis, whose kernels for
some CPUs run far below numpy's BLAS: on one two-core AMD EPYC host, 18.6 GFLOP/s
against numpy's 159 on the same float32 arrays, and 40% more messages/s for the whole
textcat pipeline, with the same findings and scores. Everything else stays thinc's.
"""

from __future__ import annotations

from typing import Any

import numpy
from thinc.api import NumpyOps


class MatmulOps(NumpyOps):  # type: ignore[misc]
    """NumpyOps whose ``gemm`` is ``numpy.matmul``."""

    name = "numpy"

    def gemm(
        self, x: Any, y: Any, out: Any = None, trans1: bool = False, trans2: bool = False
    ) -> Any:
        a = x.T if trans1 else x
        b = y.T if trans2 else y
        if out is None:
            return numpy.matmul(a, b)
        numpy.matmul(a, b, out=out)
        return out
