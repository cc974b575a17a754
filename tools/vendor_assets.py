"""Refresh the browser libraries the web UI ships (pystator/api/ui/vendor/) from npm.

Reads manifest.json there, fetches each package at its pinned version with `npm pack`,
copies the listed files and records their sha256; `--set NAME=VERSION` pins a new version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent.parent / "pystator" / "api" / "ui" / "vendor"
MANIFEST = VENDOR / "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(name: str, version: str, into: Path) -> tuple[Path, dict[str, Any]]:
    """The unpacked npm tarball of `name@version` and npm's record of it."""
    packed = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    (record,) = json.loads(packed.stdout)
    unpacked = into / name
    with tarfile.open(into / record["filename"]) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package", record


def refresh(manifest: dict[str, Any], only: set[str]) -> None:
    for name, entry in manifest["packages"].items():
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            package, record = fetch(name, entry["version"], Path(scratch))
            declared = json.loads((package / "package.json").read_text(encoding="utf-8"))
            if declared["version"] != entry["version"]:
                sys.exit(f"{name}: npm returned {declared['version']}, not {entry['version']}")
            entry["license"] = declared.get("license", "")
            entry["integrity"] = record["integrity"]
            target_dir = VENDOR / entry["directory"]
            if target_dir.exists():
                shutil.rmtree(target_dir)
            target_dir.mkdir(parents=True)
            for item in entry["files"]:
                source = package / item["source"]
                target = target_dir / item["name"]
                shutil.copyfile(source, target)
                item["sha256"] = sha256(target)
                copied = target.relative_to(VENDOR)
                print(f"{name}@{entry['version']}: {item['source']} -> {copied}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VERSION")
    parser.add_argument("packages", nargs="*", help="only these packages (default: all)")
    options = parser.parse_args()
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for pin in options.set:
        name, _, version = pin.partition("=")
        if name not in manifest["packages"] or not version:
            sys.exit(f"--set {pin}: expected NAME=VERSION with NAME in manifest.json")
        manifest["packages"][name]["version"] = version
    refresh(manifest, set(options.packages) | {p.partition("=")[0] for p in options.set})
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
