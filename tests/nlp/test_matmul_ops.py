"""The textcat's layers compute gemm with numpy's matmul (nlp.matmul_ops): the same
products as thinc's blis, on every transposition, with or without ``out``."""

from __future__ import annotations

import numpy
import pytest
from thinc.api import NumpyOps

from nlp.matmul_ops import MatmulOps


@pytest.mark.parametrize("trans1", [False, True])
@pytest.mark.parametrize("trans2", [False, True])
def test_gemm_is_blis_gemm(trans1: bool, trans2: bool) -> None:
    rng = numpy.random.default_rng(7)
    x = rng.standard_normal((5, 4) if trans1 else (4, 5), dtype=numpy.float32)
    y = rng.standard_normal((3, 5) if trans2 else (5, 3), dtype=numpy.float32)
    want = NumpyOps().gemm(x, y, trans1=trans1, trans2=trans2)
    got = MatmulOps().gemm(x, y, trans1=trans1, trans2=trans2)
    assert got.dtype == numpy.float32 and got.shape == (4, 3)
    numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    out = numpy.zeros((4, 3), dtype=numpy.float32)
    assert MatmulOps().gemm(x, y, out=out, trans1=trans1, trans2=trans2) is out
    numpy.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_the_textcat_layers_use_it() -> None:
    from nlp.pipeline import load_pipeline

    textcat = load_pipeline("rules").nlp.get_pipe("followup_findings").textcat_nlp
    assert textcat is not None
    nodes = [node for _, proc in textcat.pipeline for node in proc.model.walk()]
    # The dense layers (the CNN's maxouts, the output layers): the bag of words'
    # sparse layers compute no gemm and keep the ops thinc gave them.
    dense = [n for n in nodes if "maxout" in n.name or n.name in ("linear", "softmax")]
    assert dense and all(isinstance(n.ops, MatmulOps) for n in dense)
    assert all(isinstance(n.ops, MatmulOps) for n in textcat.get_pipe("tok2vec").model.walk())
    # Loading it left thinc's own ops current for everything else.
    from thinc.api import get_current_ops

    assert not isinstance(get_current_ops(), MatmulOps)
