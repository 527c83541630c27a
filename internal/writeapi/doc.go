// Package writeapi decodes and validates the JSON body of POST /api/v1/write (docs/api.md):
//
//	{"metrics": [{"name": "api_latency", "timestamp": 1735603200000, "value": 145.5,
//	              "dimensions": {"customer_id": "cust_123", "endpoint": "/api/users"}}]}
//
// It turns a request body into a Batch of accepted Items plus one ItemError per refused item.
// Whole-request problems (not JSON, no "metrics" array, too many items, body too large) are
// *apierror.Error values instead. The package knows nothing about HTTP or the collector; the
// luminate receiver feeds it the request body and turns the Batch into pmetric.
//
// Decisions where docs/api.md is silent (receiver/luminatereceiver/README.md points here):
//
//   - A missing or null "timestamp" means the time the server received the request: a client
//     that sends no time wants "now", and one value per request keeps the points of one request
//     together.
//   - A numeric timestamp below 100000000000 is Unix seconds, otherwise Unix milliseconds. A
//     fraction is honoured to the millisecond and finer digits are truncated (not rounded), so
//     1735603200.5 is 1735603200500 ms and 1735603200000.9 is 1735603200000 ms; the digits are
//     read from the JSON text, so 1735603200.123 is exactly ...123 ms, not a float64 neighbour.
//   - A timestamp string must be RFC 3339 (fractions allowed, truncated to the millisecond).
//     A numeric string such as "1735603200000" is refused: the contract names integers or
//     RFC 3339, and guessing at strings hides client bugs.
//   - The window [now-max_age, now+max_future] is inclusive at both ends.
//   - Dimension values must be JSON strings. A number or bool is refused with a message that
//     shows the quoted form, rather than stringified: 1, 1.0 and 1e0 would otherwise become three
//     different series for what the client meant as one value.
//   - "value" must be a JSON number; a numeric string such as "145.5" is refused.
//   - "dimensions" may be absent, null or {} (a series without dimensions).
//   - A dimension key that appears twice in one item is refused (which one wins is undefined
//     in JSON).
//   - Unknown fields, in an item or at the top level, are ignored, so clients that send extra
//     fields (e.g. "type" or "unit") keep working.
//   - Each refused item reports its first problem only.
//   - Content-Encoding may be empty, "identity", "gzip" or "x-gzip" (case-insensitive);
//     anything else is 415 with code INVALID_REQUEST. max_body_bytes bounds the raw body and,
//     separately, the decompressed body.
package writeapi
