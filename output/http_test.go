package output

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHTTPSinkPostsLine(t *testing.T) {
	type got struct {
		ctype, hdr string
		body       []byte
	}
	ch := make(chan got, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		ch <- got{r.Header.Get("Content-Type"), r.Header.Get("X-Token"), b}
	}))
	defer ts.Close()
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL + "/alerts", Headers: map[string]string{"X-Token": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	line := sampleAlert(t).AppendJSON(nil)
	if err := s.Write(line); err != nil {
		t.Fatal(err)
	}
	g := <-ch
	if g.ctype != "application/json" || g.hdr != "abc" {
		t.Errorf("headers: Content-Type %q, X-Token %q", g.ctype, g.hdr)
	}
	if !bytes.Equal(g.body, bytes.TrimSuffix(line, []byte("\n"))) {
		t.Errorf("body\n%s\nwant\n%s", g.body, line)
	}
	var m map[string]any
	if err := json.Unmarshal(g.body, &m); err != nil {
		t.Fatal(err)
	}
	if m["rule"] != "Read sensitive file untrusted" || m["priority"] != "Warning" {
		t.Errorf("decoded %v", m)
	}
	var back bytes.Buffer
	if err := json.Compact(&back, line); err != nil || !bytes.Equal(back.Bytes(), g.body) {
		t.Errorf("body does not round-trip: %v", err)
	}
}

func TestHTTPSinkRetries5xx(t *testing.T) {
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusInternalServerError)
		}
	}))
	defer ts.Close()
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2", n.Load())
	}
}

func TestHTTPSinkGivesUp(t *testing.T) {
	var n, status atomic.Int32
	status.Store(http.StatusBadGateway)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer ts.Close()
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, Retries: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write([]byte("{}\n"))
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("err = %v", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3", n.Load())
	}
	// A 4xx answer is not retried.
	n.Store(0)
	status.Store(http.StatusBadRequest)
	if err := s.Write([]byte("{}\n")); err == nil || n.Load() != 1 {
		t.Errorf("4xx: err %v after %d requests", err, n.Load())
	}
}

func TestHTTPSinkTimeout(t *testing.T) {
	release := make(chan struct{})
	var tries atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer ts.Close()
	defer close(release)
	const timeout = 200 * time.Millisecond
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, Timeout: timeout, Retries: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write([]byte("{}\n"))
	// The 3 tries each ran into the client's timeout: the server never
	// answered any.
	if err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("error %v, want a timeout", err)
	}
	if n := tries.Load(); n != 3 {
		t.Errorf("%d tries, want 3", n)
	}
}

func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestHTTPSinkRefused(t *testing.T) {
	s, err := NewHTTPSink(HTTPOptions{URL: "http://" + deadAddr(t) + "/", Retries: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]byte("{}\n")); err == nil {
		t.Fatal("no error from a refused connection")
	}
}

func TestHTTPSinkCloseAbortsWrite(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer ts.Close()
	defer close(release)
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Write([]byte("{}\n")) }()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Write still running after Close")
	}
}

