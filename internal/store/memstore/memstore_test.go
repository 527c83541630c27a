package memstore_test

import (
	"testing"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

// The reference must pass the hand-computed cases itself; the differential part then compares
// it with itself, which checks only determinism.
func TestSemantics(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}
