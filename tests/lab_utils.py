"""Start JupyterLab headless for a browser test: a free localhost port, a random token, every
Jupyter folder in a temporary directory, no update check; stopped (by its own process id) on exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


ROOT = Path(__file__).resolve().parents[1]


def lab_jupyter() -> Path | None:
    """The ``jupyter`` command of a venv with JupyterLab: ``.venv-lab`` (``make lab``, ``make test``
    install it), else the running interpreter's when it has JupyterLab; None when neither."""
    import importlib.util

    lab_venv = ROOT / ".venv-lab" / "bin" / "jupyter"
    if lab_venv.is_file():
        return lab_venv
    if all(importlib.util.find_spec(m) for m in ("jupyterlab", "ipywidgets")):
        return Path(sys.executable).parent / "jupyter"
    return None


def lab_available() -> bool:
    """True when a JupyterLab with ipywidgets is installed (``make lab`` installs it)."""
    return lab_jupyter() is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(
    root_dir: Path, work: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[tuple[str, str]]:
    """Run ``jupyter lab`` on ``root_dir``; yield ``(base_url, token)``.

    Parameters
    ----------
    root_dir : Path
        The folder JupyterLab serves.
    work : Path
        A temporary folder for Jupyter's config, data, runtime, settings and workspaces and the
        server's log (``lab.log``).
    env : dict, optional
        Extra environment variables for the server and its kernels.
    timeout : float
        Seconds to wait for the server to answer.
    """
    port, token = _free_port(), secrets.token_hex(16)
    dirs = {
        "JUPYTER_CONFIG_DIR": work / "config",
        "JUPYTER_RUNTIME_DIR": work / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": work / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": work / "workspaces",
        "IPYTHONDIR": work / "ipython",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, **(env or {})}
    jupyter = lab_jupyter()
    cmd = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
    ]
    if (
        hasattr(os, "geteuid") and os.geteuid() == 0
    ):  # containers and CI often run as root
        cmd.append("--allow-root")
    logf = (work / "lab.log").open("w")
    proc = subprocess.Popen(cmd, env=full_env, stdout=logf, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited: {(work / 'lab.log').read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(
                    f"{base}/api/status?token={token}", timeout=5
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab did not answer on {base}")
            time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        logf.close()
