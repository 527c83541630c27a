package writeapi

import (
	"fmt"
	"testing"
)

func TestStringCache(t *testing.T) {
	c := newStringCache(64)
	if _, _, ok := c.get(nil); ok {
		t.Fatal("empty slots must not match the empty string")
	}
	_, set, ok := c.get([]byte("endpoint"))
	if ok {
		t.Fatal("hit in an empty cache")
	}
	s := c.add([]byte("endpoint"), set)
	if got, _, ok := c.get([]byte("endpoint")); !ok || got != s {
		t.Fatalf("miss after add: %q %v", got, ok)
	}
	// A hot value used every 4th lookup survives a stream of unique ones (the customer-id
	// pattern): with two ways per set, two unique strings must hit its set between two uses.
	misses := 0
	for i := range 10000 {
		b := []byte(fmt.Sprintf("cust_%06d", i))
		if _, set, ok := c.get(b); !ok {
			c.add(b, set)
		}
		if i%4 == 0 {
			if _, set, ok := c.get([]byte("endpoint")); !ok {
				misses++
				c.add([]byte("endpoint"), set)
			}
		}
	}
	if misses > 2500/8 {
		t.Fatalf("hot value missed %d of 2500 lookups", misses)
	}
}