func writeCertPEM(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTPSinkTLS(t *testing.T) {
	got := make(chan []byte, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	if !strings.HasPrefix(ts.URL, "https://") {
		t.Fatal(ts.URL)
	}

	// Without the CA the server is not trusted.
	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]byte("{}\n")); err == nil {
		t.Error("untrusted server accepted")
	}
	s.Close()

	s, err = NewHTTPSink(HTTPOptions{URL: ts.URL, CACert: writeCertPEM(t, ts), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]byte(`{"a":1}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != `{"a":1}` {
		t.Errorf("body %q", b)
	}

	s2, err := NewHTTPSink(HTTPOptions{URL: ts.URL, InsecureSkipVerify: true, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Write([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	<-got
}

func TestHTTPSinkBadTLSFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing-ca.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts HTTPOptions
		name string
	}{
		{HTTPOptions{CACert: missing}, missing},
		{HTTPOptions{CACert: garbage}, garbage},
		{HTTPOptions{ClientCert: missing, ClientKey: garbage}, missing},
		{HTTPOptions{ClientCert: garbage, ClientKey: garbage}, garbage},
		{HTTPOptions{ClientCert: garbage}, garbage},
	} {
		tc.opts.URL = "https://127.0.0.1:1/"
		_, err := NewHTTPSink(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%+v: err = %v, want one naming %s", tc.opts, err, tc.name)
		}
	}
}

func TestHTTPSinkBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/x", "http://", "https:///path", "127.0.0.1:8080", "http://[::1"} {
		_, err := NewHTTPSink(HTTPOptions{URL: u})
		if err == nil || !strings.Contains(err.Error(), `"`+u+`"`) {
			t.Errorf("%q: err = %v", u, err)
		}
	}
}

func TestOutputHTTPDeadEndpointNeverBlocks(t *testing.T) {
	s, err := NewHTTPSink(HTTPOptions{URL: "http://" + deadAddr(t) + "/", Timeout: 200 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o := New(JSON, s)
	a := sampleAlert(t)
	sent := make(chan struct{})
	go func() {
		for range QueueLen + 100 {
			o.Send(a)
		}
		close(sent)
	}()
	select {
	case <-sent:
	case <-time.After(30 * time.Second):
		t.Fatal("Send blocks on a dead endpoint")
	}
	deadline := time.Now().Add(5 * time.Second)
	var st SinkStats
	for {
		st = o.Stats()[0]
		if st.Failed > 0 || st.Dropped > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters did not move: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.Sent != 0 {
		t.Errorf("sent %d to a dead endpoint", st.Sent)
	}
	if !strings.HasPrefix(st.Name, "http:") {
		t.Errorf("name %q", st.Name)
	}
	closed := make(chan struct{})
	go func() {
		o.Close(100 * time.Millisecond)
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waits for a dead endpoint")
	}
	if err := s.Write([]byte("{}\n")); err == nil {
		t.Error("write after close succeeded")
	}
}

func TestParseHTTPHeader(t *testing.T) {
	for _, c := range []struct{ in, name, value string }{
		{"X-Token: abc", "X-Token", "abc"},
		{"Authorization:Bearer a, b", "Authorization", "Bearer a, b"},
		{"  X-Empty :  ", "X-Empty", ""},
		{"X-Colon: a:b", "X-Colon", "a:b"},
		{"X-Tab: a\tb", "X-Tab", "a\tb"},
	} {
		name, value, err := ParseHTTPHeader(c.in)
		if err != nil || name != c.name || value != c.value {
			t.Errorf("%q: %q %q %v", c.in, name, value, err)
		}
	}
	for _, in := range []string{"", "no colon", ": value", "Bad Name: x", "X(1): x", "X-Nl: a\nb", "X-Cr: a\rb", "X-Nul: a\x00b", "Ünï: x"} {
		if _, _, err := ParseHTTPHeader(in); err == nil || !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("%q: err = %v, want one quoting the input", in, err)
		}
	}
}

func TestHTTPSinkBadHeaders(t *testing.T) {
	for _, h := range []map[string]string{{"Bad Name": "x"}, {"X-Nl": "a\r\nInjected: 1"}, {"": "x"}} {
		if _, err := NewHTTPSink(HTTPOptions{URL: "http://127.0.0.1:1/", Headers: h}); err == nil {
			t.Errorf("%q accepted", h)
		}
		if err := CheckHTTPOptions(HTTPOptions{Headers: h}); err == nil {
			t.Errorf("CheckHTTPOptions accepted %q", h)
		}
	}
}

// TestHTTPFileErrorOption: an unusable TLS file is reported with the
// option it was given as.
func TestHTTPFileErrorOption(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM"), 0o600)
	cert, key, _ := testClientPKI(t)
	for _, c := range []struct {
		opts   HTTPOptions
		option string
	}{
		{HTTPOptions{CACert: missing}, "CACert"},
		{HTTPOptions{CACert: garbage}, "CACert"},
		{HTTPOptions{ClientCert: missing, ClientKey: key}, "ClientCert"},
		{HTTPOptions{ClientCert: garbage, ClientKey: key}, "ClientCert"},
		{HTTPOptions{ClientCert: cert, ClientKey: missing}, "ClientKey"},
		{HTTPOptions{ClientCert: cert, ClientKey: garbage}, "ClientKey"},
		{HTTPOptions{ClientCert: cert, ClientKey: cert}, "ClientKey"},
	} {
		err := CheckHTTPOptions(c.opts)
		var fe *HTTPFileError
		if !errors.As(err, &fe) || fe.Option != c.option || !strings.Contains(err.Error(), fe.Path) {
			t.Errorf("%+v: %v, want an HTTPFileError for %s", c.opts, err, c.option)
		}
	}
	if err := CheckHTTPOptions(HTTPOptions{ClientCert: cert, ClientKey: key}); err != nil {
		t.Error(err)
	}
}

// testClientPKI writes a self-signed client certificate and its key, and
// returns their paths and the certificate.
func testClientPKI(t *testing.T) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lanner-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(k)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, cert
}

// TestHTTPSinkClientCert posts to a server that requires a client
// certificate: accepted with it, refused without.
func TestHTTPSinkClientCert(t *testing.T) {
	certFile, keyFile, cert := testClientPKI(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	got := make(chan string, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.TLS.PeerCertificates[0].Subject.CommonName + " " + r.Header.Get("X-Token")
	}))
	ts.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	ca := writeCertPEM(t, ts)

	s, err := NewHTTPSink(HTTPOptions{URL: ts.URL, CACert: ca, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]byte("{}\n")); err == nil {
		t.Error("accepted without a client certificate")
	}
	s.Close()

	s, err = NewHTTPSink(HTTPOptions{URL: ts.URL, CACert: ca, ClientCert: certFile, ClientKey: keyFile,
		Headers: map[string]string{"X-Token": "abc"}, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "lanner-client abc" {
		t.Errorf("server saw %q", g)
	}
}
