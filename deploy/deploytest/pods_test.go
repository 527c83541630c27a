package deploytest

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// containerEnv is the environment Kubernetes would give c: envFrom first, then env, with every
// ConfigMap and Secret reference resolved against the rendered objects. A reference to a missing
// object or key is an error (the kubelet would refuse to start the container).
func (m *manifests) containerEnv(c *corev1.Container) (map[string]string, error) {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := m.configMaps[ef.ConfigMapRef.Name]
			if !ok {
				return nil, fmt.Errorf("envFrom ConfigMap %q does not exist", ef.ConfigMapRef.Name)
			}
			for k, v := range cm.Data {
				env[ef.Prefix+k] = v
			}
		case ef.SecretRef != nil:
			s, ok := m.secrets[ef.SecretRef.Name]
			if !ok {
				return nil, fmt.Errorf("envFrom Secret %q does not exist", ef.SecretRef.Name)
			}
			for k, v := range s.Data {
				env[ef.Prefix+k] = string(v)
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := m.secrets[ref.Name]
			if !ok {
				return nil, fmt.Errorf("env %s: Secret %q does not exist", e.Name, ref.Name)
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				return nil, fmt.Errorf("env %s: Secret %q has no key %q", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = string(v)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := m.configMaps[ref.Name]
			if !ok {
				return nil, fmt.Errorf("env %s: ConfigMap %q does not exist", e.Name, ref.Name)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				return nil, fmt.Errorf("env %s: ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		default:
			return nil, fmt.Errorf("env %s: only literal values, Secret and ConfigMap keys are expected", e.Name)
		}
	}
	return env, nil
}

// configArg returns the --config path of c's args ("--config=X" or "--config", "X").
func configArg(c *corev1.Container) (string, bool) {
	for i, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v, true
		}
		if a == "--config" && i+1 < len(c.Args) {
			return c.Args[i+1], true
		}
	}
	return "", false
}

// mountedConfig finds the ConfigMap key that backs path inside c: a volume mount whose
// directory holds path, a configMap volume, and the file name as a key of its data.
func (m *manifests) mountedConfig(pod *corev1.PodSpec, c *corev1.Container, path string) (cmName, key string, err error) {
	for _, vm := range c.VolumeMounts {
		dir := strings.TrimSuffix(vm.MountPath, "/") + "/"
		rest, ok := strings.CutPrefix(path, dir)
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != vm.Name {
				continue
			}
			if v.ConfigMap == nil {
				return "", "", fmt.Errorf("%s is on volume %s, which is not a ConfigMap", path, v.Name)
			}
			cm, ok := m.configMaps[v.ConfigMap.Name]
			if !ok {
				return "", "", fmt.Errorf("%s: ConfigMap %q does not exist", path, v.ConfigMap.Name)
			}
			if _, ok := cm.Data[rest]; !ok {
				return "", "", fmt.Errorf("%s: ConfigMap %s has no key %q (keys: %v)", path, cm.Name, rest, keys(cm.Data))
			}
			return cm.Name, rest, nil
		}
	}
	return "", "", fmt.Errorf("%s is not inside any volume mount of container %s", path, c.Name)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expandEnv resolves ${env:NAME} and ${env:NAME:-default} as the collector's confmap does for
// the values these configs use (a reference inside a longer string, or the whole value).
func expandEnv(s string, env map[string]string) string {
	return envRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		if v, ok := env[m[1]]; ok && v != "" {
			return v
		}
		return m[2]
	})
}

// listener is one port a config makes the process listen on, with what it serves there.
type listener struct {
	host  string
	what  string   // for messages: "luminatequery", "health_check", ...
	paths []string // HTTP paths served; empty for gRPC
}

