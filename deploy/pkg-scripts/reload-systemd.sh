#!/bin/sh
# After the unit file was installed or removed: let a running systemd see it.
# The service is not enabled or started by the package.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
