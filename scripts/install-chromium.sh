#!/usr/bin/env bash
# Chromium and its WebDriver for the site's browser tests (tests/site/test_browser.py), from
# Debian's packages: browser downloads from anywhere else fail on these machines. Does nothing
# when both are already installed; needs root (or passwordless sudo) otherwise. Never fatal:
# without Chromium the browser tests skip and say why.
set -uo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "install-chromium: not root; browser tests will skip (apt-get install chromium chromium-driver)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null 2>&1 || true
if ! $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; then
  echo "install-chromium: apt-get could not install chromium chromium-driver; browser tests will skip" >&2
fi
exit 0
