package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
)

// sender writes jobs. Every load client owns one, so its buffers need no locking; send
// returns nil only when the server acknowledged every point of the job.
type sender interface {
	send(ctx context.Context, j job) error
}

// writeTarget is where and how the load writes.
type writeTarget struct {
	mode    string
	apiURL  string // JSON write API base URL
	otlp    string // OTLP: host:port (gRPC) or base URL (HTTP)
	token   string
	gzip    bool
	clients int
}

// newSenders returns a constructor of per-client senders sharing one connection pool (HTTP
// keep-alive) or one gRPC connection, and the function that closes it.
func newSenders(t writeTarget, ds *dataset) (func() sender, func(), error) {
	auth := "Bearer " + t.token
	switch t.mode {
	case modeJSON, modeOTLPHTTP:
		client := newHTTPClient(t.clients)
		if t.mode == modeJSON {
			url := t.apiURL + "/api/v1/write"
			return func() sender { return &jsonSender{client: client, url: url, auth: auth, ds: ds, gzip: t.gzip} },
				client.CloseIdleConnections, nil
		}
		url := t.otlp + "/v1/metrics"
		return func() sender { return &otlpHTTPSender{client: client, url: url, auth: auth, ds: ds, gzip: t.gzip} },
			client.CloseIdleConnections, nil
	case modeOTLPGRPC:
		conn, err := grpc.NewClient(t.otlp, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, nil, fmt.Errorf("OTLP gRPC client for %s: %w", t.otlp, err)
		}
		var opts []grpc.CallOption
		if t.gzip {
			opts = append(opts, grpc.UseCompressor(grpcgzip.Name))
		}
		client := pmetricotlp.NewGRPCClient(conn)
		return func() sender { return &otlpGRPCSender{client: client, auth: auth, ds: ds, opts: opts} },
			func() { conn.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown mode %q", t.mode)
}

// newHTTPClient keeps one idle connection per client, so every request after the first reuses
// a warm keep-alive connection. Transparent response decompression is off: the client decides
// what it sends and reads the small answers as they are.
func newHTTPClient(clients int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * clients
	tr.MaxIdleConnsPerHost = 2 * clients
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

type jsonSender struct {
	client *http.Client
	url    string
	auth   string
	ds     *dataset
	gzip   bool
	buf    []byte
	gz     gzipper
}

func (s *jsonSender) send(ctx context.Context, j job) error {
	s.buf = s.ds.appendWriteBody(s.buf[:0], j)
	status, body, err := post(ctx, s.client, s.url, s.auth, "application/json", s.gz.maybe(s.buf, s.gzip), s.gzip)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d for %d points: %s", status, j.points(), snippet(body))
	}
	var wr struct {
		Accepted int `json:"accepted"`
		Rejected int `json:"rejected"`
	}
	if err := json.Unmarshal(body, &wr); err != nil {
		return fmt.Errorf("HTTP 200 with an unreadable body (%v): %s", err, snippet(body))
	}
	if wr.Accepted != j.points() {
		return fmt.Errorf("HTTP 200 but accepted %d of %d points (rejected %d): %s", wr.Accepted, j.points(), wr.Rejected, snippet(body))
	}
	return nil
}

type otlpHTTPSender struct {
	client *http.Client
	url    string
	auth   string
	ds     *dataset
	gzip   bool
	gz     gzipper
}

func (s *otlpHTTPSender) send(ctx context.Context, j job) error {
	raw, err := pmetricotlp.NewExportRequestFromMetrics(s.ds.otlpMetrics(j)).MarshalProto()
	if err != nil {
		return fmt.Errorf("marshal OTLP request of %d points: %w", j.points(), err)
	}
	status, body, err := post(ctx, s.client, s.url, s.auth, "application/x-protobuf", s.gz.maybe(raw, s.gzip), s.gzip)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d for %d points: %s", status, j.points(), snippet(body))
	}
	resp := pmetricotlp.NewExportResponse()
	if err := resp.UnmarshalProto(body); err != nil {
		return fmt.Errorf("HTTP 200 with an unreadable ExportMetricsServiceResponse (%v): %s", err, snippet(body))
	}
	return partialSuccess(resp, j)
}

type otlpGRPCSender struct {
	client pmetricotlp.GRPCClient
	auth   string
	ds     *dataset
	opts   []grpc.CallOption
}

func (s *otlpGRPCSender) send(ctx context.Context, j job) error {
	req := pmetricotlp.NewExportRequestFromMetrics(s.ds.otlpMetrics(j))
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", s.auth)
	resp, err := s.client.Export(ctx, req, s.opts...)
	if err != nil {
		return fmt.Errorf("gRPC Export of %d points: %w", j.points(), err)
	}
	return partialSuccess(resp, j)
}

// partialSuccess turns an OTLP partial success (points the server refused) into an error.
func partialSuccess(resp pmetricotlp.ExportResponse, j job) error {
	ps := resp.PartialSuccess()
	if n := ps.RejectedDataPoints(); n != 0 || ps.ErrorMessage() != "" {
		return fmt.Errorf("partial success: %d of %d points rejected: %s", n, j.points(), ps.ErrorMessage())
	}
	return nil
}

// post sends one request and reads the whole answer, so the connection goes back to the pool.
func post(ctx context.Context, c *http.Client, url, auth, contentType string, body []byte, gzipped bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", contentType)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("HTTP %d: reading the answer: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, data, nil
}

// gzipper compresses into a reused buffer with a reused writer. BestSpeed: the client shares
// the machine with the server, and the point is to measure the server.
type gzipper struct {
	buf bytes.Buffer
	w   *gzip.Writer
}

func (g *gzipper) maybe(b []byte, on bool) []byte {
	if !on {
		return b
	}
	g.buf.Reset()
	if g.w == nil {
		g.w, _ = gzip.NewWriterLevel(&g.buf, gzip.BestSpeed) // the level is valid: no error
	} else {
		g.w.Reset(&g.buf)
	}
	g.w.Write(b) // writes to a bytes.Buffer cannot fail
	g.w.Close()
	return g.buf.Bytes()
}

// snippet is the start of an answer for an error message, quoted when it is not text (OTLP
// errors are protobuf).
func snippet(b []byte) string {
	const keep = 300
	cut := len(b) > keep
	if cut {
		b = b[:keep]
	}
	s := string(b)
	if !utf8.ValidString(s) || bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
		s = strconv.Quote(s)
	}
	if cut {
		s += "..."
	}
	return s
}
