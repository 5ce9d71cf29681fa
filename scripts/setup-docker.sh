#!/usr/bin/env bash
# Prepares a local dockerd for the container response tests (root only, no registry access needed):
#  1. installs docker.io and busybox-static if missing;
#  2. starts `dockerd --iptables=false --bridge=none` in the background (log in build/dockerd.log) unless a
#     daemon already answers on /var/run/docker.sock, and waits for the socket;
#  3. builds the image agentprov-busybox:test with `docker import` from a tar holding the static busybox
#     and symlinks for sh, cat, sleep, nc, wget (no image pull: the machine may have no registry access).
# Prints `docker: ready` on success. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${AGENTPROV_TEST_IMAGE:-agentprov-busybox:test}"
SOCK=/var/run/docker.sock
LOG="${AGENTPROV_DOCKERD_LOG:-$PWD/build/dockerd.log}"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-docker: needs root (installs packages, starts dockerd): run it with sudo" >&2
  exit 1
fi

bash scripts/install-apt.sh docker.io busybox-static

DOCKER=docker
command -v "$DOCKER" >/dev/null || DOCKER=/usr/bin/docker

answers() { "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! answers; then
  mkdir -p "$(dirname "$LOG")"
  # No iptables and no bridge: the tests use --network none, and this host may have neither netfilter nor
  # a bridge module. setsid keeps dockerd alive after this script exits.
  setsid dockerd --iptables=false --ip6tables=false --bridge=none -H "unix://$SOCK" >"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 1 150); do
    answers && break
    sleep 0.2
  done
  if ! answers; then
    echo "setup-docker: dockerd did not answer on $SOCK within 30 s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
fi

if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  BUSYBOX=/bin/busybox
  [ -x "$BUSYBOX" ] || BUSYBOX=/usr/bin/busybox
  file "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || {
    echo "setup-docker: $BUSYBOX is not the static busybox (install busybox-static)" >&2
    exit 1
  }
  ROOTFS=$(mktemp -d)
  trap 'rm -rf "$ROOTFS"' EXIT
  mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/etc" "$ROOTFS/secrets"
  cp "$BUSYBOX" "$ROOTFS/bin/busybox"
  for applet in sh cat sleep nc wget ls echo true; do ln -s busybox "$ROOTFS/bin/$applet"; done
  echo 'not-a-real-token' > "$ROOTFS/secrets/api-token"
  tar -C "$ROOTFS" -c . | "$DOCKER" import --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
fi

echo "docker: ready ($("$DOCKER" version --format '{{.Server.Version}}'), image $IMAGE)"
