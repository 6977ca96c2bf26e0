"""The README's set-up is what CI runs: keep the two in sync."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_readme_has_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install") and "pytest" in commands[1]


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = setup_commands()
    assert f"python -m {install}" in ci or install in ci
    assert test in ci


def test_readme_example_runs_and_learns(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## In the PyTorch style\n.*?```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(code, "README example", "exec"), {})
    final_loss = float(capsys.readouterr().out.strip().splitlines()[-1])
    assert final_loss < 1.0  # ln 3 ≈ 1.10 is chance level for three classes


def test_readme_picture_exists():
    readme = (ROOT / "README.md").read_text()
    for path in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (ROOT / path).is_file(), path
