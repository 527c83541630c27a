package writeapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

func item(name string, dims string) string {
	return fmt.Sprintf(`{"name":%q,"timestamp":%d,"value":1,"dimensions":%s}`, name, testNowMs, dims)
}

// dims renders n dimensions k0..k(n-1).
func dims(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%02d":"v"`, i)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestItemRules runs every per-item rule of api.md at its boundaries. want "" means accepted.
func TestItemRules(t *testing.T) {
	name256 := "a" + strings.Repeat("b", 255)
	key128 := "k" + strings.Repeat("x", 127)
	val1024 := strings.Repeat("v", 1024)
	const bad, badName = apierror.InvalidRequest, apierror.InvalidMetricName
	cases := []struct {
		desc string
		item string
		code apierror.Code // "" = accepted
		msg  string        // part of the error message
	}{
		// metric name: ^[a-zA-Z_][a-zA-Z0-9_.]*$, 1-256 bytes
		{"name 256 bytes", item(name256, `{}`), "", ""},
		{"name 257 bytes", item(name256+"c", `{}`), badName, "1-256 bytes, got 257"},
		{"name empty", item("", `{}`), badName, "1-256 bytes, got 0"},
		{"name with dots and digits", item("http.server.duration_2", `{}`), "", ""},
		{"name leading underscore", item("_x", `{}`), "", ""},
		{"name leading digit", item("9lives", `{}`), badName, "must match"},
		{"name leading dot", item(".x", `{}`), badName, "must match"},
		{"name with dash", item("api-latency", `{}`), badName, "must match"},
		{"name with space", item("api latency", `{}`), badName, "must match"},
		{"name non-ASCII", item("latenz_ä", `{}`), badName, "must match"},
		{"name missing", `{"value":1}`, badName, `"name" is required`},
		{"name number", `{"name":5,"value":1}`, badName, `"name" must be a string, got number`},
		{"name null", `{"name":null,"value":1}`, badName, "got null"},
		// dimension keys: same pattern, 1-128 bytes
		{"key 128 bytes", item("m", `{"`+key128+`":"v"}`), "", ""},
		{"key 129 bytes", item("m", `{"`+key128+`x":"v"}`), bad, "dimension key must be 1-128 bytes, got 129"},
		{"key empty", item("m", `{"":"v"}`), bad, "1-128 bytes, got 0"},
		{"key with dot", item("m", `{"service.name":"v"}`), "", ""},
		{"key leading digit", item("m", `{"1a":"v"}`), bad, `dimension key "1a" must match`},
		{"key with dash", item("m", `{"customer-id":"v"}`), bad, "must match"},
		{"key twice", item("m", `{"a":"1","b":"2","a":"3"}`), bad, `dimension key "a" appears more than once`},
		// dimension values: 1-1024 bytes of UTF-8 without control characters
		{"value 1024 bytes", item("m", `{"k":"`+val1024+`"}`), "", ""},
		{"value 1025 bytes", item("m", `{"k":"`+val1024+`v"}`), bad, `value of dimension "k" must be 1-1024 bytes, got 1025`},
		{"value empty", item("m", `{"k":""}`), bad, "1-1024 bytes, got 0"},
		{"value UTF-8", item("m", `{"k":"Zürich 東京 🚀"}`), "", ""},
		{"value escaped newline", item("m", `{"k":"a\nb"}`), bad, "control character U+000A"},
		{"value NUL", item("m", `{"k":"a\u0000b"}`), bad, "control character U+0000"},
		{"value DEL", item("m", `{"k":"a\u007fb"}`), bad, "control character U+007F"},
		{"value C1 control", item("m", `{"k":"a\u0085b"}`), bad, "control character U+0085"},
		{"value invalid UTF-8", item("m", "{\"k\":\"a\xffb\"}"), bad, "not valid UTF-8"},
		{"value lone surrogate", item("m", `{"k":"a\ud800b"}`), "", ""}, // kept as the literal text \ud800
		{"value number", item("m", `{"k":42}`), bad, `value of dimension "k" must be a string, got number; send it quoted, e.g. "42"`},
		{"value bool", item("m", `{"k":true}`), bad, "must be a string, got true"},
		{"value null", item("m", `{"k":null}`), bad, "must be a string, got null"},
		{"value object", item("m", `{"k":{}}`), bad, "must be a string, got object"},
		// dimension count: at most 32
		{"32 dimensions", item("m", dims(32)), "", ""},
		{"33 dimensions", item("m", dims(33)), bad, `"dimensions" has 33 keys, at most 32 are allowed`},
		{"dimensions null", item("m", `null`), "", ""},
		{"dimensions absent", fmt.Sprintf(`{"name":"m","timestamp":%d,"value":1}`, testNowMs), "", ""},
		{"dimensions array", item("m", `["a"]`), bad, `"dimensions" must be an object of string values, got array`},
		{"dimensions string", item("m", `"a=b"`), bad, "got string"},
		// value: a finite JSON number
		{"value missing", `{"name":"m"}`, bad, `"value" is required`},
		{"value string", `{"name":"m","value":"145.5"}`, bad, `"value" must be a JSON number, got string`},
		{"value null", `{"name":"m","value":null}`, bad, "got null"},
		{"value bool", `{"name":"m","value":true}`, bad, "got true"},
		{"value NaN", `{"name":"m","value":NaN}`, bad, `"value" must be a finite number, got NaN`},
		{"value Inf", `{"name":"m","value":-Inf}`, bad, "must be a finite number"},
		{"value overflow", `{"name":"m","value":1e999}`, bad, "must be a finite number, got 1e999"},
		{"value largest float", `{"name":"m","value":1.7976931348623157e308}`, "", ""},
		{"value negative zero", `{"name":"m","value":-0}`, "", ""},
		// item shape
		{"item is a number", `42`, bad, "metric must be a JSON object, got number"},
		{"item is an array", `[]`, bad, "got array"},
		{"unknown fields ignored", `{"name":"m","value":1,"type":"gauge","unit":"ms"}`, "", ""},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			b := decodeItem(t, c.item)
			if c.code == "" {
				if len(b.Errors) != 0 {
					t.Fatalf("refused: %+v", b.Errors[0])
				}
				return
			}
			if len(b.Errors) != 1 {
				t.Fatalf("accepted %+v, want %s", b.Items[0], c.code)
			}
			e := b.Errors[0]
			if e.Index != 0 || e.Code != c.code || !strings.Contains(e.Error, c.msg) {
				t.Fatalf("got %+v, want code %s and message containing %q", e, c.code, c.msg)
			}
		})
	}
}

