package queryserver

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/accesslog"
	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/extlink"
)

// Keys of c.Locals. Unexported types so no other package can collide with them.
type localKey int

const (
	localStart  localKey = iota // int64 Unix ns when the access log saw the request
	localClaims                 // *auth.Claims of a verified token
	localCode                   // string error code of the answer
	localRoute                  // string route template when fiber's own route does not say it
)

// requestIDKey is where fiber's requestid middleware keeps the id.
const requestIDKey = "requestid"

// unmatchedRoute labels requests that matched no route, so a scan of random paths cannot blow up
// the cardinality of logs or metrics keyed by route.
const unmatchedRoute = "unmatched"

// accessLog logs one line per request (internal/accesslog). It renders errors itself (rather
// than leaving it to fiber) so that the status it logs is the final one.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	c.Locals(localStart, start.UnixNano())
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	s.logAccess(c, time.Since(start))
	return nil
}

func (s *Server) logAccess(c *fiber.Ctx, latency time.Duration) {
	status := c.Response().StatusCode()
	route := routeTemplate(c)
	s.metrics.ObserveRequest(route, methodLabel(c.Method()), status, latency)
	ce := accesslog.Check(s.log, status)
	if ce == nil {
		return // level disabled: skip building the fields
	}
	code, _ := c.Locals(localCode).(string)
	if code == "" {
		code, _ = c.Locals(extlink.LocalErrorCode).(string) // set by a mounted handler
	}
	tenant := ""
	if cl, ok := c.Locals(localClaims).(*auth.Claims); ok {
		tenant = cl.TenantID
	} else if t, ok := c.Locals(extlink.LocalTenant).(string); ok {
		tenant = t
	}
	accesslog.Write(ce, accesslog.Line{Method: c.Method(), Route: route, Status: status, Latency: latency,
		Tenant: tenant, Code: code, RequestID: requestID(c)})
}

// routeTemplate names the route a request matched, in the {param} form of api.md:
// /api/v1/metrics/{name}/dimensions.
func routeTemplate(c *fiber.Ctx) string {
	if r, ok := c.Locals(localRoute).(string); ok {
		return r
	}
	r := c.Route()
	if r == nil || len(r.Params) == 0 {
		if r == nil || r.Path == "" || r.Path == "/" {
			return unmatchedRoute
		}
		return r.Path
	}
	segs := strings.Split(r.Path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, ":") {
			segs[i] = "{" + seg[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// methodLabel bounds the method label of the request metrics to fiber's known methods, as
// constants: c.Method() points into the connection's buffer, which the next request reuses,
// and a label value is kept for the life of the process.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodConnect:
		return fiber.MethodConnect
	case fiber.MethodOptions:
		return fiber.MethodOptions
	case fiber.MethodTrace:
		return fiber.MethodTrace
	case fiber.MethodPatch:
		return fiber.MethodPatch
	}
	return "invalid"
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}
