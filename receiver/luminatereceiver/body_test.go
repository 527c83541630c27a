package luminatereceiver

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

const oneItem = `{"metrics":[{"name":"m","value":1,"dimensions":{"k":"v"}}]}`

func TestGzipWrite(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		a := env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: bytes.NewReader(gzipped(t, []byte(oneItem))),
			headers: map[string]string{"Content-Encoding": "gzip"}})
		requireCounts(t, a, 200, 1, 0)
		a = env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: strings.NewReader(oneItem),
			headers: map[string]string{"Content-Encoding": "gzip"}})
		requireEnvelope(t, a, 400, "INVALID_REQUEST")
		a = env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: strings.NewReader(oneItem),
			headers: map[string]string{"Content-Encoding": "zstd"}})
		requireEnvelope(t, a, 415, "INVALID_REQUEST")
	})
}

// TestGzipBombThroughHTTP: 100 MiB of zeros, ~100 KiB compressed, is cut off at max_body_bytes.
func TestGzipBombThroughHTTP(t *testing.T) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zeros := make([]byte, 1<<20)
	for range 100 {
		w.Write(zeros)
	}
	w.Close()
	bomb := buf.Bytes()
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		a := env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: bytes.NewReader(bomb),
			headers: map[string]string{"Content-Encoding": "gzip"}})
		requireEnvelope(t, a, 413, "PAYLOAD_TOO_LARGE")
		if !strings.Contains(a.Error.Message, "max_body_bytes (10485760 bytes) after decompression") ||
			a.Error.Details["setting"] != "max_body_bytes" {
			t.Fatalf("413 body %s", a.Raw)
		}
	})
}

func TestBodyOverLimit(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
		big := `{"metrics":[` + strings.Repeat(`{"name":"m","value":1},`, 4000) + `{"name":"m","value":1}]}`
		// With Content-Length.
		a := env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: strings.NewReader(big)})
		requireEnvelope(t, a, 413, "PAYLOAD_TOO_LARGE")
		if !strings.Contains(a.Error.Message, "max_body_bytes (65536 bytes)") {
			t.Fatalf("413 body %s", a.Raw)
		}
		// Chunked, without Content-Length.
		a = env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: io.MultiReader(strings.NewReader(big)), chunked: true})
		requireEnvelope(t, a, 413, "PAYLOAD_TOO_LARGE")
		if len(env.sink.AllMetrics()) != 0 {
			t.Fatal("an oversized body reached the pipeline")
		}
	})
}

// TestChunkedBody: a body without Content-Length is read to its end.
func TestChunkedBody(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		body := `{"metrics":[` + strings.Repeat(`{"name":"m","value":1,"dimensions":{"k":"v"}},`, 2999) + `{"name":"m","value":1}]}`
		a := env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: io.MultiReader(strings.NewReader(body)), chunked: true})
		requireCounts(t, a, 200, 3000, 0)
		a = env.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: io.MultiReader(bytes.NewReader(gzipped(t, []byte(body)))),
			chunked: true, headers: map[string]string{"Content-Encoding": "gzip"}})
		requireCounts(t, a, 200, 3000, 0)
		if env.sink.DataPointCount() != 6000 {
			t.Fatalf("sink has %d points", env.sink.DataPointCount())
		}
	})
}
