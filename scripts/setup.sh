#!/usr/bin/env bash
# Installs what OneVisit needs on a fresh Debian machine with Python 3.11 and root:
# system packages (fonts, speech, browser for page tests, GL for the kiosk), uv, and the locked
# Python environment. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fonts-wqy-microhei   # Simplified-Chinese font for tickets, certificates and the kiosk
  fonts-hanazono       # fallback fonts for rare characters in names (CJK Extension A, B-F; ~52 MB)
  cups cups-client printer-driver-cups-pdf  # the A4 document printer; the demo's and tests' private CUPS
  poppler-utils        # pdfinfo / pdftoppm: tests check and render the A4 certificate
  libcups2-dev gcc     # pycups builds from source (no wheels): before `uv sync` below
  espeak-ng sox        # call announcements and their WAV checks
  chromium chromium-driver  # headless browser tests of the hall pages
  libgl1 libegl1 libgles2 libmtdev1 xvfb  # Kivy's offscreen rendering and a virtual display
  socat                # linking serial pseudo-terminals for technicians
  postgresql           # halls that outgrow a file; tests start a private server as the postgres user
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # OneVisit starts its own PostgreSQL servers; Debian's default cluster on port 5432 is not needed.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv" >&2
  python3 -m pip install --quiet --user uv >&2 || python3 -m pip install --quiet uv >&2
  export PATH="$HOME/.local/bin:$PATH"
fi

uv sync --frozen --quiet >&2
