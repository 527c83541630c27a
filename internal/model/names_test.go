package model

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"api_latency": true, "http.server.duration": true, "_x": true, "A9": true,
		"": false, "9a": false, ".a": false, "a-b": false, "a b": false, "é": false, "a/b": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	if CheckMetricName(strings.Repeat("a", MaxMetricNameLen)) != nil || CheckMetricName(strings.Repeat("a", MaxMetricNameLen+1)) == nil {
		t.Error("metric name length limit is not exactly 256")
	}
	if CheckLabelName(strings.Repeat("k", MaxLabelNameLen)) != nil || CheckLabelName(strings.Repeat("k", MaxLabelNameLen+1)) == nil {
		t.Error("dimension key length limit is not exactly 128")
	}
	if CheckLabelValue("k", strings.Repeat("v", MaxLabelValueLen)) != nil || CheckLabelValue("k", strings.Repeat("v", MaxLabelValueLen+1)) == nil {
		t.Error("dimension value length limit is not exactly 1024")
	}
	for _, bad := range []string{"", "a\x00b", "tab\there", "del\x7f", "c1\u0085", string([]byte{0xff})} {
		if err := CheckLabelValue("k", bad); err == nil {
			t.Errorf("value %q accepted", bad)
		}
	}
	if err := CheckLabelValue("k", "ünïcode ✓ /api/users?id=1"); err != nil {
		t.Errorf("printable UTF-8 refused: %v", err)
	}
}

func TestLabels(t *testing.T) {
	ls := FromMap(map[string]string{"b": "2", "a": "1"})
	if ls[0].Name != "a" || ls[1].Name != "b" {
		t.Fatalf("not sorted: %v", ls)
	}
	if v, ok := ls.Get("b"); !ok || v != "2" {
		t.Fatalf("Get: %q %v", v, ok)
	}
	if _, ok := ls.Get("c"); ok {
		t.Fatal("Get of a missing key")
	}
	if CompareLabels(ls, ls.Copy()) != 0 || CompareLabels(ls[:1], ls) >= 0 || CompareLabels(ls, Labels{{Name: "a", Value: "0"}}) <= 0 {
		t.Fatal("CompareLabels ordering")
	}
	for _, typ := range []MetricType{TypeGauge, TypeCounter, TypeUpDownCounter, TypeHistogram, TypeExpHistogram, TypeSummary} {
		if back, ok := ParseMetricType(typ.String()); !ok || back != typ {
			t.Errorf("type %v does not round-trip", typ)
		}
	}
}
