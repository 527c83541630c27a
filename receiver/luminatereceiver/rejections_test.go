package luminatereceiver

import (
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
)

// TestAppendKeyUnambiguous: label values may contain any printable text, including the
// separators; the length prefix keeps different label sets apart.
func TestAppendKeyUnambiguous(t *testing.T) {
	a := appendKey(nil, "m", 1, model.Labels{{Name: "a", Value: "x\xffb\xff1:y"}})
	b := appendKey(nil, "m", 1, model.Labels{{Name: "a", Value: "x"}, {Name: "b", Value: "y"}})
	if string(a) == string(b) {
		t.Fatal("two label sets share a key")
	}
	if string(appendKey(nil, "m", 1, nil)) == string(appendKey(nil, "m", 10, nil)) {
		t.Fatal("two timestamps share a key")
	}
}

func TestSubset(t *testing.T) {
	ab := model.Labels{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}
	abc := model.Labels{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}}
	b := model.Labels{{Name: "b", Value: "2"}}
	bOther := model.Labels{{Name: "b", Value: "9"}}
	for _, c := range []struct {
		a, b model.Labels
		want bool
	}{
		{nil, ab, true}, {ab, abc, true}, {b, abc, true}, {abc, ab, false}, {bOther, abc, false}, {ab, ab, true},
	} {
		if got := subset(c.a, c.b); got != c.want {
			t.Errorf("subset(%v, %v) = %v", c.a, c.b, got)
		}
	}
}
