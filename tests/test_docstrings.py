"""numpydoc's validator over every public class, function and method.

The public API is what the documentation's API reference lists: the
``__all__`` of each module in ``API_MODULES`` of ``docs/conf.py`` (one list for
both, so a module added to the reference is validated too). Methods are those a
public class defines itself (not those inherited from scikit-learn or skorch,
whose docstrings are theirs). Errors that are ignored are listed below, each
with its reason; every other error fails the test with the docstring shown.
"""

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

numpydoc_validation = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parent.parent

# code -> reason, ignored everywhere
IGNORED_CODES = {
    "GL01": "the summary starts on the line of the opening quotes (house style; PEP 257 "
            "allows both)",
    "GL02": "as GL01: short docstrings close on the summary's line",
    "RT02": "a Returns entry may name the returned object (``self : MMRestRegressor``) as "
            "scikit-learn does",
    "ES01": "an extended summary is asked of classes only (below); a short function says all "
            "in its summary",
}
# code -> reason, ignored for methods and functions (asked of every public class)
CLASS_ONLY_CODES = {
    "ES01": "methods and functions: the summary is enough, the class docstring explains",
    "SA01": "methods and functions: See Also is asked of the classes (estimators) only, as in "
            "scikit-learn's test_docstrings.py",
    "EX01": "methods and functions: the Examples of the class show them (doctested); "
            "scikit-learn asks Examples of classes only",
}
# "import.path" -> reason, for single objects that cannot pass
_ALIAS = ("deprecated alias kept for one release; its docstring is the deprecation notice and "
          "the class is documented under its new name, {new}")
IGNORED_NAMES = {
    "mmsense.model_selection.LabelledStratifiedKFold":
        _ALIAS.format(new="LabeledStratifiedKFold"),
    "mmsense.model_selection.RepeatedLabelledStratifiedKFold":
        _ALIAS.format(new="RepeatedLabeledStratifiedKFold"),
}


def api_modules():
    """``API_MODULES`` of docs/conf.py, read without running that file."""
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "API_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("docs/conf.py defines no API_MODULES")


def _in_this_checkout(name):
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return False
    return spec is not None and spec.origin is not None and Path(spec.origin).is_relative_to(ROOT)


def public_objects():
    """(import path, kind) of every public class, function and method, each once."""
    seen = {}
    for module_name in api_modules():
        if not _in_this_checkout(module_name):
            continue  # listed for when it lands
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            # document under the defining public module, not a re-export
            path = f"{module_name}.{name}"
            if id(obj) not in seen or seen[id(obj)][0].count(".") < path.count("."):
                seen[id(obj)] = (path, obj)
    items = []
    for path, obj in sorted(seen.values(), key=lambda item: item[0]):
        if not inspect.isclass(obj):
            items.append((path, "function"))
            continue
        items.append((path, "class"))
        for name in sorted(dir(obj)):
            if name.startswith("_"):
                continue
            member = inspect.getattr_static(obj, name)
            if isinstance(member, property) or not callable(getattr(obj, name)):
                continue
            defined_in = getattr(getattr(obj, name), "__module__", "") or ""
            if defined_in.split(".")[0] == "mmsense":
                items.append((f"{path}.{name}", "method"))
    return items


PUBLIC = public_objects()


def relevant_errors(errors, kind):
    for code, message in errors:
        if code in IGNORED_CODES and not (code == "ES01" and kind == "class"):
            continue
        if kind != "class" and code in CLASS_ONLY_CODES:
            continue
        yield code, message


def test_the_public_api_is_found():
    kinds = {kind for _, kind in PUBLIC}
    assert kinds == {"class", "function", "method"}
    assert "mmsense.MMRestRegressor.fit" in {path for path, _ in PUBLIC}


@pytest.mark.parametrize("path, kind", PUBLIC, ids=[path for path, _ in PUBLIC])
def test_docstring(path, kind):
    if path in IGNORED_NAMES:
        pytest.skip(IGNORED_NAMES[path])
    result = numpydoc_validation.validate(path)
    errors = list(relevant_errors(result["errors"], kind))
    if errors:
        listing = "\n".join(f" - {code}: {message}" for code, message in errors)
        raise AssertionError(f"{path} ({result['file']}):\n{listing}\n\n{result['docstring']}")
