"""The build backend (PEP 517) of the `cairn-check-release` pre-commit hook.

pre-commit installs a `language: python` hook by pip-installing its
repository; pip asks this backend for a wheel. The wheel holds one file,
the `cairn` binary of the release matching this checkout's Cargo.toml
version, downloaded for this machine and verified against its SHA-256 by
scripts/install.sh (which refuses a mismatch: the install fails and nothing
is installed). pip puts it in the hook's environment as a script, so the
hook runs the binary itself, without Python in between.

CAIRN_RELEASES_URL (see scripts/install.sh) points the download elsewhere;
the tests use a file:// release directory.
"""

import base64
import hashlib
import os
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "cairn_hook"


def _version():
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    return re.search(r'^version = "([^"]+)"$', text, re.MULTILINE).group(1)


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"{name},sha256={digest.decode()},{len(data)}\n"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    exe = "cairn.exe" if os.name == "nt" else "cairn"
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "install.sh"), "--version", f"v{version}", "--to", work],
            check=True,
        )
        binary = (Path(work) / exe).read_bytes()

    dist_info = f"{NAME}-{version}.dist-info"
    files = [
        (f"{NAME}-{version}.data/scripts/{exe}", binary, 0o755),
        (
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: cairn-hook\nVersion: {version}\n"
            "Summary: The cairn release binary, for the cairn-check-release pre-commit hook\n".encode(),
            0o644,
        ),
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: cairn_release_hook\nRoot-Is-Purelib: false\nTag: py3-none-any\n",
            0o644,
        ),
    ]
    record = "".join(_record_line(name, data) for name, data, _ in files) + f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    wheel_name = f"{NAME}-{version}-py3-none-any.whl"
    # Stored, not deflated: the wheel is unpacked once, right here.
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_STORED) as wheel:
        for name, data, mode in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            wheel.writestr(info, data)
    return wheel_name
