#!/usr/bin/env bash
# Ordinary activity on a Debian host, recorded by bench/activity/record.sh:
# a package install, a Go build of this repository with a cold build cache,
# an interactive shell session on a terminal, and a small web server under
# load. Usage: session.sh WORKDIR (scratch space; the pid of this shell is
# written to WORKDIR/session.pid).
set -u
work=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
echo $$ >"$work/session.pid"
log() { echo "session: $(date +%T) $*" >&2; }

log "package install"
DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall hostname sl

log "go build"
cd "$repo"
gocache=$(mktemp -d)
GOCACHE=$gocache go build ./...
rm -rf "$gocache"

log "interactive shell"
export HISTFILE=$work/bash_history
{
	for c in "cd $repo" 'ls -la' 'head -5 go.mod' 'grep -n "func main" cmd/lanner/main.go' \
		'ps aux | head -5' 'df -h /' 'free -m' 'uname -a' 'id' 'echo $HOME $SHELL' \
		'cat /etc/os-release | head -3' 'ssh -V' 'top -bn1 | head -5' \
		"mkdir -p $work/scratch && echo hello > $work/scratch/notes.txt" \
		"cat $work/scratch/notes.txt; wc -l $work/scratch/notes.txt" \
		"rm -r $work/scratch" 'find . -name "*.md" | head -3' 'date' 'history | tail -3' 'exit'; do
		echo "$c"
		sleep 0.4
	done
} | script -qec "bash -i" /dev/null

log "web server"
mkdir -p "$work/www" && cd "$work/www"
echo '<html><body>hello</body></html>' >index.html
python3 -m http.server --bind 127.0.0.1 18080 >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18080/ && break; sleep 0.1; done
for i in $(seq 400); do curl -s -o /dev/null "http://127.0.0.1:18080/index.html?n=$i"; done
kill $srv
wait $srv 2>/dev/null
log "done"
