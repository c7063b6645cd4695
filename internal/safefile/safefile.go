// Package safefile opens the files Lanner writes (alert logs, recordings,
// the ready file, profiles, state files) without following a symbolic
// link at the last component of their path, with an explicit mode, and
// only when they are regular files (an alert log may also be a character
// device such as /dev/stdout or /dev/console, which only root can create). Lanner runs as root, often with paths
// in shared directories: a link planted there must not make it write
// where the link points, and a file someone else created in a
// world-writable sticky directory such as /tmp is refused as the kernel's
// protected_regular would.
package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Create opens path for writing, truncated, creating it with mode perm
// if it does not exist. An existing file gets mode perm too, so that a
// file holding secrets never keeps a wider mode it was left with.
func Create(path string, perm os.FileMode) (*os.File, error) {
	// Truncate only once the file is known to be one to write.
	f, err := open(path, os.O_WRONLY|os.O_CREATE, perm, false)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Append opens path for appending, creating it with mode perm if it does
// not exist; an existing file keeps its mode (an alert log appended to
// across restarts, perhaps with its mode set by the operator). A
// character device is accepted too (/dev/stdout, /dev/console): only root
// can create one, so none can be planted.
func Append(path string, perm os.FileMode) (*os.File, error) {
	return open(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm, true)
}

// WriteFile writes data to path as Create opens it.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func open(path string, flag int, perm os.FileMode, charDevOK bool) (*os.File, error) {
	// O_NONBLOCK: a FIFO planted at path must not block the open; it is
	// refused below.
	fd, err := syscall.Open(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link: not following it", path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	if err := check(f, path, charDevOK); err != nil {
		f.Close()
		return nil, err
	}
	// Back to blocking writes, as os.OpenFile would give.
	if err := syscall.SetNonblock(fd, false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// check refuses what is not a regular file (or, with charDevOK, a
// character device), and a file of another user in a world-writable
// sticky directory.
func check(f *os.File, path string, charDevOK bool) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if charDevOK && fi.Mode()&os.ModeCharDevice != 0 {
		return nil
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return err
	}
	if dir.Mode()&os.ModeSticky != 0 && dir.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%s belongs to uid %d in the world-writable directory %s: not writing to it", path, st.Uid, filepath.Dir(path))
	}
	return nil
}
