"""Load on ``teethseg serve``: latency, throughput, errors and peak memory, against ``teethseg predict``.

Usage: .venv/bin/python benchmarks/serve_load.py [--requests 200] [--concurrency 8] [--workers N]

Starts ``teethseg serve`` on a free loopback port (upload limit 5 MB, so an over-limit upload is
cheap to send), then sends ``--requests`` uploads from ``--concurrency`` client threads: the
bundled samples (3 of every 4 requests) mixed with hostile uploads (text named .png, a truncated
JPEG, a PNG claiming 40000x40000 pixels, an empty file, a DICOM without pixels, 6 MB over the
limit). Prints p50 / p95 / p99 latency of the good uploads, their throughput, every answer whose
status is not the one expected, the server's peak RSS, and then ``teethseg predict`` on the same
good images (one process, a folder of them) for the throughput ratio. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.serve.hostile import dicom_bytes, png_claiming  # noqa: E402

SAMPLES = sorted((ROOT / "src" / "teethseg" / "samples").glob("*.jpg"))
LIMIT_MB = 5


def uploads() -> list[tuple[str, bytes, int]]:
    """(name, bytes, expected status): the samples, then one of each hostile kind."""
    good = [(p.name, p.read_bytes(), 200) for p in SAMPLES]
    bad = [
        ("notes.png", b"not a radiograph\n" * 50, 415),
        ("cut.jpg", SAMPLES[0].read_bytes()[:3000], 422),
        ("bomb.png", png_claiming(40000, 40000), 422),
        ("empty.jpg", b"", 415),
        ("report.dcm", dicom_bytes(None), 422),
        ("huge.jpg", b"\xff\xd8\xff" + os.urandom(6_000_000), 413),
    ]
    return good, bad


def post(port: int, name: str, data: bytes) -> tuple[int, float]:
    """One multipart upload; (status, seconds)."""
    boundary = secrets.token_hex(8)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", "/v1/segment", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (ConnectionError, http.client.HTTPException):  # the server may close an over-limit upload early
        status = -1
    finally:
        connection.close()
    return status, time.perf_counter() - start


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="teethseg serve --workers (default: its own)")
    args = parser.parse_args()

    good, bad = uploads()
    plan = [bad[(i // 4) % len(bad)] if i % 4 == 3 else good[i % len(good)] for i in range(args.requests)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "teethseg.cli", "serve", "--port", str(port), "--max-upload-mb", str(LIMIT_MB),
               "--queue", str(args.concurrency)] + (["--workers", str(args.workers)] if args.workers else [])
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        post(port, *good[0][:2])  # warm-up
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            answers = list(pool.map(lambda item: post(port, item[0], item[1]), plan))
        wall = time.perf_counter() - start
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)

    latencies = sorted(t for (status, t), (_, _, expected) in zip(answers, plan) if expected == 200 and status == 200)
    wrong = [(name, expected, status) for (status, _), (name, _, expected) in zip(answers, plan) if status != expected]
    good_count = sum(1 for _, _, expected in plan if expected == 200)
    quantile = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")  # noqa: E731
    print(f"teethseg serve, {args.requests} requests at concurrency {args.concurrency} on {os.cpu_count()} cores "
          f"({good_count} samples, {args.requests - good_count} hostile)")
    print(f"  latency of good uploads: p50 {quantile(0.50) * 1000:.0f} ms, p95 {quantile(0.95) * 1000:.0f} ms, "
          f"p99 {quantile(0.99) * 1000:.0f} ms (median {statistics.median(latencies) * 1000:.0f} ms)")
    serve_rate = good_count / wall
    print(f"  throughput: {serve_rate:.2f} images/s ({wall:.1f} s for all {args.requests} requests)")
    print(f"  answers not as expected: {len(wrong)}" + "".join(f"\n    {n}: expected {e}, got {s}" for n, e, s in wrong[:20]))
    print(f"  server peak RSS: {rss:.0f} MB")

    folder = Path(tempfile.mkdtemp(prefix="teethseg-load-"))
    try:
        for i, (name, data, expected) in enumerate(plan):
            if expected == 200:
                (folder / f"{i:04d}-{name}").write_bytes(data)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "teethseg.cli", "predict", str(folder), "--out", str(folder / "out")],
                       check=True, capture_output=True)
        predict_wall = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    predict_rate = good_count / predict_wall
    print(f"teethseg predict on the same {good_count} images (whole process, model load included): "
          f"{predict_rate:.2f} images/s ({predict_wall:.1f} s)")
    print(f"  serve / predict throughput: {serve_rate / predict_rate:.2f}")


if __name__ == "__main__":
    main()
