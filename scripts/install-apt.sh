#!/usr/bin/env bash
# Installs the Debian packages given as arguments, only those missing, so a prepared machine costs nothing.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-apt: missing packages ${missing[*]}; run as root (sudo make setup) to install them" >&2
  exit 1
fi
echo "install-apt: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
