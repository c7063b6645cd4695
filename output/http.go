package output

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// HTTPOptions configure an HTTPSink.
type HTTPOptions struct {
	URL     string            // http:// or https:// endpoint alerts are POSTed to
	Headers map[string]string // extra request headers (may override Content-Type)
	Timeout time.Duration     // per request; 0 means 5s
	// Retries is how many times a failed request is tried again: 0 means 3,
	// a negative value means never.
	Retries int
	// Backoff is the wait before the first retry, doubled for each later
	// one; 0 means 200ms.
	Backoff time.Duration

	CACert             string // PEM file of CAs to trust instead of the system pool
	ClientCert         string // PEM client certificate, with ClientKey
	ClientKey          string
	InsecureSkipVerify bool
}

// HTTPSink POSTs each alert to a URL, one alert per request.
type HTTPSink struct {
	url     string
	safeURL string // url without user information, path, query or fragment
	name    string
	headers map[string]string
	retries int
	backoff time.Duration
	client  *http.Client

	ctx    context.Context
	cancel context.CancelFunc
}

// NewHTTPSink validates opts and returns a sink posting to opts.URL.
func NewHTTPSink(opts HTTPOptions) (*HTTPSink, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("http output: invalid URL %q: %v", opts.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("http output: invalid URL %q: scheme must be http or https", opts.URL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("http output: invalid URL %q: no host", opts.URL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = 3
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if err := checkHeaders(opts.Headers); err != nil {
		return nil, err
	}
	tlsConf, err := httpTLSConfig(opts)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = 4
	headers := make(map[string]string, len(opts.Headers))
	for k, v := range opts.Headers {
		headers[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	safe := safeURL(u)
	return &HTTPSink{
		url:     u.String(),
		safeURL: safe,
		name:    "http:" + safe,
		headers: headers,
		retries: opts.Retries,
		backoff: opts.Backoff,
		client:  &http.Client{Transport: tr, Timeout: opts.Timeout},
		ctx:     ctx,
		cancel:  cancel,
	}, nil
}

// HTTPFileError is a TLS file of HTTPOptions that cannot be used.
type HTTPFileError struct {
	Option string // the HTTPOptions field: "CACert", "ClientCert" or "ClientKey"
	Path   string
	Err    error // names the file
}

func (e *HTTPFileError) Error() string {
	what := map[string]string{"CACert": "CA certificate", "ClientCert": "client certificate", "ClientKey": "client key"}[e.Option]
	return "http output: " + what + ": " + e.Err.Error()
}

func (e *HTTPFileError) Unwrap() error { return e.Err }

// CheckHTTPOptions checks everything in opts but the URL: the headers and
// the TLS files.
func CheckHTTPOptions(opts HTTPOptions) error {
	if err := checkHeaders(opts.Headers); err != nil {
		return err
	}
	_, err := httpTLSConfig(opts)
	return err
}

func httpTLSConfig(opts HTTPOptions) (*tls.Config, error) {
	c := &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify}
	if opts.CACert != "" {
		data, err := os.ReadFile(opts.CACert)
		if err != nil {
			return nil, &HTTPFileError{"CACert", opts.CACert, err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, &HTTPFileError{"CACert", opts.CACert, fmt.Errorf("%s: no PEM certificates found", opts.CACert)}
		}
		c.RootCAs = pool
	}
	if (opts.ClientCert == "") != (opts.ClientKey == "") {
		return nil, fmt.Errorf("http output: client certificate %q and key %q must be given together", opts.ClientCert, opts.ClientKey)
	}
	if opts.ClientCert != "" {
		certPEM, err := os.ReadFile(opts.ClientCert)
		if err != nil {
			return nil, &HTTPFileError{"ClientCert", opts.ClientCert, err}
		}
		keyPEM, err := os.ReadFile(opts.ClientKey)
		if err != nil {
			return nil, &HTTPFileError{"ClientKey", opts.ClientKey, err}
		}
		if err := checkCertPEM(certPEM); err != nil {
			return nil, &HTTPFileError{"ClientCert", opts.ClientCert, fmt.Errorf("%s: %w", opts.ClientCert, err)}
		}
		// The certificate parses, so what is wrong is the key, or that
		// it does not belong to the certificate.
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &HTTPFileError{"ClientKey", opts.ClientKey, fmt.Errorf("%s: %w", opts.ClientKey, err)}
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// checkCertPEM checks data holds PEM certificates, the first of which
// parses.
func checkCertPEM(data []byte) error {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return errors.New("no PEM certificate found")
		}
		if b.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(b.Bytes)
			return err
		}
	}
}

// ParseHTTPHeader reads a header given as "Name: value" (the value may be
// empty).
func ParseHTTPHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("%q: want \"Name: value\"", s)
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if err := checkHeader(name, value); err != nil {
		return "", "", fmt.Errorf("%q: %w", s, err)
	}
	return name, value, nil
}

func checkHeaders(h map[string]string) error {
	for k, v := range h {
		if err := checkHeader(k, v); err != nil {
			return fmt.Errorf("http output: header %q: %w", k, err)
		}
	}
	return nil
}

// checkHeader checks a header name is an RFC 9110 token and its value
// holds no control characters but tabs.
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("empty header name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("invalid character %q in header name", c)
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("invalid character %q in header value", c)
		}
	}
	return nil
}

// Name is "http:" and the URL without what may hold a credential: user
// information, path, query and fragment (scheme://host[:port]; webhook
// services put their token in the path). It is what logs, stats and
// /metrics show.
func (s *HTTPSink) Name() string { return s.name }

// safeURL is u reduced to scheme://host[:port].
func safeURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// errPermanent marks a failure not worth retrying (a 4xx answer).
type errPermanent struct{ error }

// Write POSTs line, without its trailing newline, retrying with backoff on
// transport errors and 5xx (and 429) answers. It returns the last error.
func (s *HTTPSink) Write(line []byte) error {
	// The body is a copy: the transport may still read it after Do
	// returns, and line goes to later alerts once Write has returned.
	body := bytes.Clone(bytes.TrimRight(line, "\r\n"))
	wait := s.backoff
	var err error
	for attempt := 0; ; attempt++ {
		err = s.post(body)
		if err == nil {
			return nil
		}
		var perm errPermanent
		if errors.As(err, &perm) || attempt >= s.retries || s.ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (sink closed)", s.name, err)
		}
		wait *= 2
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

func (s *HTTPSink) post(body []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return errPermanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lanner")
	for k, v := range s.headers {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// The client's error names the URL with its query: name it
		// without.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = s.safeURL
		}
		return err
	}
	// Drain a little so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("server answered %s", resp.Status)
	}
	return errPermanent{fmt.Errorf("server answered %s", resp.Status)}
}

// Close aborts any request in flight and releases idle connections.
func (s *HTTPSink) Close() error {
	s.cancel()
	s.client.CloseIdleConnections()
	return nil
}

// Format reports that HTTP endpoints take alerts as JSON.
func (s *HTTPSink) Format() Format { return JSON }
