#!/usr/bin/env bash
# Installs the real components Selkie drives and its tests use (Debian 12).
set -euo pipefail
pkgs=(runc crun conmon netavark aardvark-dns catatonit slirp4netns passt uidmap
      fuse-overlayfs iptables iproute2 busybox-static docker-registry skopeo
      curl jq
      # used by the tests and the bench: Podman for interop and comparison,
      # docker-py and Compose v1 against the API service, script(1) for
      # PTYs, setpriv/nsenter, pgrep, useradd, xz, systemd-socket-activate
      podman python3-docker docker-compose bsdutils util-linux procps passwd
      xz-utils systemd
      # build contexts from git repositories; ssh-agent for RUN --mount=type=ssh
      git openssh-client)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Distributions ship /dev/net/tun 0666; this host has 0600 (see shared/host.md).
[ -c /dev/net/tun ] && [ "$(id -u)" -eq 0 ] && chmod 666 /dev/net/tun || true
# Likewise /dev/fuse (0666 on distributions): rootless fuse-overlayfs needs it.
[ -c /dev/fuse ] && [ "$(id -u)" -eq 0 ] && chmod 666 /dev/fuse || true
