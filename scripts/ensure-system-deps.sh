#!/usr/bin/env bash
# Chromium (renders the PDF), poppler-utils (pdftoppm, used by the tests), fonts (Liberation
# for text, Noto Color Emoji so emoji in names print as emoji instead of empty boxes), and
# Java 17 for the Spark engine (pyspark starts a JVM).
# Installs them with apt-get when missing; needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail
missing=()
if [ -z "${BROWSER_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 \
   && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  missing+=(chromium)
fi
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi "emoji"; }; then
  missing+=(fonts-noto-color-emoji)
fi
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: need root to install ${missing[*]} (apt-get). Install them, or set BROWSER_PATH to a Chrome/Chromium binary." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found; install ${missing[*]} with your package manager, or set BROWSER_PATH." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}"
