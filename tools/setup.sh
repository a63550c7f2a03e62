#!/usr/bin/env sh
# Set-up: the system programs some tests drive (a browser, a PACS, the DICOM validator), then
# the Python environment in .venv. Safe to run again: it installs only what is missing.
set -eu
cd "$(dirname "$0")/.."

# Debian packages: chromium (browser tests), orthanc + orthanc-dicomweb (PACS round trip),
# dicom3tools (dciodvfy, the DICOM validator).
missing=""
for pair in chromium:/usr/bin/chromium orthanc:/usr/sbin/Orthanc orthanc-dicomweb:/usr/share/orthanc/plugins/libOrthancDicomWeb.so dicom3tools:/usr/bin/dciodvfy; do
    [ -e "${pair#*:}" ] || missing="$missing ${pair%%:*}"
done
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
        echo "installing system packages:$missing"
        $sudo_ apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "warning: no apt-get here; install$missing yourself (the browser, PACS and DICOM tests need them)" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/pip install -q -e '.[dev]'
