package writeapi

import (
	"io"
	"sync"
	"time"
	"unsafe"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// Cache sizes (slots). Names and keys are few per tenant; values are many, and only short ones
// are cached (maxCachedValue), so the value cache holds at most 4096*64 B of strings.
const (
	nameCacheSize  = 1024
	keyCacheSize   = 1024
	valueCacheSize = 4096
	maxCachedValue = 64
)

// Decoder decodes write bodies, reusing its body buffer, fastjson parser, gzip reader and
// string cache across calls. It is not safe for concurrent use; Decode takes one from a pool.
type Decoder struct {
	parser fastjson.Parser
	body   []byte
	raw    countingReader // bounds the raw body; reused so gzip.Reset can keep pointing at it
	gz     *gzip.Reader
	// Strings that passed their validation rule, so a repeat skips both the check and the
	// allocation. Kept across calls: strings are immutable, so sharing them is safe.
	names, keys, values stringCache
	num                 []byte // scratch for the text of a numeric timestamp
	// The previous item's metric name and dimension keys (by position), checked before the
	// caches. An empty name or key never takes this path (it is invalid, and "" is also what an
	// unused position holds).
	lastName string
	lastKeys [model.MaxLabels]string

	// per-call state
	lim      Limits
	min, max int64 // accepted timestamp window, Unix ms, inclusive
	nowMs    int64
	labels   []model.Label // backing array of the current batch's Labels
}

// NewDecoder returns an empty Decoder.
func NewDecoder() *Decoder {
	return &Decoder{
		names:  newStringCache(nameCacheSize),
		keys:   newStringCache(keyCacheSize),
		values: newStringCache(valueCacheSize),
	}
}

var decoderPool = sync.Pool{New: func() any { return NewDecoder() }}

// Decode reads a write body from r (decompressing it per contentEncoding), validates every
// item against lim with now as the server time, and returns the accepted items and the
// per-item errors. A returned error is an *apierror.Error for the whole request:
// INVALID_REQUEST (not JSON, no "metrics" array, empty, more than lim.MaxBatch items, bad gzip)
// or PAYLOAD_TOO_LARGE (more than lim.MaxBodyBytes, raw or decompressed).
func Decode(r io.Reader, contentEncoding string, lim Limits, now time.Time) (*Batch, error) {
	d := decoderPool.Get().(*Decoder)
	defer decoderPool.Put(d)
	return d.Decode(r, contentEncoding, lim, now)
}

// Decode is the method form of the package-level Decode.
func (d *Decoder) Decode(r io.Reader, contentEncoding string, lim Limits, now time.Time) (*Batch, error) {
	if err := d.readBody(r, contentEncoding, lim.MaxBodyBytes); err != nil {
		return nil, err
	}
	return d.decodeBody(lim, now)
}

func (d *Decoder) decodeBody(lim Limits, now time.Time) (*Batch, error) {
	if len(d.body) == 0 {
		return nil, apierror.New(apierror.InvalidRequest, `request body is empty; send {"metrics": [...]}`)
	}
	root, err := d.parser.ParseBytes(d.body)
	if err != nil {
		return nil, apierror.New(apierror.InvalidRequest, "request body is not valid JSON: %v", err)
	}
	if root.Type() != fastjson.TypeObject {
		return nil, apierror.New(apierror.InvalidRequest,
			`request body must be a JSON object with a "metrics" array, got %s`, root.Type())
	}
	mv := root.Get("metrics")
	if mv == nil {
		return nil, apierror.New(apierror.InvalidRequest, `request body has no "metrics" array`)
	}
	if mv.Type() != fastjson.TypeArray {
		return nil, apierror.New(apierror.InvalidRequest, `"metrics" must be an array, got %s`, mv.Type())
	}
	arr, _ := mv.Array()
	if len(arr) == 0 {
		return nil, apierror.New(apierror.InvalidRequest, `"metrics" is empty; send at least one metric`)
	}
	if len(arr) > lim.MaxBatch {
		return nil, apierror.New(apierror.InvalidRequest,
			"batch has %d metrics, more than max_batch (%d); split it into smaller batches or raise max_batch",
			len(arr), lim.MaxBatch).
			WithDetails(map[string]any{"limit": lim.MaxBatch, "count": len(arr), "setting": "max_batch"})
	}

	d.lim = lim
	d.nowMs = now.UnixMilli()
	d.min = now.Add(-lim.MaxAge).UnixMilli()
	d.max = now.Add(lim.MaxFuture).UnixMilli()
	// One backing array for every item's labels: one allocation per batch instead of one per
	// item. Sized from the first item; if it has to grow, items already decoded keep the old
	// array, which stays valid.
	d.labels = make([]model.Label, 0, len(arr)*estimateDimensions(arr[0]))
	defer func() { d.labels = nil }()

	b := &Batch{Items: make([]Item, 0, len(arr)), Total: len(arr)}
	for i, v := range arr {
		it, ierr := d.item(i, v)
		if ierr != nil {
			b.Errors = append(b.Errors, *ierr)
			continue
		}
		b.Items = append(b.Items, it)
	}
	return b, nil
}

// estimateDimensions guesses the dimensions per item from the first item: batches are usually
// uniform.
func estimateDimensions(v *fastjson.Value) int {
	if o := v.GetObject("dimensions"); o != nil {
		return min(o.Len(), model.MaxLabels)
	}
	return 0
}

// b2s views b as a string without copying, for checks that do not keep the string.
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
