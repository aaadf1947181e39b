"""The project's shape: ae_core stays UI-free, and set-up is the two README commands."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ae_core_never_imports_streamlit():
    for path in (ROOT / "ae_core").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.M), path
    modules = [
        p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".") for p in (ROOT / "ae_core").rglob("*.py")
    ]
    modules = [m.removesuffix(".__init__") for m in modules if not m.endswith("__main__")]
    code = f"import sys; import {', '.join(modules)}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torch_is_pinned_exactly():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines


def test_readme_commands_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    assert "streamlit run app.py" in readme and "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
