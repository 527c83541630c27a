package queryapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// invalid is a 400 INVALID_QUERY whose message starts with the field it is about.
func invalid(field, format string, args ...any) *apierror.Error {
	return apierror.New(apierror.InvalidQuery, "%s: %s", field, fmt.Sprintf(format, args...))
}

// tooLarge is a 422 QUERY_TOO_LARGE; the message must name the setting that raises the limit.
func tooLarge(format string, args ...any) *apierror.Error {
	return apierror.New(apierror.QueryTooLarge, format, args...)
}

// object decodes a JSON object into its raw members. Unlike encoding/json struct decoding,
// member names are later matched exactly (camelCase is the contract, "metricname" is a typo).
// Members whose value is null are dropped: null means "not given".
func object(raw json.RawMessage, field string) (map[string]json.RawMessage, error) {
	if kind(raw) != '{' {
		if !json.Valid(raw) { // only a whole body can be invalid; members were checked with it
			var v any
			return nil, invalid(field, "is not valid JSON: %v", json.Unmarshal(raw, &v))
		}
		return nil, invalid(field, "must be a JSON object, got %s", describe(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid(field, "is not valid JSON: %v", err)
	}
	for k, v := range m {
		if kind(v) == 'n' {
			delete(m, k)
		}
	}
	return m, nil
}

// checkKnown rejects members of m that are not in known, suggesting the right spelling when a
// member differs only in case.
func checkKnown(m map[string]json.RawMessage, field string, known []string) error {
	var unknown []string
	for k := range m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown) // the first one in a stable order, so the message is reproducible
	k := unknown[0]
	for _, kn := range known {
		if strings.EqualFold(k, kn) {
			return invalid(field, "unknown field %q; did you mean %q?", k, kn)
		}
	}
	return invalid(field, "unknown field %q; accepted fields are %s", k, strings.Join(known, ", "))
}

// kind returns the first byte of a JSON value ('{', '[', '"', 'n', 't', 'f', or a digit/'-'
// for numbers), or 0 for an empty value.
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// describe names the JSON type of raw for error messages.
func describe(raw json.RawMessage) string {
	switch k := kind(raw); {
	case k == '{':
		return "an object"
	case k == '[':
		return "an array"
	case k == '"':
		return "a string"
	case k == 'n':
		return "null"
	case k == 't' || k == 'f':
		return "a boolean"
	case k == '-' || (k >= '0' && k <= '9'):
		return "a number"
	}
	return "nothing"
}

func str(raw json.RawMessage, field string) (string, error) {
	if kind(raw) != '"' {
		return "", invalid(field, "must be a string, got %s", describe(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(field, "is not a valid JSON string: %v", err)
	}
	return s, nil
}

func strList(raw json.RawMessage, field string) ([]string, error) {
	if kind(raw) != '[' {
		return nil, invalid(field, "must be an array of strings, got %s", describe(raw))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, invalid(field, "is not a valid JSON array: %v", err)
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, err := str(it, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func boolean(raw json.RawMessage, field string) (bool, error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(field, "must be true or false, got %s", describe(raw))
}

// maxExactInt is 2^53: float64 numbers above it are not exact integers any more.
const maxExactInt = 1 << 53

// integer reads an integral JSON number. 100 and 100.0 and 1e2 are accepted; 100.5 is not.
func integer(raw json.RawMessage, field string) (int64, error) {
	k := kind(raw)
	if k != '-' && (k < '0' || k > '9') {
		return 0, invalid(field, "must be an integer, got %s", describe(raw))
	}
	s := string(bytes.TrimSpace(raw))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > maxExactInt {
		return 0, invalid(field, "must be an integer, got %s", s)
	}
	return int64(f), nil
}