// listeners reads a config of binary ("luminate" or "luminate-query") and returns the ports
// the process will listen on, keyed by port number, with env resolved. Only components the
// service actually runs count: an extension not listed in service.extensions, or a receiver in
// no pipeline, listens nowhere.
func listeners(binary, config string, env map[string]string) (map[int]listener, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		return nil, err
	}
	out := map[int]listener{}
	add := func(endpoint, what string, paths ...string) error {
		host, p, err := net.SplitHostPort(expandEnv(endpoint, env))
		if err != nil {
			return fmt.Errorf("%s endpoint %q: %w", what, endpoint, err)
		}
		port, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("%s endpoint %q: %w", what, endpoint, err)
		}
		if prev, dup := out[port]; dup {
			return fmt.Errorf("%s and %s both listen on port %d", prev.what, what, port)
		}
		out[port] = listener{host: host, what: what, paths: paths}
		return nil
	}
	queryPaths := []string{"/healthz", "/readyz", "/api/v1/health", "/api/v1/query", "/api/v1/metrics"}
	switch binary {
	case "luminate-query":
		ep, _ := doc["endpoint"].(string)
		if ep == "" {
			ep = "0.0.0.0:8080" // luminate-query's default
		}
		return out, add(ep, "luminate-query", queryPaths...)
	case "luminate":
	default:
		return nil, fmt.Errorf("no listener model for binary %q", binary)
	}

	service := mapAt(doc, "service")
	extensions := mapAt(doc, "extensions")
	queryServer := map[string]string{} // luminatequery ID -> port, for receivers that mount on it
	for _, id := range stringsAt(service, "extensions") {
		cfg := mapAt(extensions, id)
		switch typeOf(id) {
		case "luminatequery":
			ep, _ := cfg["endpoint"].(string)
			if ep == "" {
				ep = "0.0.0.0:8080"
			}
			if err := add(ep, id, queryPaths...); err != nil {
				return nil, err
			}
			queryServer[id] = ep
		case "health_check":
			ep, _ := cfg["endpoint"].(string)
			path, _ := cfg["path"].(string)
			if path == "" {
				path = "/"
			}
			if err := add(ep, id, path); err != nil {
				return nil, err
			}
		}
	}

	receivers := mapAt(doc, "receivers")
	used := map[string]bool{}
	for _, p := range mapAt(service, "pipelines") {
		pm, _ := p.(map[string]any)
		for _, id := range stringsAt(pm, "receivers") {
			used[id] = true
		}
	}
	for _, id := range keys(used) {
		cfg := mapAt(receivers, id)
		switch typeOf(id) {
		case "luminate":
			path, _ := cfg["path"].(string)
			if path == "" {
				path = "/api/v1/write"
			}
			if srv, _ := cfg["server"].(string); srv != "" {
				// mounted on the query server's port
				ep, ok := queryServer[srv]
				if !ok {
					return nil, fmt.Errorf("receiver %s mounts on %q, which is not a running luminatequery extension", id, srv)
				}
				_, p, _ := net.SplitHostPort(expandEnv(ep, env))
				port, _ := strconv.Atoi(p)
				l := out[port]
				l.paths = append(l.paths, path)
				out[port] = l
				continue
			}
			ep, _ := cfg["endpoint"].(string)
			if err := add(ep, id, path); err != nil {
				return nil, err
			}
		case "otlp":
			protocols := mapAt(cfg, "protocols")
			if g := mapAt(protocols, "grpc"); g != nil {
				if err := add(g["endpoint"].(string), id+"/grpc"); err != nil {
					return nil, err
				}
			}
			if h := mapAt(protocols, "http"); h != nil {
				if err := add(h["endpoint"].(string), id+"/http", "/v1/metrics"); err != nil {
					return nil, err
				}
			}
		}
	}

	for _, r := range sliceAt(mapAt(mapAt(service, "telemetry"), "metrics"), "readers") {
		prom := mapAt(mapAt(mapAt(asMap(r), "pull"), "exporter"), "prometheus")
		if prom == nil {
			continue
		}
		host := fmt.Sprint(prom["host"])
		port := fmt.Sprint(prom["port"])
		if err := add(net.JoinHostPort(host, port), "telemetry/prometheus", "/metrics"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// typeOf is the component type of an ID: "luminate/sync" -> "luminate".
func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func mapAt(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	return asMap(m[key])
}

func sliceAt(m map[string]any, key string) []any {
	if m == nil {
		return nil
	}
	s, _ := m[key].([]any)
	return s
}

func stringsAt(m map[string]any, key string) []string {
	var out []string
	for _, v := range sliceAt(m, key) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// binaryOf is the binary a container runs: the base name of command[0] (the image's
// ENTRYPOINT, /usr/local/bin/luminate, when command is not set).
func binaryOf(c *corev1.Container) string {
	if len(c.Command) == 0 {
		return "luminate"
	}
	return c.Command[0][strings.LastIndex(c.Command[0], "/")+1:]
}

// podListeners resolves c's config (from its ConfigMap) with c's environment.
func (m *manifests) podListeners(t *testing.T, pod *corev1.PodSpec, c *corev1.Container) map[int]listener {
	t.Helper()
	path, ok := configArg(c)
	if !ok {
		t.Fatalf("container %s has no --config argument", c.Name)
	}
	cmName, key, err := m.mountedConfig(pod, c, path)
	if err != nil {
		t.Fatalf("container %s: %v", c.Name, err)
	}
	env, err := m.containerEnv(c)
	if err != nil {
		t.Fatalf("container %s: %v", c.Name, err)
	}
	ls, err := listeners(binaryOf(c), m.configMaps[cmName].Data[key], env)
	if err != nil {
		t.Fatalf("container %s, config %s: %v", c.Name, key, err)
	}
	return ls
}

// containerPort resolves a probe's or Service's port (a number or a port name) in c.
func containerPort(c *corev1.Container, p intstr.IntOrString) (int, bool) {
	if p.Type == intstr.Int {
		for _, cp := range c.Ports {
			if int(cp.ContainerPort) == p.IntValue() {
				return p.IntValue(), true
			}
		}
		return p.IntValue(), false
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), true
		}
	}
	return 0, false
}

// reachable reports whether a listener's host accepts connections to the pod IP (probes,
// Services and Prometheus connect there, not to loopback).
func reachable(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}
