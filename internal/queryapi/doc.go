// Package queryapi turns the JSON body of POST /api/v1/query (docs/api.md) into a validated
// store.Query, and a store.Result back into the JSON response. It knows nothing about HTTP: the
// query server calls Parse and AppendResponse and renders the errors (*apierror.Error) they return.
//
// Decisions taken where api.md is silent (each is also commented where it is implemented):
//
//   - Unknown top-level fields are rejected (400 INVALID_QUERY, with a "did you mean" hint for a
//     wrong case): a misspelled "filter" or "agregation" silently ignored would answer a different
//     question than the one asked. Field names match exactly (camelCase), unlike encoding/json.
//   - A JSON null is the same as an absent optional field (JavaScript clients send null for unset).
//   - A missing timeRange means the last hour (Limits.DefaultRange). In timeRange, start without
//     end means "until now"; end without start, or relative together with start/end, is invalid.
//   - Unix-ms timestamps must be integral, and every time must lie in [1970-01-01, 9999-12-31]
//     so that responses can render it as RFC 3339. Numbers are milliseconds, always (the
//     seconds heuristic of the write API is not applied: api.md says Unix ms for queries).
//   - Durations (relative, interval, timeout) are Go durations plus d (24h) and w (7d), e.g.
//     "1d12h"; no sign, every number needs a unit. interval must be a whole number of
//     milliseconds and at least Limits.MinInterval (1s).
//   - Malformed input is 400 INVALID_QUERY; well-formed input over a configured size limit
//     (range, buckets, limit, groupBy keys, in/nin values) is 422 QUERY_TOO_LARGE naming the
//     setting; a body over Limits.MaxBodyBytes is 413 PAYLOAD_TOO_LARGE.
//   - timeout above Limits.MaxTimeout is capped, not rejected (api.md: "capped at 30 s").
//   - aggregation is validated for every queryType but only used where it means something:
//     aggregate, and range with interval (default avg). For a raw range query and for rate it is
//     ignored, as is groupBy for a raw range query, so a dashboard may switch queryType alone.
//   - Names are case-sensitive: "AVG", "Range" and "ASC" are invalid.
//   - Percentiles: p, 1-3 integer digits, optionally "." and 1-3 fraction digits, in (0, 100]:
//     p50, p99.9, p99.999, p100; p0 and p100.1 are invalid.
//   - Filter values are strings (dimension values are strings; {"status": 200} is rejected with
//     a hint). "" is allowed and matches series without the key (store.Filter semantics). A
//     regex is checked on its own before anchoring, so "a)|(b" cannot escape the ^(?:...)$
//     anchors; regexes are at most 4096 bytes.
//   - groupBy keys must be valid dimension keys, unique, at most Limits.MaxGroupBy (10).
//   - Responses: non-finite values (NaN, ±Inf, e.g. the avg of nothing) are encoded as null;
//     executionTimeMs is an integer; a rate query without groupBy answers a flat list even if
//     the store returned several groups (their buckets are concatenated in order).
package queryapi
