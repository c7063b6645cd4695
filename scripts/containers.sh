#!/usr/bin/env bash
# Container runtimes for Lanner's container tests: Docker, containerd and
# runc from Debian, started here and stopped again, and a busybox image
# built without any registry.
#
#   scripts/containers.sh install   apt-get install what is missing
#   scripts/containers.sh start     start containerd and dockerd (unless
#                                   running), build the test image and rootfs
#   scripts/containers.sh stop      remove the test containers and image,
#                                   stop the daemons this script started
#   scripts/containers.sh with CMD  as root: install what is missing, start,
#                                   run CMD, then remove the test containers
#                                   and stop the daemons this call started;
#                                   otherwise just run CMD (CMD's status)
#
# State (pids, logs, the rootfs, the runtime wrapper) lives in $LANNER_CTR_STATE
# (default /run/lanner-containers). Tests find the rootfs at
# $LANNER_CTR_STATE/rootfs and the image as local/busybox:test.
set -euo pipefail

STATE=${LANNER_CTR_STATE:-/run/lanner-containers}
IMAGE=local/busybox:test
DOCKER=/usr/bin/docker # Debian's client, of the daemon's version
CONTAINERD_SOCK=/run/containerd/containerd.sock

log() { echo "containers: $*" >&2; }

install() {
	local need=()
	command -v dockerd >/dev/null || need+=(docker.io)
	command -v containerd >/dev/null || need+=(containerd)
	command -v runc >/dev/null || need+=(runc)
	dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
	if [ ${#need[@]} -gt 0 ]; then
		log "installing ${need[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	fi
}


wait_for() { # seconds command...
	local n=$(( $1 * 10 )); shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# The VM's capability bounding set lacks CAP_SYS_RESOURCE, so a runtime
# asked for every capability (privileged mode) fails. This runc wrapper,
# registered as Docker's default runtime, drops that one capability from
# the bundle before running runc; Docker still records the container as
# privileged.
write_wrapper() {
	cat >"$STATE/runc-wrapper" <<'WRAP'
#!/bin/sh
bundle= prev=
for a in "$@"; do
	case $prev in --bundle|-b) bundle=$a ;; esac
	case $a in --bundle=*) bundle=${a#--bundle=} ;; esac
	prev=$a
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
	sed -i -e 's/"CAP_SYS_RESOURCE",//g' -e 's/,"CAP_SYS_RESOURCE"//g' -e 's/\["CAP_SYS_RESOURCE"\]/[]/g' "$bundle/config.json"
fi
exec runc "$@"
WRAP
	chmod +x "$STATE/runc-wrapper"
}

build_rootfs() {
	local r=$STATE/rootfs
	[ -x "$r/bin/busybox" ] && return 0
	rm -rf "$r"
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
	cp /bin/busybox "$r/bin/busybox"
	chroot "$r" /bin/busybox --install -s
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	echo 'root:*:19000:0:99999:7:::' >"$r/etc/shadow"
	chmod 600 "$r/etc/shadow"
}

start() {
	mkdir -p "$STATE"
	command -v dockerd >/dev/null && command -v containerd >/dev/null && command -v runc >/dev/null ||
		{ log "docker.io, containerd and runc are not installed: run '$0 install'"; exit 1; }
	write_wrapper
	build_rootfs
	if ! ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
		log "starting containerd"
		containerd >"$STATE/containerd.log" 2>&1 &
		echo $! >"$STATE/containerd.pid"
		started=1
		wait_for 20 ctr --address "$CONTAINERD_SOCK" version || { cat "$STATE/containerd.log"; exit 1; }
	fi
	if ! "$DOCKER" info >/dev/null 2>&1; then
		log "starting dockerd"
		dockerd --bridge=none --iptables=false --ip6tables=false \
			--containerd="$CONTAINERD_SOCK" \
			--add-runtime lanner-runc="$STATE/runc-wrapper" --default-runtime lanner-runc \
			--pidfile "$STATE/dockerd.pidfile" >"$STATE/dockerd.log" 2>&1 &
		echo $! >"$STATE/dockerd.pid"
		started=1
		wait_for 30 "$DOCKER" info || { cat "$STATE/dockerd.log"; exit 1; }
	fi
	if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
		tar -C "$STATE/rootfs" -c . | "$DOCKER" import - "$IMAGE" >/dev/null
	fi
	log "ready: docker $("$DOCKER" version --format '{{.Server.Version}}'), containerd, image $IMAGE"
}

# clean removes what the tests left: their containers, and the
# Kubernetes-style cgroup parents.
clean() {
	if "$DOCKER" info >/dev/null 2>&1; then
		ids=$("$DOCKER" ps -aq --filter label=lanner.test 2>/dev/null || true)
		[ -z "$ids" ] || "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
	fi
	if ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
		for ns in $(ctr --address "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
			for c in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 'labels."lanner.test"' 2>/dev/null); do
				ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -s KILL "$c" >/dev/null 2>&1 || true
				ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks delete -f "$c" >/dev/null 2>&1 || true
				ctr --address "$CONTAINERD_SOCK" -n "$ns" containers delete "$c" >/dev/null 2>&1 || true
			done
		done
	fi
	for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

stop() {
	clean
	for d in dockerd containerd; do
		[ -f "$STATE/$d.pid" ] || continue
		pid=$(cat "$STATE/$d.pid")
		if [ "$d" = dockerd ]; then "$DOCKER" image rm -f "$IMAGE" >/dev/null 2>&1 || true; fi
		log "stopping $d"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$STATE/$d.pid"
	done
	rm -rf "$STATE"
}

case ${1:-} in
install) install ;;
start) start ;;
stop) stop ;;
with)
	shift
	if [ "$(id -u)" != 0 ]; then
		log "not root: the container tests will not run"
		exec "$@"
	fi
	started=
	trap 'if [ -n "$started" ]; then stop; else clean; fi' EXIT
	install
	start
	"$@"
	;;
*) echo "usage: $0 install|start|stop|with CMD..." >&2; exit 2 ;;
esac
