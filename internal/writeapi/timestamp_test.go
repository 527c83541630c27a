package writeapi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// TestTimestamps covers every accepted form and both window edges. testNow is
// 2024-12-31T00:00:00Z = 1735603200 s; the default window is [now-7d, now+1h].
func TestTimestamps(t *testing.T) {
	const week, hour = int64(7 * 24 * 3600 * 1000), int64(3600 * 1000)
	cases := []struct {
		desc string
		ts   string // JSON text of "timestamp"; "" = absent
		want int64  // Unix ms when accepted
		msg  string // part of the error when refused
	}{
		{"Unix ms", `1735603200000`, testNowMs, ""},
		{"Unix s", `1735603200`, testNowMs, ""},
		{"fractional s, half", `1735603200.5`, testNowMs + 500, ""},
		{"fractional s, truncated below ms", `1735603200.1239`, testNowMs + 123, ""},
		{"fractional s, one digit", `1735603199.9`, testNowMs - 100, ""},
		{"fractional ms truncated", `1735603200000.9`, testNowMs, ""},
		{"exponent ms", `1.7356032e12`, testNowMs, ""},
		{"exponent s", `1.7356032e9`, testNowMs, ""},
		{"RFC 3339 UTC", `"2024-12-31T00:00:00Z"`, testNowMs, ""},
		{"RFC 3339 offset", `"2024-12-31T01:00:00+01:00"`, testNowMs, ""},
		{"RFC 3339 fraction truncated", `"2024-12-30T23:59:59.123456789Z"`, testNowMs - 877, ""},
		{"absent is now", ``, testNowMs, ""},
		{"null is now", `null`, testNowMs, ""},
		// window edges, inclusive
		{"oldest accepted", fmt.Sprint(testNowMs - week), testNowMs - week, ""},
		{"1 ms too old", fmt.Sprint(testNowMs - week - 1), 0,
			`"timestamp" 2024-12-23T23:59:59.999Z is older than max_age (168h0m0s before the server time 2024-12-31T00:00:00.000Z); raise max_age`},
		{"newest accepted", fmt.Sprint(testNowMs + hour), testNowMs + hour, ""},
		{"1 ms too new", fmt.Sprint(testNowMs + hour + 1), 0,
			`"timestamp" 2024-12-31T01:00:00.001Z is more than max_future (1h0m0s) after the server time 2024-12-31T00:00:00.000Z`},
		{"oldest accepted in s", fmt.Sprint((testNowMs - week) / 1000), testNowMs - week, ""},
		{"too old in s", fmt.Sprint((testNowMs-week)/1000 - 1), 0, "older than max_age"},
		{"too new in RFC 3339", `"2024-12-31T01:00:00.001Z"`, 0, "more than max_future"},
		// the seconds/milliseconds switch at 100000000000
		{"largest seconds value", `99999999999`, 0, "5138-11-16T09:46:39.000Z is more than max_future"},
		{"smallest ms value", `100000000000`, 0, "1973-03-03T09:46:40.000Z is older than max_age"},
		{"zero", `0`, 0, "1970-01-01T00:00:00.000Z is older"},
		{"negative", `-1`, 0, "older than max_age"},
		{"huge", `123456789012345678901234567890`, 0, "more than max_future"},
		// not a time
		{"numeric string", `"1735603200000"`, 0, `"timestamp" "1735603200000" is not an RFC 3339 time`},
		{"date only", `"2024-12-31"`, 0, "is not an RFC 3339 time"},
		{"bool", `true`, 0, `"timestamp" must be a number (Unix ms or s) or an RFC 3339 string, got true`},
		{"object", `{}`, 0, "got object"},
		{"leading zero", `01735603200`, 0, "is not a valid number"},
		{"minus inside", `1-2`, 0, "is not a valid number"},
		{"NaN", `NaN`, 0, "is not a valid number"},
		{"bad exponent", `1e`, 0, "is not a valid number"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			ts := ""
			if c.ts != "" {
				ts = `,"timestamp":` + c.ts
			}
			b := decodeItem(t, `{"name":"m","value":1`+ts+`}`)
			if c.msg == "" {
				if len(b.Errors) != 0 {
					t.Fatalf("refused: %s", b.Errors[0].Error)
				}
				if got := b.Items[0].T; got != c.want {
					t.Fatalf("T = %d (%s), want %d (%s)", got, formatMs(got), c.want, formatMs(c.want))
				}
				return
			}
			if len(b.Errors) != 1 {
				t.Fatalf("accepted T=%d, want error %q", b.Items[0].T, c.msg)
			}
			if e := b.Errors[0]; e.Code != apierror.InvalidRequest || !strings.Contains(e.Error, c.msg) {
				t.Fatalf("got %s %q, want INVALID_REQUEST containing %q", e.Code, e.Error, c.msg)
			}
		})
	}
}

// TestTimestampWindowConfigurable checks that MaxAge and MaxFuture move the window and that the
// messages quote the configured values.
func TestTimestampWindowConfigurable(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxAge = time.Hour
	lim.MaxFuture = 0
	body := fmt.Sprintf(`{"metrics":[{"name":"m","value":1,"timestamp":%d},{"name":"m","value":1,"timestamp":%d},{"name":"m","value":1,"timestamp":%d}]}`,
		testNowMs-3600_000, testNowMs-3600_001, testNowMs+1)
	b, err := Decode(strings.NewReader(body), "", lim, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != 1 || len(b.Errors) != 2 {
		t.Fatalf("%d items, %d errors", len(b.Items), len(b.Errors))
	}
	if !strings.Contains(b.Errors[0].Error, "max_age (1h0m0s") || !strings.Contains(b.Errors[1].Error, "max_future (0s)") {
		t.Fatalf("errors: %+v", b.Errors)
	}
}

func TestParseNumericTimestamp(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1000, "1.5": 1500, "-1.5": -1500, "1.0005": 1000, "99999999999.999": 99999999999999,
		"100000000000": 100000000000, "100000000000.5": 100000000000, "1e3": 1000000, "1E+3": 1000000,
		"2e11": 200000000000, "1735603200123": 1735603200123,
	} {
		if got, ok := parseNumericTimestamp(in); !ok || got != want {
			t.Errorf("parseNumericTimestamp(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", "+1", "01", "1.", ".5", "1..2", "1e", "1-2", "inf", "nan", "0x10", "1e999"} {
		if got, ok := parseNumericTimestamp(in); ok {
			t.Errorf("parseNumericTimestamp(%q) = %d, want not ok", in, got)
		}
	}
}
