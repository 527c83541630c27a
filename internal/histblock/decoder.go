package histblock

import "github.com/luminate-metrics/luminate/internal/model"

// Decoder decodes blocks like Unmarshal but takes the histograms and their bucket counts from
// slabs it reuses: a query decodes one chunk, folds it and moves to the next, and a heap object
// per histogram and per bucket slice made the garbage collector the largest cost of a histogram
// query. Everything decoded is valid until the next Reset.
type Decoder struct {
	body  []byte
	hists slab[model.Histogram]
	u64s  slab[uint64]
	f64s  slab[float64]
}

// Reset makes every histogram decoded so far reusable.
func (d *Decoder) Reset() {
	d.hists.reset()
	d.u64s.reset()
	d.f64s.reset()
}

// Unmarshal appends the points of block src to dst.
func (d *Decoder) Unmarshal(dst []Point, src []byte) ([]Point, error) {
	return unmarshal(dst, src, d)
}

// slab hands out slices of blocks that are kept and reused after reset.
type slab[T any] struct {
	blocks [][]T
	cur    int // block in use
	used   int // elements used in blocks[cur]
}

const slabBlock = 1 << 14

func (s *slab[T]) reset() { s.cur, s.used = 0, 0 }

// take returns n zeroed elements that stay valid until reset.
func (s *slab[T]) take(n int) []T {
	if n > slabBlock {
		return make([]T, n)
	}
	if len(s.blocks) == 0 || s.used+n > slabBlock {
		if len(s.blocks) > 0 {
			s.cur++
		}
		if s.cur == len(s.blocks) {
			s.blocks = append(s.blocks, make([]T, slabBlock))
		}
		s.used = 0
	}
	out := s.blocks[s.cur][s.used : s.used+n : s.used+n]
	s.used += n
	clear(out)
	return out
}
