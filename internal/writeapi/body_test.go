package writeapi

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

const smallBody = `{"metrics":[{"name":"api_latency","timestamp":1735603200000,"value":145.5,"dimensions":{"customer_id":"cust_123"}}]}`

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzipBody(t *testing.T) {
	gz := gzipBytes(t, []byte(smallBody))
	for _, enc := range []string{"gzip", "GZIP", " gzip ", "x-gzip"} {
		b, err := Decode(bytes.NewReader(gz), enc, DefaultLimits(), testNow)
		if err != nil || len(b.Items) != 1 || b.Items[0].Labels[0].Value != "cust_123" {
			t.Fatalf("Content-Encoding %q: %v", enc, err)
		}
	}
	// Two gzip members concatenated are one body (RFC 1952), as gzip -c a b produces.
	half := len(smallBody) / 2
	two := append(gzipBytes(t, []byte(smallBody[:half])), gzipBytes(t, []byte(smallBody[half:]))...)
	if b, err := Decode(bytes.NewReader(two), "gzip", DefaultLimits(), testNow); err != nil || len(b.Items) != 1 {
		t.Fatalf("two members: %v", err)
	}
	for _, enc := range []string{"", "identity"} {
		if _, err := Decode(strings.NewReader(smallBody), enc, DefaultLimits(), testNow); err != nil {
			t.Fatalf("Content-Encoding %q: %v", enc, err)
		}
	}
}

func TestBadGzip(t *testing.T) {
	gz := gzipBytes(t, []byte(smallBody))
	cases := map[string][]byte{
		"not gzip":         []byte(smallBody),
		"empty":            nil,
		"truncated":        gz[:len(gz)/2],
		"bad checksum":     append(append([]byte{}, gz[:len(gz)-8]...), 0, 0, 0, 0, 0, 0, 0, 0),
		"trailing garbage": append(append([]byte{}, gz...), "garbage"...),
	}
	for desc, body := range cases {
		t.Run(desc, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(body), "gzip", DefaultLimits(), testNow)
			requireAPIError(t, err, apierror.InvalidRequest, http.StatusBadRequest, "gzip")
		})
	}
}

func TestUnsupportedEncoding(t *testing.T) {
	_, err := Decode(strings.NewReader(smallBody), "br", DefaultLimits(), testNow)
	requireAPIError(t, err, apierror.InvalidRequest, http.StatusUnsupportedMediaType, `Content-Encoding "br" is not supported`)
}

func TestBodyLimit(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxBodyBytes = int64(len(smallBody))
	if _, err := Decode(strings.NewReader(smallBody), "", lim, testNow); err != nil {
		t.Fatalf("body of exactly max_body_bytes: %v", err)
	}
	lim.MaxBodyBytes--
	_, err := Decode(strings.NewReader(smallBody), "", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body is larger than max_body_bytes (%d bytes); split the batch or raise max_body_bytes", len(smallBody)-1))

	// The decompressed size counts: the compressed body is far below the limit.
	padded := strings.Replace(smallBody, `{"metrics"`, strings.Repeat(" ", 1000)+`{"metrics"`, 1)
	gz := gzipBytes(t, []byte(padded))
	lim.MaxBodyBytes = int64(len(padded))
	if _, err := Decode(bytes.NewReader(gz), "gzip", lim, testNow); err != nil {
		t.Fatalf("gzip body of exactly max_body_bytes: %v", err)
	}
	lim.MaxBodyBytes--
	_, err = Decode(bytes.NewReader(gz), "gzip", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "after decompression")
}

// TestCompressedBodyLimit: the raw (compressed) bytes are bounded too, so incompressible or
// padded gzip cannot stream forever.
func TestCompressedBodyLimit(t *testing.T) {
	noise := make([]byte, 64<<10)
	rand.Read(noise)
	gz := gzipBytes(t, noise)
	lim := DefaultLimits()
	lim.MaxBodyBytes = 32 << 10
	_, err := Decode(bytes.NewReader(gz), "gzip", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "max_body_bytes (32768 bytes) before decompression")

	// Empty gzip members decompress to nothing; only the raw bound stops them.
	empty := gzipBytes(t, nil)
	_, err = Decode(io.MultiReader(bytes.NewReader(bytes.Repeat(empty, 2000)), strings.NewReader(smallBody)), "gzip", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "before decompression")
}

// zeros is an endless body without a length, like a chunked request that never ends.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestEndlessBodyIsCutOff(t *testing.T) {
	z := &zeros{}
	_, err := Decode(z, "", DefaultLimits(), testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "max_body_bytes (10485760 bytes)")
	if z.n > DefaultMaxBodyBytes+64<<10 {
		t.Fatalf("read %d bytes of an endless body, limit %d", z.n, DefaultMaxBodyBytes)
	}
}

// TestGzipBomb sends 100 MiB of zeros compressed to ~100 KiB. Decoding must stop at
// max_body_bytes (413) and allocate a small multiple of the limit, never the 100 MiB.
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	chunk := make([]byte, 1<<20)
	for range 100 {
		w.Write(chunk)
	}
	w.Close()
	bomb := buf.Bytes()
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed", len(bomb))
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := NewDecoder().Decode(bytes.NewReader(bomb), "gzip", DefaultLimits(), testNow)
	runtime.ReadMemStats(&after)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "after decompression")
	// The buffer doubles up to limit+1 (about 2x the limit in total) plus the gzip window.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*DefaultMaxBodyBytes {
		t.Fatalf("decoding the bomb allocated %d MiB", alloc>>20)
	}
}

// TestBodyWithoutLength reads the body in small pieces of unknown total length, as a chunked
// HTTP request arrives.
func TestBodyWithoutLength(t *testing.T) {
	body := manyItems(500)
	b, err := Decode(iotest.OneByteReader(strings.NewReader(body)), "", DefaultLimits(), testNow)
	if err != nil || len(b.Items) != 500 {
		t.Fatalf("one-byte reads: %v", err)
	}
	gz := gzipBytes(t, []byte(body))
	b, err = Decode(iotest.HalfReader(bytes.NewReader(gz)), "gzip", DefaultLimits(), testNow)
	if err != nil || len(b.Items) != 500 {
		t.Fatalf("gzip, half reads: %v", err)
	}
}

func TestReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"metrics":[`), iotest.ErrReader(errors.New("connection reset")))
	_, err := Decode(r, "", DefaultLimits(), testNow)
	requireAPIError(t, err, apierror.InvalidRequest, http.StatusBadRequest, "cannot read request body: connection reset")
}

// TestSmallerLimitAfterLargeBody: a pooled decoder whose buffer grew for a large body still cuts
// the next body off at that request's limit.
func TestSmallerLimitAfterLargeBody(t *testing.T) {
	d := NewDecoder()
	if _, err := d.Decode(strings.NewReader(manyItems(5000)), "", DefaultLimits(), testNow); err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	lim.MaxBodyBytes = 100
	z := &zeros{}
	_, err := d.Decode(z, "", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "max_body_bytes (100 bytes)")
	gz := gzipBytes(t, []byte(strings.Repeat(" ", 4096)+smallBody))
	_, err = d.Decode(bytes.NewReader(gz), "gzip", lim, testNow)
	requireAPIError(t, err, apierror.PayloadTooLarge, http.StatusRequestEntityTooLarge, "max_body_bytes (100 bytes) after decompression")
	if len(d.body) > 101 {
		t.Fatalf("held %d bytes of a body limited to 100", len(d.body))
	}
}