func TestItemFields(t *testing.T) {
	b := decodeItem(t, `{"name":"api_latency","timestamp":1735603200000,"value":145.5,
		"dimensions":{"endpoint":"/api/users","customer_id":"cust_123","az":"a"}}`)
	it := b.Items[0]
	want := model.Labels{{Name: "az", Value: "a"}, {Name: "customer_id", Value: "cust_123"}, {Name: "endpoint", Value: "/api/users"}}
	if it.Name != "api_latency" || it.T != testNowMs || it.V != 145.5 || fmt.Sprint(it.Labels) != fmt.Sprint(want) {
		t.Fatalf("got %+v", it)
	}
	// Escapes are decoded before validation and storage.
	b = decodeItem(t, `{"name":"api\u005flatency","value":1,"dimensions":{"p\u0061th":"/a\/b \u00e9"}}`)
	if it := b.Items[0]; it.Name != "api_latency" || it.Labels[0] != (model.Label{Name: "path", Value: "/a/b é"}) {
		t.Fatalf("escapes: got %+v", it)
	}
}

// TestItemErrorsKeepOrder checks that good and bad items keep their request indexes and that
// errors name the metric.
func TestItemErrorsKeepOrder(t *testing.T) {
	b, err := decodeString(t, `{"metrics":[
		{"name":"ok_a","value":1},
		{"name":"bad-name","value":1},
		{"name":"ok_b","value":2},
		{"name":"no_value"},
		{"name":"ok_c","value":3,"dimensions":{"k":"v"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 5 || len(b.Items) != 3 || len(b.Errors) != 2 {
		t.Fatalf("total %d, %d items, %d errors", b.Total, len(b.Items), len(b.Errors))
	}
	for i, want := range []int{0, 2, 4} {
		if b.Items[i].Index != want {
			t.Fatalf("item %d has index %d, want %d", i, b.Items[i].Index, want)
		}
	}
	e1, e3 := b.Errors[0], b.Errors[1]
	if e1.Index != 1 || e1.Metric != "bad-name" || e1.Code != apierror.InvalidMetricName {
		t.Fatalf("error 1: %+v", e1)
	}
	if e3.Index != 3 || e3.Metric != "no_value" || e3.Code != apierror.InvalidRequest {
		t.Fatalf("error 3: %+v", e3)
	}
}

// TestLabelsDoNotAlias decodes two batches with one decoder and checks that the first batch's
// strings and labels survive the second: the decoder reuses its buffers, and items must not
// point into them.
func TestLabelsDoNotAlias(t *testing.T) {
	d := NewDecoder()
	lim := DefaultLimits()
	first, err := d.Decode(strings.NewReader(`{"metrics":[{"name":"first_metric","value":1,"dimensions":{"kind":"first_value_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","b":"short"}}]}`), "", lim, testNow)
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(first.Items)
	if _, err := d.Decode(strings.NewReader(`{"metrics":[{"name":"other_metric","value":2,"dimensions":{"kind":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","b":"other"}}]}`), "", lim, testNow); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(first.Items); after != before {
		t.Fatalf("first batch changed after second decode:\n%s\n%s", before, after)
	}
}

// TestLongNameEcho: a refused over-long name comes back cut, not in full.
func TestLongNameEcho(t *testing.T) {
	b := decodeItem(t, item(strings.Repeat("n", 5000), `{}`))
	e := b.Errors[0]
	if e.Metric != strings.Repeat("n", 256)+"..." || !strings.Contains(e.Error, "1-256 bytes, got 5000") {
		t.Fatalf("got metric of %d bytes, error %q", len(e.Metric), e.Error)
	}
}

// TestEmptyNamesAfterGoodItems: the fast path that reuses the previous item's name and keys
// must still refuse empty ones (found by FuzzDecode).
func TestEmptyNamesAfterGoodItems(t *testing.T) {
	b, err := decodeString(t, `{"metrics":[{"name":"m","value":1,"dimensions":{"a":"x"}},{"name":"","value":1},{"name":"m","value":1,"dimensions":{"a":"x","":"y"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != 1 || len(b.Errors) != 2 || b.Errors[0].Code != apierror.InvalidMetricName || b.Errors[1].Code != apierror.InvalidRequest {
		t.Fatalf("items %+v errors %+v", b.Items, b.Errors)
	}
	// The very first item of a fresh decoder, where the remembered name and keys are "".
	b = decodeItem(t, `{"name":"","value":1}`)
	if len(b.Errors) != 1 {
		t.Fatalf("empty name accepted: %+v", b.Items)
	}
	d := NewDecoder()
	b, err = d.Decode(strings.NewReader(`{"metrics":[{"name":"m","value":1,"dimensions":{"":"y"}}]}`), "", DefaultLimits(), testNow)
	if err != nil || len(b.Errors) != 1 {
		t.Fatalf("empty key accepted by a fresh decoder: %v %+v", err, b.Items)
	}
}
