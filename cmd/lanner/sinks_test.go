package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, the CA and the client's in PEM files.
type testPKI struct {
	caFile, certFile, keyFile string // CA, client certificate and key
	pool                      *x509.CertPool
	server                    tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	writePEM := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lanner test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writePEM("ca.pem", "CERTIFICATE", caDER)
	serverDER, serverKey := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := leaf(3, "lanner-client", x509.ExtKeyUsageClientAuth)
	p.certFile = writePEM("client.pem", "CERTIFICATE", clientDER)
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	p.keyFile = writePEM("client-key.pem", "PRIVATE KEY", keyDER)
	return p
}

// replayFixture writes rules, one per priority, each firing on an openat
// by a process named p0 (Emergency) ... p7 (Debug), and one such event per
// name given. It returns the rules and events files.
func replayFixture(t *testing.T, names ...string) (rules, events string) {
	t.Helper()
	dir := t.TempDir()
	var r, e strings.Builder
	for i, p := range []string{"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"} {
		fmt.Fprintf(&r, "- rule: Sink test %d\n  desc: d\n  condition: evt.type = openat and proc.name = p%d\n  output: sink test %%proc.name\n  priority: %s\n", i, i, p)
	}
	for i, n := range names {
		fmt.Fprintf(&e, `{"type":"openat","time":%d,"res":3,"proc":{"pid":%d,"name":%q,"uid":0,"gid":0}}`+"\n", 1700000000000000000+i, 100+i, n)
	}
	rules, events = filepath.Join(dir, "rules.yaml"), filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(rules, []byte(r.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(events, []byte(e.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return rules, events
}

// replay runs `lanner replay` on events with rules and more flags.
func replay(t *testing.T, rules, events string, args ...string) {
	t.Helper()
	argv := append([]string{"replay", events, "--rules", rules}, args...)
	out, err := exec.Command(lanner(t), argv...).CombinedOutput()
	if err != nil {
		t.Fatalf("lanner %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// received is one request the TLS test server accepted.
type received struct {
	alert  map[string]any
	header http.Header
	client string // the client certificate's common name
}

// TestHTTPFlagsTLSClientCert sends alerts through the binary to a local
// HTTPS server that requires a client certificate, the settings given as
// flags and as configuration keys: the alert and the headers arrive. Without
// the client certificate the server receives nothing.
func TestHTTPFlagsTLSClientCert(t *testing.T) {
	pki := newTestPKI(t)
	got := make(chan received, 16)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rc received
		json.NewDecoder(r.Body).Decode(&rc.alert)
		rc.header = r.Header.Clone()
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			rc.client = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		got <- rc
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	rules, events := replayFixture(t, "p4")

	check := func(t *testing.T) {
		t.Helper()
		select {
		case rc := <-got:
			if rc.alert["rule"] != "Sink test 4" || rc.alert["priority"] != "Warning" {
				t.Errorf("alert %v", rc.alert)
			}
			if v := rc.header.Get("X-Lanner-Token"); v != "s3cret" {
				t.Errorf("X-Lanner-Token %q", v)
			}
			if v := rc.header.Get("Authorization"); v != "Bearer a, b" {
				t.Errorf("Authorization %q", v)
			}
			if v := rc.header.Get("Content-Type"); v != "application/json" {
				t.Errorf("Content-Type %q", v)
			}
			if rc.client != "lanner-client" {
				t.Errorf("client certificate %q", rc.client)
			}
		default:
			t.Fatal("the server received no alert")
		}
		select {
		case rc := <-got:
			t.Errorf("more than one request: %v", rc.alert)
		default:
		}
	}
	t.Run("flags", func(t *testing.T) {
		replay(t, rules, events, "--http-url", ts.URL+"/alerts",
			"--http-header", "X-Lanner-Token: s3cret", "--http-header", "Authorization: Bearer a, b",
			"--http-timeout", "3s", "--http-ca-file", pki.caFile,
			"--http-cert-file", pki.certFile, "--http-key-file", pki.keyFile)
		check(t)
	})
	t.Run("config", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config.yaml")
		yaml := fmt.Sprintf("http-url: [%s/alerts]\nhttp-header: ['X-Lanner-Token: s3cret', 'Authorization: Bearer a, b']\n"+
			"http_timeout: 3s\nhttp-ca-file: %s\nhttp-cert-file: %s\nhttp-key-file: %s\n", ts.URL, pki.caFile, pki.certFile, pki.keyFile)
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(lanner(t), "config", "check", cfg).CombinedOutput(); err != nil {
			t.Fatalf("config check: %v\n%s", err, out)
		}
		// Resolve the file against run's flags as `lanner run --config`
		// does, and send an alert through the sinks run would open.
		cf, errs := config.Check(cfg, nil)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		run, err := cf.Run()
		if err != nil {
			t.Fatal(err)
		}
		if errs := run.Check(); len(errs) > 0 {
			t.Fatal(errs)
		}
		if run.HTTPTimeout != 3*time.Second || len(run.HTTPHeader) != 2 {
			t.Errorf("resolved timeout %v, headers %q", run.HTTPTimeout, run.HTTPHeader)
		}
		out, err := run.Open(nil)
		if err != nil {
			t.Fatal(err)
		}
		out.Send(&output.Alert{Time: 1700000000000000000, Rule: "Sink test 4", Priority: ruleset.Warning,
			Output: "22:13:20.000000000: Warning sink test p4", Source: "syscall", Hostname: "h"})
		out.Close(10 * time.Second)
		if st := out.Stats(); len(st) != 1 || st[0].Sent != 1 {
			t.Errorf("sink stats %+v", st)
		}
		check(t)
	})
	t.Run("insecure", func(t *testing.T) {
		// The server's CA is not trusted, but not checked either.
		replay(t, rules, events, "--http-url", ts.URL+"/alerts", "--http-insecure",
			"--http-header", "X-Lanner-Token: s3cret", "--http-header", "Authorization: Bearer a, b",
			"--http-cert-file", pki.certFile, "--http-key-file", pki.keyFile)
		check(t)
	})
	t.Run("no client certificate", func(t *testing.T) {
		replay(t, rules, events, "--http-url", ts.URL+"/alerts", "--http-ca-file", pki.caFile, "--http-timeout", "1s")
		select {
		case rc := <-got:
			t.Errorf("accepted without a client certificate: %v", rc.alert)
		default:
		}
	})
}

// TestHTTPFlagErrors gives `lanner run` bad HTTP settings on the command
// line: each gives one line naming the flag and exit status 1 before any
// collector starts.
func TestHTTPFlagErrors(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM\n"), 0o600)
	unreadable := filepath.Join(dir, "unreadable.pem")
	os.WriteFile(unreadable, nil, 0o600)
	os.Chmod(unreadable, 0)
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--http-header", "no colon"}, "http-header"},
		{[]string{"--http-header", "Bad Name: x"}, "http-header"},
		{[]string{"--http-header", ": empty name"}, "http-header"},
		{[]string{"--http-timeout=-1s"}, "http-timeout"},
		{[]string{"--http-timeout", "0s"}, "http-timeout"},
		{[]string{"--http-ca-file", missing}, "http-ca-file"},
		{[]string{"--http-ca-file", garbage}, "http-ca-file"},
		{[]string{"--http-cert-file", pki.certFile}, "http-cert-file"},
		{[]string{"--http-key-file", pki.keyFile}, "http-key-file"},
		{[]string{"--http-cert-file", missing, "--http-key-file", pki.keyFile}, "http-cert-file"},
		{[]string{"--http-cert-file", garbage, "--http-key-file", pki.keyFile}, "http-cert-file"},
		{[]string{"--http-cert-file", pki.certFile, "--http-key-file", garbage}, "http-key-file"},
		{[]string{"--http-cert-file", pki.certFile, "--http-key-file", pki.caFile}, "http-key-file"},
	}
	if os.Geteuid() != 0 { // root reads any file
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"--http-ca-file", unreadable}, "http-ca-file"})
	}
	for _, c := range cases {
		// With a valid URL, so that only the setting is at fault; a run
		// that got past the check would stop after a second.
		args := append([]string{"run", "--duration", "1s", "--http-url", "https://127.0.0.1:9/"}, c.args...)
		out, err := exec.Command(lanner(t), args...).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%q: exit %v, want 1\n%s", c.args, err, text)
		}
		if strings.Count(text, "\n") != 0 || !strings.HasPrefix(text, "lanner: "+c.want+": ") {
			t.Errorf("%q: want one line starting %q, got %q", c.args, "lanner: "+c.want+": ", text)
		}
		if strings.Contains(text, "collector") {
			t.Errorf("%q: a collector was started: %s", c.args, text)
		}
	}
}

// TestRunHelpHTTPFlags: the HTTP settings are documented, with defaults.
func TestRunHelpHTTPFlags(t *testing.T) {
	out, err := exec.Command(lanner(t), "run", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("run --help: %v\n%s", err, out)
	}
	help := regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
	for _, want := range []string{"--http-header='NAME: VALUE'", "--http-timeout=5s", "--http-ca-file=FILE", "(default: the system's)",
		"--http-cert-file=FILE", "--http-key-file=FILE", "--http-insecure", "(default: verify)", "severity is its rule's priority"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q:\n%s", want, out)
		}
	}
}

