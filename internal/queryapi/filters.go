package queryapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxRegexLen bounds the regexes of a filter. RE2 compiles in linear time, but a megabyte of
// alternations still costs milliseconds per series match; 4 KiB is plenty for a dimension value.
const maxRegexLen = 4096

var filterOps = map[string]store.FilterOp{
	"eq": store.OpEq, "ne": store.OpNe, "in": store.OpIn, "nin": store.OpNin,
	"regex": store.OpRegex, "nregex": store.OpNregex, "exists": store.OpExists,
}

const opHelp = "eq, ne, in, nin, regex, nregex or exists"

// parseFilters reads the filters object: {"endpoint": "/api/users", "region": {"in": [...]}}.
// The filters come out sorted by key so that equal queries compare (and cache) equal.
func parseFilters(raw json.RawMessage, lim Limits) ([]store.Filter, error) {
	m, err := object(raw, "filters")
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]store.Filter, 0, len(keys))
	for _, k := range keys {
		f, err := parseFilter(k, m[k], lim)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFilter(key string, raw json.RawMessage, lim Limits) (store.Filter, error) {
	field := "filters." + key
	if err := model.CheckLabelName(key); err != nil {
		return store.Filter{}, invalid("filters", "%v", err)
	}
	switch kind(raw) {
	case '"':
		v, err := str(raw, field)
		return store.Filter{Key: key, Op: store.OpEq, Values: []string{v}}, err
	case '{':
	default:
		// Decision: numbers are not coerced; dimension values are strings and 200 vs "200"
		// would be a silent guess.
		return store.Filter{}, invalid(field, `must be a string or an operator object such as {"in": ["a", "b"]}, got %s (dimension values are strings: write "200", not 200)`, describe(raw))
	}
	ops, err := object(raw, field)
	if err != nil {
		return store.Filter{}, err
	}
	if len(ops) != 1 {
		names := make([]string, 0, len(ops))
		for k := range ops {
			names = append(names, k)
		}
		slices.Sort(names)
		return store.Filter{}, invalid(field, "needs exactly one operator (%s), got %d: [%s]", opHelp, len(ops), strings.Join(names, ", "))
	}
	var name string
	var arg json.RawMessage
	for name, arg = range ops { // the only member
	}
	op, ok := filterOps[name]
	if !ok {
		return store.Filter{}, invalid(field, "unknown operator %q; use %s", name, opHelp)
	}
	return operand(store.Filter{Key: key, Op: op}, field+"."+name, arg, lim)
}

func operand(f store.Filter, field string, arg json.RawMessage, lim Limits) (store.Filter, error) {
	var err error
	switch f.Op {
	case store.OpEq, store.OpNe:
		var v string
		v, err = str(arg, field)
		f.Values = []string{v}
	case store.OpIn, store.OpNin:
		f.Values, err = strList(arg, field)
		if err == nil && len(f.Values) == 0 {
			err = invalid(field, "list is empty; give at least one value")
		}
		if err == nil && len(f.Values) > lim.MaxFilterValues {
			err = tooLarge("%s: list has %d values, more than the maximum of %d (query.max_filter_values)", field, len(f.Values), lim.MaxFilterValues)
		}
	case store.OpRegex, store.OpNregex:
		var re string
		if re, err = str(arg, field); err == nil {
			f.Regex, err = compileAnchored(re, field)
		}
	case store.OpExists:
		f.Exists, err = boolean(arg, field)
	}
	return f, err
}

// compileAnchored compiles re anchored at both ends, like a PromQL label matcher. re is first
// compiled alone: "a)|(b" would otherwise turn ^(?:a)|(b)$ into an unanchored alternation.
func compileAnchored(re, field string) (*regexp.Regexp, error) {
	if len(re) > maxRegexLen {
		return nil, invalid(field, "regex is %d bytes, at most %d are accepted", len(re), maxRegexLen)
	}
	if _, err := regexp.Compile(re); err != nil {
		return nil, invalid(field, "invalid RE2 regex: %v", err)
	}
	anchored, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil {
		return nil, invalid(field, "invalid RE2 regex: %v", err)
	}
	return anchored, nil
}
