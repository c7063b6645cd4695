package output

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lannersec/lanner/ruleset"
)

// PrioritySink is a Sink that can also take the alert's priority with the
// line, for outputs (syslog) whose messages carry a severity.
type PrioritySink interface {
	Sink
	WritePriority(line []byte, p ruleset.Priority) error
}

// HostSink is a PrioritySink whose messages also name the host the alert
// is about (syslog's HOSTNAME): the alert's hostname, the node name Lanner
// writes in every alert.
type HostSink interface {
	PrioritySink
	WriteHost(line []byte, p ruleset.Priority, hostname string) error
}

// syslogFacilityUser is the syslog "user" facility.
const syslogFacilityUser = 1

// syslogIOTimeout bounds dialing and each write on stream connections.
const syslogIOTimeout = 5 * time.Second

// SyslogSink writes alerts as RFC 3164-style syslog messages.
type SyslogSink struct {
	network, addr string // addr "" with network "": the local socket
	tag           string
	hostname      string
	pid           int

	mu     sync.Mutex // serializes writes; guards stream and buf
	stream bool       // newline framing
	buf    []byte

	// cmu guards conn and closed only, never across a dial or a write,
	// so that Close does not wait for one: closing the connection aborts
	// a write blocked on a peer that does not read.
	cmu    sync.Mutex
	conn   net.Conn
	closed bool
}

var _ HostSink = (*SyslogSink)(nil)

// localSyslogPaths are tried in order when no address is given.
var localSyslogPaths = []string{"/dev/log", "/var/run/syslog"}

// NewSyslogSink connects to a syslog daemon: addr "" is the local socket
// (/dev/log, else /var/run/syslog), otherwise "udp://host:port",
// "tcp://host:port" or "unix:///path". tag defaults to "lanner". Messages
// name the host of each alert (see WriteHost); the system's host name
// when an alert has none.
func NewSyslogSink(addr string, tag string) (*SyslogSink, error) {
	s := &SyslogSink{tag: tag, pid: os.Getpid()}
	if s.tag == "" {
		s.tag = "lanner"
	}
	s.hostname, _ = os.Hostname()
	if s.hostname == "" {
		s.hostname = "localhost"
	}
	if addr != "" {
		network, rest, ok := strings.Cut(addr, "://")
		switch {
		case !ok:
			return nil, fmt.Errorf("syslog output: invalid address %q: want udp://host:port, tcp://host:port or unix:///path", addr)
		case network == "udp" || network == "tcp":
			if _, _, err := net.SplitHostPort(rest); err != nil {
				return nil, fmt.Errorf("syslog output: invalid address %q: %v", addr, err)
			}
		case network == "unix":
			if rest == "" {
				return nil, fmt.Errorf("syslog output: invalid address %q: no socket path", addr)
			}
		default:
			return nil, fmt.Errorf("syslog output: invalid address %q: unknown network %q", addr, network)
		}
		s.network, s.addr = network, rest
	}
	conn, stream, err := s.dial()
	if err != nil {
		return nil, err
	}
	s.conn, s.stream = conn, stream
	return s, nil
}

func (s *SyslogSink) Name() string {
	if s.network == "" {
		return "syslog"
	}
	return "syslog:" + s.network + "://" + s.addr
}

// dial connects to the configured address and reports whether the
// connection is a stream (newline framing).
func (s *SyslogSink) dial() (net.Conn, bool, error) {
	var conn net.Conn
	var err error
	stream := false
	switch s.network {
	case "":
		var errs []error
		for _, p := range localSyslogPaths {
			if conn, stream, err = dialUnixSyslog(p); err == nil {
				break
			}
			errs = append(errs, err)
		}
		if conn == nil {
			return nil, false, fmt.Errorf("syslog output: no local syslog socket: %w", errors.Join(errs...))
		}
	case "unix":
		conn, stream, err = dialUnixSyslog(s.addr)
	case "tcp":
		conn, err = net.DialTimeout("tcp", s.addr, syslogIOTimeout)
		stream = true
	default:
		conn, err = net.DialTimeout(s.network, s.addr, syslogIOTimeout)
	}
	if err != nil {
		return nil, false, fmt.Errorf("syslog output: %w", err)
	}
	return conn, stream, nil
}

// errSyslogClosed is returned by writes after Close.
var errSyslogClosed = errors.New("closed")