// TestSyslogSeverityPerRulePriority replays an alert of every priority to
// a unix datagram socket and a UDP listener: each message's <PRI> is
// facility user (1) * 8 + the severity of the alert's priority.
func TestSyslogSeverityPerRulePriority(t *testing.T) {
	// A short path: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "lnr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	unix, err := net.ListenPacket("unixgram", filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	names := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p4", "p0", "p7"}
	rules, events := replayFixture(t, names...)
	for _, format := range []string{"text", "json"} {
		replay(t, rules, events, "--output", format, "--syslog", "unix://"+filepath.Join(dir, "log"), "--syslog", "udp://"+udp.LocalAddr().String())
		for _, c := range []net.PacketConn{unix, udp} {
			for _, n := range names {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 64<<10)
				k, _, err := c.ReadFrom(buf)
				if err != nil {
					t.Fatalf("%s %s: %v", format, c.LocalAddr(), err)
				}
				msg := string(buf[:k])
				sev, _ := strconv.Atoi(n[1:])
				if want := fmt.Sprintf("<%d>", 8+sev); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "sink test "+n) {
					t.Errorf("%s %s: message %q, want %s and the alert of %s", format, c.LocalAddr(), msg, want, n)
				}
				// "<PRI>Mmm dd hh:mm:ss HOSTNAME": the alert's hostname.
				if f := strings.Fields(msg); format == "json" && (len(f) < 5 || !strings.Contains(msg, `"hostname":"`+f[3]+`"`)) {
					t.Errorf("%s: syslog HOSTNAME is not the alert's hostname: %q", c.LocalAddr(), msg)
				}
			}
		}
	}
}
