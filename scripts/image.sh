#!/usr/bin/env bash
# Builds Lanner's image FROM scratch with the local Docker daemon (no
# registry): scripts/image.sh RELEASE_DIR TAG, RELEASE_DIR as `make dist`
# leaves it (lanner, rules/). deploy/Dockerfile says what goes in.
set -euo pipefail
dir=$1 tag=$2
here=$(cd "$(dirname "$0")/.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$dir/lanner" "$ctx/"
cp -r "$dir/rules" "$ctx/"
# The rest of the image's file system: /tmp (the ready file), /host (the
# host's / is mounted there) and the CA certificates for https sinks.
mkdir -p "$ctx/rootfs/tmp" "$ctx/rootfs/host" "$ctx/rootfs/etc/ssl/certs"
chmod 1777 "$ctx/rootfs/tmp"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
fi
"${DOCKER:-/usr/bin/docker}" build -q -f "$here/deploy/Dockerfile" -t "$tag" "$ctx"
