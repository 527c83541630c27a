package badgerstore

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
)

// A series block holds the records of the series one commit created in one metric: sid and
// canonical labels, zstd-compressed together. One key per series would cost ~110 bytes each
// (3.7 bytes per point at 30 points per series); batched, the repeated key names and value
// prefixes compress to ~10 bytes per series.

const seriesBlockVersion = 1

var (
	recEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2))
	recDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(512<<20))
)

type seriesRecord struct {
	sid    uint32
	labels model.Labels
}

func encodeSeriesBlock(recs []seriesRecord) []byte {
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(recs)))
	for _, r := range recs {
		body = binary.AppendUvarint(body, uint64(r.sid))
		body = seriesindex.AppendCanonical(body, r.labels)
	}
	return recEnc.EncodeAll(body, []byte{seriesBlockVersion})
}

func decodeSeriesBlock(v []byte, fn func(sid uint32, ls model.Labels)) error {
	if len(v) < 1 || v[0] != seriesBlockVersion {
		return fmt.Errorf("series block of %d bytes with unknown version", len(v))
	}
	body, err := recDec.DecodeAll(v[1:], nil)
	if err != nil {
		return fmt.Errorf("series block: %w", err)
	}
	n, k := binary.Uvarint(body)
	if k <= 0 {
		return fmt.Errorf("series block: bad count")
	}
	body = body[k:]
	for i := range n {
		sid, k := binary.Uvarint(body)
		if k <= 0 || sid > 1<<32-1 {
			return fmt.Errorf("series block: bad sid in record %d of %d", i, n)
		}
		body = body[k:]
		ls, rest, err := seriesindex.ParseCanonicalPrefix(body)
		if err != nil {
			return fmt.Errorf("series block record %d of %d: %w", i, n, err)
		}
		body = rest
		fn(uint32(sid), ls)
	}
	return nil
}
