"""The public functions of the engine and the toolkit say their types (mypy checks them in
``make lint``): every parameter and the return of every function or method whose name does
not start with an underscore, at module or class level."""

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ["autograder", "toolkit"]


def unannotated(path):
    """[(line, name)] of the public functions in ``path`` missing an annotation."""
    tree = ast.parse(path.read_text())
    scopes = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    missing = []
    for body in scopes:
        for fn in body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
                    fn.name.startswith("_"):
                continue
            args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs + [
                a for a in (fn.args.vararg, fn.args.kwarg) if a]
            if fn.returns is None or any(a.annotation is None for a in args
                                         if a.arg not in ("self", "cls")):
                missing.append((fn.lineno, fn.name))
    return missing


def test_every_public_function_says_its_types():
    found = {f"{p.relative_to(ROOT)}:{line} {name}"
             for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
             if "__pycache__" not in p.parts for line, name in unannotated(p)}
    assert found == set()


def test_the_check_sees_a_missing_annotation(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(x: int) -> int:\n    return x\n\n\ndef g(x):\n    return x\n\n\n"
                      "class C:\n    def h(self, y: str):\n        return y\n\n    def _i(self, z):"
                      "\n        return z\n")
    assert unannotated(Path(module)) == [(5, "g"), (10, "h")]
