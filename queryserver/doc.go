// Package queryserver is Luminate's HTTP front door on port 8080 (docs/api.md): query,
// discovery and health, plus the routes other components mount on the same port (the JSON
// write handler), so that one base URL serves both /api/v1/write and /api/v1/query. It runs
// inside the collector as an extension (the wrapper lives elsewhere) or standalone.
//
// A request passes: X-Request-ID sanitizing -> requestid -> access log -> recover -> route
// (token and scope check, handler) or, for paths fiber does not route, the table of mounted
// routes -> fiber's 404/405. Every error on the way is rendered by handleError as the envelope
// {"error": {"code", "message", "details"}}.
//
// Decisions taken where api.md is silent (each is also commented where it is implemented):
//
//   - 405 has no code of its own in api.md: it is INVALID_REQUEST with status 405 and an Allow
//     header; an unsupported Content-Encoding is INVALID_REQUEST with status 415; a method fiber
//     does not know ("BREW") is a 405 envelope rather than fiber's plain-text 400.
//   - Probes are the exceptions to the envelope: /healthz and /readyz answer plain text, also on
//     503, and /api/v1/health answers its own document on 503, so monitors read one shape.
//   - Health: unhealthy (503) when the storage ping fails or exceeds HealthTimeout (2s);
//     degraded (200) when it succeeds slower than SlowPing (1s). Failure causes are logged, not
//     shown: these endpoints are public and a driver error can name hosts or paths.
//     uptimeSeconds and durationMs are integers.
//   - STORAGE_ERROR and INTERNAL_ERROR messages carry the request id, never the cause.
//   - Discovery: metrics sorted by name; values most frequent first (ties by value); a key the
//     metric lacks gives an empty list while an unknown metric is 404; values limit outside
//     1..10000 is 400 INVALID_REQUEST; discovery calls are bounded by query.default_timeout.
//   - Query bodies: Content-Type is not checked (curl -d sends a form type); gzip is accepted
//     and decompressed with a bound of query.max_body_bytes.
//   - Mounted routes are exact paths, matched like fiber's (case-insensitive, trailing slash
//     ignored); the mounted handler authenticates itself; HEAD falls back to a mounted GET.
//   - Access log levels: 2xx/3xx debug, 4xx info, 5xx warn. The route is the template
//     (/api/v1/metrics/{name}/dimensions) or "unmatched"; headers are never logged.
//   - A client X-Request-ID is kept if it is at most 128 printable ASCII bytes, else replaced.
//   - Rate limits (limits.go): query and cardinality take a query_requests_per_second token and
//     a max_concurrent_queries slot, discovery a token only; /api/v1/limits, admin, probes and
//     /metrics are never rate limited. 429 carries Retry-After and X-RateLimit-* of the limit
//     that applied.
//   - /api/v1/limits and /api/v1/cardinality take topN 1-1000 (default 10); a limit without a
//     value is null. Admin (admin.go) acts on the caller's tenant only, is synchronous, and
//     answers 501 on an engine without store.Admin.
//   - /metrics (selfmetrics.go) is public; request metrics are labelled by route template and a
//     bounded method, never a raw path.
package queryserver