// connection returns the open connection, dialing one if there is none;
// s.mu is held.
func (s *SyslogSink) connection() (net.Conn, error) {
	s.cmu.Lock()
	conn, closed := s.conn, s.closed
	s.cmu.Unlock()
	if closed {
		return nil, errSyslogClosed
	}
	if conn != nil {
		return conn, nil
	}
	conn, stream, err := s.dial()
	if err != nil {
		return nil, err
	}
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if s.closed {
		conn.Close()
		return nil, errSyslogClosed
	}
	s.conn, s.stream = conn, stream
	return conn, nil
}

// drop closes conn after a failed write, so the next write dials again.
func (s *SyslogSink) drop(conn net.Conn) {
	s.cmu.Lock()
	if s.conn == conn {
		s.conn = nil
	}
	s.cmu.Unlock()
	conn.Close()
}

// dialUnixSyslog connects to a local socket, datagram first, then stream.
func dialUnixSyslog(path string) (net.Conn, bool, error) {
	c, err := net.DialTimeout("unixgram", path, syslogIOTimeout)
	if err == nil {
		return c, false, nil
	}
	c, err2 := net.DialTimeout("unix", path, syslogIOTimeout)
	if err2 == nil {
		return c, true, nil
	}
	return nil, false, err
}

// Write sends line with severity notice.
func (s *SyslogSink) Write(line []byte) error { return s.WriteHost(line, ruleset.Notice, "") }

// WritePriority sends line with the syslog severity matching p (Falco's
// priorities are syslog's severities).
func (s *SyslogSink) WritePriority(line []byte, p ruleset.Priority) error {
	return s.WriteHost(line, p, "")
}

// WriteHost sends line with the syslog severity matching p, naming
// hostname as the message's host ("": the system's host name). A failed
// write reconnects and is tried once more.
func (s *SyslogSink) WriteHost(line []byte, p ruleset.Priority, hostname string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for try := 0; try < 2; try++ {
		var conn net.Conn
		if conn, err = s.connection(); err != nil {
			if err == errSyslogClosed {
				break
			}
			continue
		}
		s.buf = s.format(s.buf[:0], line, p, hostname, time.Now())
		if s.stream {
			conn.SetWriteDeadline(time.Now().Add(syslogIOTimeout))
		}
		if _, err = conn.Write(s.buf); err == nil {
			return nil
		}
		s.drop(conn)
	}
	return fmt.Errorf("%s: %w", s.Name(), err)
}

// format appends "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG"; HOSTNAME
// is hostname, or the system's host name when hostname is "".
func (s *SyslogSink) format(dst, line []byte, p ruleset.Priority, hostname string, now time.Time) []byte {
	sev := int(p)
	if sev > 7 {
		sev = 7
	}
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(syslogFacilityUser*8+sev), 10)
	dst = append(dst, '>')
	dst = now.AppendFormat(dst, time.Stamp)
	dst = append(dst, ' ')
	if hostname == "" {
		hostname = s.hostname
	}
	dst = appendSyslogHostname(dst, hostname)
	dst = append(dst, ' ')
	dst = append(dst, s.tag...)
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, int64(s.pid), 10)
	dst = append(dst, "]: "...)
	// The line is one alert, already escaped; what else might be in it
	// is escaped too, so that a message is always one line.
	dst = ruleset.AppendControlsEscaped(dst, bytes.TrimRight(line, "\r\n"))
	if s.stream {
		dst = append(dst, '\n')
	}
	return dst
}

// maxSyslogHostname is the longest HOSTNAME syslog takes (RFC 5424).
const maxSyslogHostname = 255

// appendSyslogHostname appends name as a syslog HOSTNAME, one field of
// printable ASCII: every other byte (a space, a control byte, UTF-8)
// becomes '_', so a name cannot shift the fields after it or break the
// message; at most maxSyslogHostname bytes, "-" (no value) when empty.
func appendSyslogHostname(dst []byte, name string) []byte {
	if name == "" {
		return append(dst, '-')
	}
	if len(name) > maxSyslogHostname {
		name = name[:maxSyslogHostname]
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c > ' ' && c < 0x7f {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
	}
	return dst
}

// Close closes the connection, aborting a write in progress; later writes
// fail.
func (s *SyslogSink) Close() error {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.closed = true
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
