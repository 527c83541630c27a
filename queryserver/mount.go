package queryserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/extlink"
)

var _ extlink.Mounter = (*Server)(nil)

// mountTable holds the routes other components attach to this port. In the collector the query
// server extension starts (and listens) before the receivers that mount their handlers, and
// fiber's router may not be changed while it serves; so one catch-all handler, registered
// before Listen, looks the path up in this table. Readers load an immutable map through an
// atomic pointer (no lock on the request path); Mount copies the map and swaps it.
type mountTable struct {
	mu     sync.Mutex                   // serializes writers
	routes atomic.Pointer[mountedPaths] // nil until the first Mount
}

// mountedPaths maps a normalized path to its handlers by method.
type mountedPaths map[string]map[string]mounted

type mounted struct {
	path string // as given to Mount, for logs
	h    fiber.Handler
}

// routeSpec is a built-in route, kept to refuse mounts it would shadow.
type routeSpec struct{ method, path string }

// Mount serves h for method and path (an exact path, no parameters) on this server, before or
// after Listen. The server adds its request id, access log, panic recovery and error envelope;
// h does its own authentication (the write handler checks the write scope). It is an error to
// mount a path twice or one a built-in route already serves for that method.
func (s *Server) Mount(method, path string, h fiber.Handler) error {
	method = strings.ToUpper(method)
	if !slices.Contains(fiber.DefaultMethods, method) {
		return fmt.Errorf("queryserver: mount %s %s: unknown HTTP method", method, path)
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, ":*+?#") {
		return fmt.Errorf("queryserver: mount %s %s: path must be absolute and exact (no parameters or wildcards)", method, path)
	}
	if h == nil {
		return fmt.Errorf("queryserver: mount %s %s: nil handler", method, path)
	}
	key := normalizePath(path)
	for _, r := range s.routes {
		if sameMethod(r.method, method) && templateMatches(r.path, key) {
			return fmt.Errorf("queryserver: mount %s %s: the built-in route %s %s serves it", method, path, r.method, r.path)
		}
	}
	t := &s.mounts
	t.mu.Lock()
	defer t.mu.Unlock()
	next := mountedPaths{}
	if cur := t.routes.Load(); cur != nil {
		for p, byMethod := range *cur {
			next[p] = maps.Clone(byMethod)
		}
	}
	if _, dup := next[key][method]; dup {
		return fmt.Errorf("queryserver: mount %s %s: already mounted", method, path)
	}
	if next[key] == nil {
		next[key] = map[string]mounted{}
	}
	next[key][method] = mounted{path: path, h: h}
	t.routes.Store(&next)
	return nil
}

// dispatchMounted is the last handler of the app: it serves mounted routes, answers 405 for a
// mounted path with another method, and otherwise lets fiber answer 404 (or 405 for a
// built-in path).
func (s *Server) dispatchMounted(c *fiber.Ctx) error {
	var byMethod map[string]mounted
	if cur := s.mounts.routes.Load(); cur != nil {
		byMethod = (*cur)[normalizePath(c.Path())]
	}
	if byMethod == nil {
		c.Locals(localRoute, unmatchedRoute)
		return c.Next()
	}
	m, ok := byMethod[c.Method()]
	if !ok && c.Method() == fiber.MethodHead {
		m, ok = byMethod[fiber.MethodGet] // as fiber does for its own GET routes
	}
	if !ok {
		allowed := slices.Sorted(maps.Keys(byMethod))
		allow := strings.Join(allowed, ", ")
		c.Set(fiber.HeaderAllow, allow)
		c.Locals(localRoute, byMethod[allowed[0]].path)
		return methodNotAllowed(c.Method(), c.Path(), allow)
	}
	c.Locals(localRoute, m.path)
	return m.h(c)
}

// normalizePath applies fiber's default routing rules (case-insensitive, trailing slash
// ignored) so that a mounted route matches the requests a built-in one would.
func normalizePath(p string) string {
	p = strings.ToLower(p)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		return "/"
	}
	return p
}

// templateMatches reports whether a built-in route template (with :params) matches a path.
func templateMatches(template, path string) bool {
	ts := strings.Split(normalizePath(template), "/")
	ps := strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], ":") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// sameMethod: fiber serves HEAD for every GET route.
func sameMethod(builtin, method string) bool {
	return builtin == method || builtin == fiber.MethodGet && method == fiber.MethodHead
}
