#!/usr/bin/env bash
# Everything Session Monitor needs on a fresh Debian machine: the system libraries Qt needs
# (offscreen or on a screen), dbus-daemon for the BLE tests, pdftoppm for checking reports,
# paplay for the dashboard's optional chime (PySide6-Essentials has no QtMultimedia), and a
# virtual environment in .venv with the package and its test extra. Safe to run again: it only
# installs what is missing (Debian packages already installed are left alone). For development
# and CI; clinics install the wheel (README, "Install").
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
    libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 dbus
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
    libxcb-image0 libxcb-xinerama0 libxcb-xkb1 libglib2.0-0 poppler-utils
    pulseaudio-utils
)
missing=()
if command -v dpkg-query >/dev/null; then
    for pkg in "${debian_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
else
    echo "setup: not a Debian system: install Qt's system libraries, dbus and paplay yourself (see README)"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "setup: ready (.venv)"
