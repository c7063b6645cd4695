#!/usr/bin/env bash
# Builds Lanner's image FROM scratch with the local Docker daemon (no
# registry): scripts/image.sh RELEASE_DIR TAG, RELEASE_DIR as make dist
# leaves it (lanner, rules/). deploy/Dockerfile says what goes in.
set -euo pipefail
dir=$1 tag=$2
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dir/image"
mkdir -p "$dir/image/tmp" "$dir/image/etc/ssl/certs" "$dir/image/host"
chmod 1777 "$dir/image/tmp"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$dir/image/etc/ssl/certs/"
fi
docker build -q -f "$here/deploy/Dockerfile" -t "$tag" "$dir"
