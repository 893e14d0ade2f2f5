"""The layers of docs/architecture.md hold: imports run one way, nothing imports tests/,
the app never imports devtools/.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); import-linter checks them
from the code's own imports, function-level imports included. The second test plants a
crossing import in a copy of the tree and expects the check to break, so the first test
cannot pass by checking nothing.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(no_cache=True, no_logo=True, limit_to_contracts=tuple(sys.argv[1:])))"
)

pytestmark = pytest.mark.server


def lint(where, *contracts):
    return subprocess.run(
        [sys.executable, "-c", CHECK, *contracts],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_tree(tmp_path):
    for name in ("spacecraft", "spacedevs", "bench", "tests", "devtools"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_layer_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, planted, contract",
    [
        # ingest and api are independent of each other
        ("spacecraft/ingest/importer.py", "from spacecraft.api import views", "layers"),
        # the declaration core imports no layer above it
        ("spacecraft/shape.py", "from spacecraft.serving import cache", "layers"),
        # a lazy import in a function counts too
        (
            "spacecraft/api/views.py",
            "def _x():\n    from spacecraft.ingest import mirror",
            "layers",
        ),
        # nothing outside tests/ imports from tests/
        ("spacecraft/models.py", "from tests import conftest", "no-tests"),
        # the benchmark and the test-data tools neither
        ("bench/run.py", "from tests import factories", "no-tests"),
        ("devtools/servers.py", "from tests import conftest", "no-tests"),
        # the app never imports the test-data builder or the harness
        ("spacecraft/admin.py", "from devtools import ll2shape", "no-devtools"),
    ],
)
def test_a_planted_crossing_import_breaks_a_contract(tmp_path, module, planted, contract):
    tree = copy_of_the_tree(tmp_path)
    target = tree / module
    target.write_text(target.read_text() + "\n\n" + planted + "  # noqa\n")
    result = lint(tree, contract)
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout
    broken = result.stdout.split("Broken contracts")[-1]
    assert module.removesuffix(".py").replace("/", ".") in broken
