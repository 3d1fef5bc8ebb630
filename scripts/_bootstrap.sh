# shellcheck shell=bash
# Set-up shared by scripts/demo and scripts/test: system packages, uv, and the locked virtual environment.
# Sourced, not run. Idempotent: a second run only checks.
set -euo pipefail

VT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VT_ROOT

# Debian packages the project needs at run and test time: Qt's xcb/EGL/font/audio runtime libraries, CJK fonts so
# Chinese renders, Xvfb for a real window without a screen, and Chromium for the customer side in tests and the demo.
VT_APT_PACKAGES=(
  chromium fonts-noto-cjk xvfb xauth
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1 libnss3 libasound2 libpulse0 libpulse-mainloop-glib0 libportaudio2
  libgstreamer1.0-0 libgstreamer-plugins-base1.0-0
)

vt_log() { printf '\033[1;34m[videoteller]\033[0m %s\n' "$*" >&2; }

vt_install_apt_packages() {
  local missing=()
  local pkg
  for pkg in "${VT_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  vt_log "installing system packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      vt_log "not root and no sudo: please install ${missing[*]} yourself"; return 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

vt_install_uv() {
  if command -v uv >/dev/null 2>&1; then return 0; fi
  if [ -x "$HOME/.local/bin/uv" ]; then export PATH="$HOME/.local/bin:$PATH"; return 0; fi
  vt_log "installing uv from PyPI"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
}

vt_sync_venv() {
  vt_log "syncing the locked virtual environment (.venv)"
  (cd "$VT_ROOT" && uv sync --frozen --quiet)
}

vt_bootstrap() {
  vt_install_apt_packages
  vt_install_uv
  vt_sync_venv
  export PATH="$VT_ROOT/.venv/bin:$PATH"
  export PYTHONPATH="$VT_ROOT${PYTHONPATH:+:$PYTHONPATH}"
}
