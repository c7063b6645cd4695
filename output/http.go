package output

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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
	return &HTTPSink{
		url:     u.String(),
		name:    "http:" + u.Redacted(),
		headers: headers,
		retries: opts.Retries,
		backoff: opts.Backoff,
		client:  &http.Client{Transport: tr, Timeout: opts.Timeout},
		ctx:     ctx,
		cancel:  cancel,
	}, nil
}

func httpTLSConfig(opts HTTPOptions) (*tls.Config, error) {
	c := &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify}
	if opts.CACert != "" {
		pem, err := os.ReadFile(opts.CACert)
		if err != nil {
			return nil, fmt.Errorf("http output: CA certificate %s: %w", opts.CACert, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http output: CA certificate %s: no PEM certificates found", opts.CACert)
		}
		c.RootCAs = pool
	}
	if (opts.ClientCert == "") != (opts.ClientKey == "") {
		return nil, fmt.Errorf("http output: client certificate %q and key %q must be given together", opts.ClientCert, opts.ClientKey)
	}
	if opts.ClientCert != "" {
		for _, f := range []string{opts.ClientCert, opts.ClientKey} {
			if _, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("http output: client certificate file %s: %w", f, err)
			}
		}
		cert, err := tls.LoadX509KeyPair(opts.ClientCert, opts.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("http output: client certificate %s / key %s: %w", opts.ClientCert, opts.ClientKey, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

func (s *HTTPSink) Name() string { return s.name }

// errPermanent marks a failure not worth retrying (a 4xx answer).
type errPermanent struct{ error }

// Write POSTs line, without its trailing newline, retrying with backoff on
// transport errors and 5xx (and 429) answers. It returns the last error.
func (s *HTTPSink) Write(line []byte) error {
	body := bytes.TrimRight(line, "\r\n")
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
