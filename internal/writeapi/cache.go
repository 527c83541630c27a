package writeapi

import "hash/maphash"

// cacheSeed is shared by every cache: the hash only spreads strings over slots.
var cacheSeed = maphash.MakeSeed()

// stringCache is a small two-way set-associative cache of strings that passed one validation
// rule. Metric names, dimension keys and most dimension values repeat within and across
// requests; a hit costs one hash and one compare, skips the validation and allocates nothing,
// and a miss allocates the string once. Unlike a map it never needs clearing and its size is
// fixed, whatever clients send. Two ways per set (most recent first) keep a hot value such as
// an endpoint from being evicted by a stream of unique customer ids that hash to its set.
type stringCache struct {
	slots []string // len is a power of two; set i is slots[2i], slots[2i+1]
}

func newStringCache(size int) stringCache {
	return stringCache{slots: make([]string, size)}
}

func (c *stringCache) set(b []byte) int {
	return int(maphash.Bytes(cacheSeed, b)) & (len(c.slots) - 1) &^ 1
}

// get returns the cached string equal to b, or false and the set to pass to add. string(b) in
// a comparison does not allocate.
func (c *stringCache) get(b []byte) (string, int, bool) {
	i := c.set(b)
	if s := c.slots[i]; s == string(b) && s != "" {
		return s, i, true
	}
	if s := c.slots[i+1]; s == string(b) && s != "" {
		c.slots[i+1], c.slots[i] = c.slots[i], s // promote: the other way is the older one now
		return s, i, true
	}
	return "", i, false
}

// add stores a copy of b as the most recent entry of set i (from get) and returns it.
func (c *stringCache) add(b []byte, i int) string {
	s := string(b)
	c.slots[i+1] = c.slots[i]
	c.slots[i] = s
	return s
}
