package badgerstore

import (
	"encoding/binary"
	"fmt"
)

// Key prefixes of docs/storage-badger.md ("Keys"). Integers are big-endian so byte order is
// numeric order.
const (
	pfxMeta      = 0x01
	pfxSeqLease  = 0x02
	pfxTenant    = 0x10
	pfxMetric    = 0x11
	pfxSeries    = 0x12
	pfxBlock     = 0x20
	pfxHistBlock = 0x21
	pfxRetention = 0x30
)

const (
	formatVersion = 1
	chunkBits     = 8 // 256 series per chunk
	chunkSize     = 1 << chunkBits
	bucketMs      = 3_600_000 // one hour
	seqLeaseStep  = 1 << 20
)

var metaKey = []byte{pfxMeta, 'm', 'e', 't', 'a'}
var seqLeaseKey = []byte{pfxSeqLease}

func tenantKey(name string) []byte {
	return append([]byte{pfxTenant}, name...)
}

func metricKey(tenantID uint32, name string) []byte {
	b := binary.BigEndian.AppendUint32([]byte{pfxMetric}, tenantID)
	return append(b, name...)
}

func seriesBlockKey(tenantID, metricID uint32, seq uint64) []byte {
	b := make([]byte, 17)
	b[0] = pfxSeries
	binary.BigEndian.PutUint32(b[1:], tenantID)
	binary.BigEndian.PutUint32(b[5:], metricID)
	binary.BigEndian.PutUint64(b[9:], seq)
	return b
}

// blockKeyLen is 1 + tenant 4 + metric 4 + chunk 4 + bucket 4 + seq 8.
const blockKeyLen = 25

// appendBlockKeyKind is appendBlockKey for sample (pfxBlock) or histogram (pfxHistBlock) blocks.
func appendBlockKeyKind(b []byte, pfx byte, tenantID, metricID, chunk, bucket uint32, seq uint64) []byte {
	b = append(b, pfx)
	b = binary.BigEndian.AppendUint32(b, tenantID)
	b = binary.BigEndian.AppendUint32(b, metricID)
	b = binary.BigEndian.AppendUint32(b, chunk)
	b = binary.BigEndian.AppendUint32(b, bucket)
	return binary.BigEndian.AppendUint64(b, seq)
}

// blockPrefix is the prefix of every block of one metric (chunk == nil) or of one chunk.
func blockPrefixKind(pfx byte, tenantID, metricID uint32) []byte {
	b := binary.BigEndian.AppendUint32([]byte{pfx}, tenantID)
	return binary.BigEndian.AppendUint32(b, metricID)
}

type blockKey struct {
	chunk, bucket uint32
	seq           uint64
}

func parseBlockKey(k []byte) (blockKey, error) {
	if len(k) != blockKeyLen || (k[0] != pfxBlock && k[0] != pfxHistBlock) {
		return blockKey{}, fmt.Errorf("badgerstore: block key of %d bytes (want %d)", len(k), blockKeyLen)
	}
	return blockKey{
		chunk:  binary.BigEndian.Uint32(k[9:]),
		bucket: binary.BigEndian.Uint32(k[13:]),
		seq:    binary.BigEndian.Uint64(k[17:]),
	}, nil
}

// bucketOf is the hour bucket of a timestamp; timestamps before 1970 or after 2459 cannot be
// stored (checked by Append).
func bucketOf(t int64) uint32 { return uint32(t / bucketMs) }

const maxStorableT = (1<<32-1)*bucketMs - 1
