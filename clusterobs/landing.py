"""The landing folder: every extract a run uses is kept there, immutably, under its SHA-256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clusterobs.failpoints import failpoint


@dataclass(frozen=True)
class LandedFile:
    """An extract in the landing folder and where it came from."""

    dataset: str
    path: Path
    sha256: str
    bytes: int
    source: str  # URL or original path
    updated: str | None = None  # Eurostat's last update stamp, when known
    fetched_at: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def suffixes(path: Path) -> str:
    """'.tsv.gz' for 'x.tsv.gz' (the name's last two suffixes at most)."""
    return "".join(path.suffixes[-2:]) if path.suffixes else ""


def landed_path(landing_dir: Path, sha256: str, suffix: str) -> Path:
    return landing_dir / f"{sha256}{suffix}"


def land_file(
    source: str | os.PathLike,
    landing_dir: str | os.PathLike,
    dataset: str,
    updated: str | None = None,
    origin: str | None = None,
) -> LandedFile:
    """Copy a file into the landing folder under its checksum (once; never overwritten) and describe it."""
    source, landing_dir = Path(source), Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    sha = file_sha256(source)
    target = landed_path(landing_dir, sha, suffixes(source))
    if not target.exists():
        with tempfile.NamedTemporaryFile(dir=landing_dir, prefix=".landing-", delete=False) as tmp:
            tmp_path = Path(tmp.name)
        try:
            shutil.copyfile(source, tmp_path)
            os.chmod(tmp_path, 0o444)
            os.replace(tmp_path, target)
        finally:
            tmp_path.unlink(missing_ok=True)
    return LandedFile(
        dataset=dataset,
        path=target,
        sha256=sha,
        bytes=target.stat().st_size,
        source=origin or str(source.resolve()),
        updated=updated,
        fetched_at=now_iso(),
    )


def land_stream(
    chunks, landing_dir: Path, dataset: str, suffix: str, source: str, updated: str | None
) -> LandedFile:
    """Write downloaded chunks to the landing folder under their checksum (atomically, once)."""
    landing_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=landing_dir, prefix=".download-", delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
                failpoint("download")
        except BaseException:
            tmp.close()
            tmp_path.unlink(missing_ok=True)
            raise
    sha = digest.hexdigest()
    target = landed_path(landing_dir, sha, suffix)
    if target.exists():
        tmp_path.unlink()
    else:
        os.chmod(tmp_path, 0o444)
        os.replace(tmp_path, target)
    return LandedFile(dataset, target, sha, size, source, updated, now_iso())


def remove_interrupted_writes(landing_dir: Path) -> int:
    """Delete temporary files of copies or downloads a killed run left in the landing folder (call it
    under the run lock); returns how many. Landed files themselves are complete or absent."""
    if not landing_dir.is_dir():
        return 0
    stale = [*landing_dir.glob(".landing-*"), *landing_dir.glob(".download-*")]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
