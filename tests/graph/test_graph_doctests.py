"""The examples in graph's docstrings are run as tests, so the documentation stays true."""

import doctest
import importlib

import pytest

MODULES = ["graph.build", "graph.coverage", "graph.gaps", "graph.supply", "graph.targets", "graph.candidates",
           "graph.measures", "graph.report", "graph.synthetic", "graph.vocabulary", "xijin.report_text"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
