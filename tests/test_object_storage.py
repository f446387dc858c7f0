"""Snapshot roots in object storage: an S3-compatible server started here serves the same answers as a folder.

moto's ``ThreadedMotoServer`` listens on 127.0.0.1 and a free port; credentials are dummies in ``AWS_*`` and
the endpoint is ``AWS_ENDPOINT_URL``, exactly as a deployment would set them for a real bucket.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")
from moto.server import ThreadedMotoServer  # noqa: E402

from data_access.demo import write_demo_snapshot  # noqa: E402
from data_access.filters import SelectionRefused  # noqa: E402
from data_access.report import report_rows  # noqa: E402
from data_access.snapshots import ObjectPath, forget_cached, snapshot_folders, snapshot_state  # noqa: E402

BUCKET = "impact-snapshots"
PREFIX = "wigan/snapshots"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, object]]:
    """A local S3 server holding one tiny demo snapshot (and a non-dated folder); yields (root URL, local root, client)."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "IMPACT_STATE_DIR": str(tmp_path / "state"),
    }.items():
        monkeypatch.setenv(name, value)
    local_root = tmp_path / "snapshots"
    folder = write_demo_snapshot(local_root, children=40, snapshot_date="2026-11-20")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    for file in sorted(folder.iterdir()):
        client.upload_file(str(file), BUCKET, f"{PREFIX}/{folder.name}/{file.name}")
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/notes/readme.txt", Body=b"not a snapshot")
    forget_cached()
    try:
        yield f"s3://{BUCKET}/{PREFIX}", local_root, client
    finally:
        forget_cached()
        server.stop()


def test_discovery_lists_dated_folders_only(s3: tuple[str, Path, object]) -> None:
    url, _, _ = s3
    folders = snapshot_folders(ObjectPath(url))
    assert [f.name for f in folders] == ["2026-11-20"]


def test_state_over_s3_matches_the_local_folder(s3: tuple[str, Path, object]) -> None:
    url, local_root, _ = s3
    remote = snapshot_state(url)
    local = snapshot_state(local_root)
    assert remote.current is not None and local.current is not None
    assert remote.refused == ()
    assert remote.current.id == local.current.id
    assert remote.current.folder.name == "2026-11-20"
    assert remote.current.children.equals(local.current.children)
    assert remote.current.attendance_buckets.equals(local.current.attendance_buckets)
    assert remote.current.school_days.equals(local.current.school_days)


@pytest.mark.parametrize(
    ("start", "end"), [(date(2025, 8, 1), date(2026, 7, 31)), (date(2025, 10, 8), date(2026, 2, 11))]
)
@pytest.mark.parametrize("role", ["councillor", "admin"])
def test_report_over_s3_matches_the_local_folder(
    s3: tuple[str, Path, object], start: date, end: date, role: str
) -> None:
    url, local_root, _ = s3
    if role == "councillor" and (start, end) != (date(2025, 8, 1), date(2026, 7, 31)):
        # A custom range is refused for protected roles (contract section 6, rule 6), over S3 as locally.
        for folder in (f"{url}/2026-11-20", local_root / "2026-11-20"):
            with pytest.raises(SelectionRefused):
                report_rows(folder, start, end, [], role)
        return
    remote = report_rows(f"{url}/2026-11-20", start, end, [], role)
    forget_cached()
    local = report_rows(local_root / "2026-11-20", start, end, [], role)
    assert remote == local


def test_a_changed_file_in_the_bucket_is_refused(s3: tuple[str, Path, object]) -> None:
    url, local_root, client = s3
    assert snapshot_state(url).current is not None  # validated once: the marker is written
    forget_cached()
    client.put_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key=f"{PREFIX}/2026-11-20/schools.parquet",
        Body=(local_root / "2026-11-20" / "referrals.parquet").read_bytes(),
    )  # fmt: skip
    state = snapshot_state(url)
    assert state.current is None
    assert len(state.refused) == 1
    assert "checksum" in state.refused[0].summary
    assert url in state.refused[0].summary
