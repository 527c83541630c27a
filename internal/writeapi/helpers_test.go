package writeapi

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// testNow is 2024-12-31T00:00:00Z, the api.md example timestamp, so examples read naturally.
var testNow = time.UnixMilli(1735603200000).UTC()

const testNowMs = 1735603200000

func decodeString(t *testing.T, body string) (*Batch, error) {
	t.Helper()
	return Decode(strings.NewReader(body), "", DefaultLimits(), testNow)
}

// decodeItem decodes a request with the single item itemJSON.
func decodeItem(t *testing.T, itemJSON string) *Batch {
	t.Helper()
	b, err := decodeString(t, `{"metrics":[`+itemJSON+`]}`)
	if err != nil {
		t.Fatalf("decode %s: whole-request error %v", itemJSON, err)
	}
	if len(b.Items)+len(b.Errors) != 1 || b.Total != 1 {
		t.Fatalf("decode %s: %d items, %d errors, total %d", itemJSON, len(b.Items), len(b.Errors), b.Total)
	}
	return b
}

// requireAPIError checks that err is an *apierror.Error with code, status and a message that
// contains every part of want.
func requireAPIError(t *testing.T, err error, code apierror.Code, status int, want ...string) {
	t.Helper()
	var e *apierror.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	if e.Code != code || e.HTTPStatus() != status {
		t.Fatalf("error %q: code %s status %d, want %s %d", e.Message, e.Code, e.HTTPStatus(), code, status)
	}
	for _, w := range want {
		if !strings.Contains(e.Message, w) {
			t.Fatalf("error message %q does not contain %q", e.Message, w)
		}
	}
}
