"""The malloc tuning applied at import: on where it can be, off where the user says so."""

import os
import platform
import subprocess
import sys

import pytest

CHECK = "import autograd_core.memory as m, autograd_core; print(m._tuned)"


def run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("AUTOGRAD_CORE_NO_MALLOC_TUNING", None)
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_tuned_at_import_on_glibc():
    assert run({}) == "True"


def test_opt_out_and_user_settings_are_respected():
    assert run({"AUTOGRAD_CORE_NO_MALLOC_TUNING": "1"}) == "False"
    assert run({"MALLOC_ARENA_MAX": "2"}) == "False"
