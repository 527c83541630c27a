package writeapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// initialBodyCap is the first buffer size for a body; a pooled decoder keeps what it grew to.
const initialBodyCap = 32 << 10

// countingReader passes at most n bytes of r through and remembers when r had more. It bounds
// the raw body, which the decompressed limit alone does not: a stream of empty gzip members
// decompresses to nothing however long it is.
type countingReader struct {
	r        io.Reader
	n        int64 // bytes still allowed
	exceeded bool
}

var errRawTooLarge = errors.New("raw body exceeds the limit")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		// Probe one byte so a body of exactly the limit still ends cleanly with io.EOF.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			c.exceeded = true
			return 0, errRawTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// readBody reads the whole (decompressed) body into d.body, never holding more than
// max+1 bytes of it: the body is cut off while it is read, so neither a chunked body without
// Content-Length nor a gzip bomb (100 MiB of zeros is 100 KiB compressed) can make the decoder
// allocate more than the limit.
func (d *Decoder) readBody(r io.Reader, contentEncoding string, max int64) error {
	d.raw = countingReader{r: r, n: max}
	// A pooled decoder must not keep the request's reader (a connection) alive.
	defer func() { d.raw.r = nil }()
	raw := &d.raw
	var src io.Reader = raw
	enc := strings.TrimSpace(contentEncoding)
	switch {
	case enc == "" || strings.EqualFold(enc, "identity"):
	case strings.EqualFold(enc, "gzip") || strings.EqualFold(enc, "x-gzip"):
		if d.gz == nil {
			d.gz = new(gzip.Reader)
		}
		if err := d.gz.Reset(raw); err != nil {
			if raw.exceeded {
				return tooLarge(max, "before decompression")
			}
			return apierror.New(apierror.InvalidRequest, "body is not valid gzip (Content-Encoding: %s): %v", enc, err)
		}
		src = d.gz
	default:
		e := apierror.New(apierror.InvalidRequest,
			"Content-Encoding %q is not supported; send the body uncompressed or with Content-Encoding: gzip", enc)
		e.Status = http.StatusUnsupportedMediaType
		return e
	}

	if cap(d.body) == 0 {
		d.body = make([]byte, 0, min(int64(initialBodyCap), max+1))
	}
	b := d.body[:0]
	for {
		// Read at most max+1 bytes in all, whatever capacity a larger earlier body left behind:
		// one byte over the limit is enough to know.
		end := min(int64(cap(b)), max+1)
		if int64(len(b)) == end {
			nb := make([]byte, len(b), min(2*int64(cap(b))+1, max+1)) // double
			copy(nb, b)
			b, end = nb, int64(cap(nb))
		}
		n, err := src.Read(b[len(b):end])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			d.body = b
			if src == d.gz {
				return tooLarge(max, "after decompression")
			}
			return tooLarge(max, "")
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			d.body = b
			if raw.exceeded {
				if src == d.gz {
					return tooLarge(max, "before decompression")
				}
				return tooLarge(max, "")
			}
			if src == d.gz {
				return apierror.New(apierror.InvalidRequest, "body is not valid gzip: %v", err)
			}
			return apierror.New(apierror.InvalidRequest, "cannot read request body: %v", err)
		}
	}
	d.body = b
	return nil
}

// tooLarge is the 413 of docs/api.md; when says which bound was hit ("" for a plain body).
func tooLarge(max int64, when string) *apierror.Error {
	if when != "" {
		when = " " + when
	}
	return apierror.New(apierror.PayloadTooLarge,
		"request body is larger than max_body_bytes (%d bytes)%s; split the batch or raise max_body_bytes", max, when).
		WithDetails(map[string]any{"limit": max, "setting": "max_body_bytes"})
}
