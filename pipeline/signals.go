package pipeline

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// watchSignals handles the signals of a running monitor until the process
// exits: SIGINT and SIGTERM cancel the returned context (the run stops
// gracefully and undoes what it changed in the kernel; a second one does
// nothing more), SIGHUP calls reload and never stops the run. Signals that
// come before the collector is started are handled the same way, so no
// signal kills the process half way through changing kernel settings.
func watchSignals(reload func()) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for sig := range ch {
			if sig != syscall.SIGHUP {
				cancel()
				continue
			}
			if ctx.Err() == nil && reload != nil {
				reload()
			}
		}
	}()
	return ctx
}

// sdNotify sends state to the service manager when it asked for it
// ($NOTIFY_SOCKET, set by systemd for Type=notify units), as
// sd_notify(3) does: "READY=1", "RELOADING=1", "STOPPING=1". Without
// $NOTIFY_SOCKET it does nothing.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "@") {
		return fmt.Errorf("NOTIFY_SOCKET %q: not a unix socket path", path)
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	return nil
}

// reloadingState is the notification of a reload starting: systemd wants
// the monotonic clock with it.
func reloadingState() string {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", ts.Nano()/1000)
}

// HoldHUP keeps SIGHUP from stopping Lanner until watchSignals handles it.
// It catches the signal rather than ignoring it: an ignored signal stays
// ignored in the programs Lanner starts (the program sinks), a caught one
// is back to its default there.
func HoldHUP() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
}
