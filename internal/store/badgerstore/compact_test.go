package badgerstore

import (
	"testing"
	"time"
)

// due picks chunk-hours whose hour closed more than closedGrace ago, or that sat idle with
// enough blocks; a single block is never rewritten.
func TestCompactorDue(t *testing.T) {
	c := newCompactor(nil)
	now := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	hour := func(h int) uint32 { return bucketOf(time.Date(2026, 11, 27, h, 0, 0, 0, time.UTC).UnixMilli()) }
	closed := chunkHour{chunk: 1, bucket: hour(9)}
	current := chunkHour{chunk: 2, bucket: hour(10)}
	idle := chunkHour{chunk: 3, bucket: hour(10)}
	single := chunkHour{chunk: 4, bucket: hour(8)}
	for range 2 {
		c.noteWrite(closed, now)
		c.noteWrite(current, now)
	}
	for range idleMinBlocks {
		c.noteWrite(idle, now.Add(-idleAfter-time.Second))
	}
	c.noteWrite(single, now)
	due := map[chunkHour]bool{}
	for _, ch := range c.due(now) {
		due[ch] = true
	}
	if !due[closed] || due[current] || !due[idle] || due[single] || len(due) != 2 {
		t.Fatalf("due: %v", due)
	}
	// the closed hour only after the grace period
	if got := c.due(time.Date(2026, 11, 27, 10, 1, 0, 0, time.UTC)); len(got) != 0 {
		t.Fatalf("due within the grace period: %v", got)
	}
}
