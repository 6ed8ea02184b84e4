"""Every `>>>` example in the package's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import tfdeblur


def _modules_with_examples():
    names = []
    for info in pkgutil.walk_packages(tfdeblur.__path__, "tfdeblur."):
        spec = importlib.util.find_spec(info.name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, encoding="utf-8") as source:
            if ">>> " in source.read():
                names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found():
    assert len(MODULES) >= 40  # the layers, solvers and physics all carry examples


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
