"""Write requirements.lock: the runtime dependencies of pyproject.toml, direct and transitive,
pinned to the versions installed in this environment, each with the sha256 of its archive.

pip resolves the runtime list (no extras) with every installed distribution as a constraint and
reports, without installing anything, the archive it would fetch for each package; the index
publishes that archive's sha256, which the report carries. The index (PyPI or a mirror) must be
reachable; the hashes are those of the archives for this Python and platform.

    python scripts/lock.py [OUTPUT]      (default: requirements.lock; `make lock`)
    pip install --require-hashes -r requirements.lock
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def installed_constraints(skip: str) -> list[str]:
    pins = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name and canonicalize_name(name) != skip:
            pins[canonicalize_name(name)] = f"{name}=={distribution.version}"
    return sorted(pins.values())


def resolve(requirements: list[str], constraints: list[str]) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        constraint_file = Path(folder) / "constraints.txt"
        constraint_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        command += ["--quiet", "--report", str(report), "-c", str(constraint_file)]
        # The requirements are pyproject.toml's own list; no shell is involved.
        subprocess.run([*command, *requirements], check=True)  # noqa: S603
        return json.loads(report.read_text(encoding="utf-8"))["install"]


def sha256_of(item: dict) -> str:
    hashes = item["download_info"].get("archive_info", {}).get("hashes", {})
    if "sha256" not in hashes:
        raise SystemExit(f"no sha256 for {item['metadata']['name']}: {item['download_info']}")
    return hashes["sha256"]


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "requirements.lock"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    skip = canonicalize_name(project["name"])
    items = resolve(list(project["dependencies"]), installed_constraints(skip))
    lines = [
        f"# Runtime dependencies of {project['name']} (pyproject.toml, no extras), direct and",
        "# transitive, at the versions installed when this was written, with the sha256 of each",
        f"# archive for Python {platform.python_version()} on {sys.platform}"
        f"-{platform.machine()}. Written by `make lock`; install with",
        "#   pip install --require-hashes -r requirements.lock",
    ]
    for item in sorted(items, key=lambda i: canonicalize_name(i["metadata"]["name"])):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        lines.append(f"{canonicalize_name(name)}=={version} \\")
        lines.append(f"    --hash=sha256:{sha256_of(item)}")
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(items)} pinned, hashed requirements to {output}")


if __name__ == "__main__":
    main()
