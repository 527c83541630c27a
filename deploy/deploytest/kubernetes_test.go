package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var overlays = []string{"clickhouse", "badger"}

// script is what k8s.sh (behind the Makefile's k8s-* targets) assumes about the overlays.
var script = func() (s struct {
	namespace string
	selector  labels.Selector
}) {
	b, err := os.ReadFile(filepath.Join(kubeDir, "k8s.sh"))
	if err != nil {
		panic(err)
	}
	ns := regexp.MustCompile(`(?m)^NAMESPACE=(\S+)$`).FindSubmatch(b)
	sel := regexp.MustCompile(`(?m)^SELECTOR=(\S+)$`).FindSubmatch(b)
	if ns == nil || sel == nil {
		panic("k8s.sh sets no NAMESPACE= or SELECTOR= line")
	}
	s.namespace = string(ns[1])
	if s.selector, err = labels.Parse(string(sel[1])); err != nil {
		panic(err)
	}
	return s
}()

func parseLabels(t *testing.T, s string) labels.Set {
	t.Helper()
	set, err := labels.ConvertSelectorToLabelsMap(s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// The grace period of every serving pod: preStop plus the drain must fit in it
// (internal/distro's TestBinaryGracefulShutdown holds the binary to it).
const gracePeriod = 30

// TestOverlaysAreConsistent renders each overlay and checks what must hold for every object:
// references resolve, pods are locked down, probes and ports point at listeners that the
// mounted configs really open, and the mounted configs are the repository's.
func TestOverlaysAreConsistent(t *testing.T) {
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			m := render(t, overlay)
			if len(m.namespaces) != 1 || !m.namespaces[script.namespace] {
				t.Errorf("objects are in namespaces %v, want only k8s.sh's %q", keys(m.namespaces), script.namespace)
			}
			// k8s.sh deletes, lists and follows logs by this label: an object without it would
			// survive `make k8s-delete`, a pod without it would be missing from `make k8s-logs`.
			for obj, l := range m.labels {
				if !script.selector.Matches(parseLabels(t, l)) {
					t.Errorf("%s has labels %q, which k8s.sh's selector %s misses", obj, l, script.selector)
				}
			}
			for _, w := range m.workloads() {
				if !script.selector.Matches(labels.Set(w.template.Labels)) {
					t.Errorf("pods of %s have labels %v, which k8s.sh's selector %s misses", w, w.template.Labels, script.selector)
				}
			}
			for _, w := range m.workloads() {
				t.Run(w.kind+"/"+w.name, func(t *testing.T) {
					checkReferences(t, m, w)
					checkSecurity(t, w)
					checkContainers(t, m, w)
				})
			}
			checkServices(t, m)
			checkConfigCopies(t, m)
		})
	}
}

// checkReferences: every ConfigMap, Secret, ServiceAccount, volume and claim a pod names exists.
func checkReferences(t *testing.T, m *manifests, w workload) {
	pod := &w.template.Spec
	if sa := pod.ServiceAccountName; sa != "" {
		if _, ok := m.serviceAccounts[sa]; !ok {
			t.Errorf("serviceAccountName %q does not exist", sa)
		}
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
		switch {
		case v.ConfigMap != nil:
			if _, ok := m.configMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("volume %s: ConfigMap %q does not exist", v.Name, v.ConfigMap.Name)
			}
		case v.Secret != nil:
			if _, ok := m.secrets[v.Secret.SecretName]; !ok {
				t.Errorf("volume %s: Secret %q does not exist", v.Name, v.Secret.SecretName)
			}
		case v.PersistentVolumeClaim != nil:
			if _, ok := m.pvcs[v.PersistentVolumeClaim.ClaimName]; !ok {
				t.Errorf("volume %s: PersistentVolumeClaim %q does not exist", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		case v.EmptyDir != nil:
		default:
			t.Errorf("volume %s: unexpected volume source", v.Name)
		}
	}
	for _, ct := range w.claimTemplates {
		if volumes[ct.Name] {
			t.Errorf("volumeClaimTemplate %s shadows a volume of the same name", ct.Name)
		}
		volumes[ct.Name] = true
	}
	for _, c := range allContainers(pod) {
		for _, vm := range c.VolumeMounts {
			if !volumes[vm.Name] {
				t.Errorf("container %s mounts %q, which is neither a volume nor a volumeClaimTemplate", c.Name, vm.Name)
			}
		}
		if _, err := m.containerEnv(c); err != nil {
			t.Errorf("container %s: %v", c.Name, err)
		}
	}
}

func allContainers(pod *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range pod.InitContainers {
		out = append(out, &pod.InitContainers[i])
	}
	for i := range pod.Containers {
		out = append(out, &pod.Containers[i])
	}
	return out
}

// checkSecurity: non-root, read-only root filesystem, no privilege escalation, no capabilities,
// and the UID the image's USER names (TestDockerfile checks the other side).
func checkSecurity(t *testing.T, w workload) {
	pod := &w.template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != imageUID {
		t.Errorf("pod securityContext.runAsUser is not %d, the image's user", imageUID)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod securityContext.seccompProfile is not RuntimeDefault")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not false: Luminate does not use the Kubernetes API")
	}
	for _, c := range allContainers(pod) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("container %s has no securityContext", c.Name)
			continue
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("container %s is privileged", c.Name)
		case sc.RunAsUser != nil && *sc.RunAsUser == 0:
			t.Errorf("container %s runs as root", c.Name)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container %s: capabilities are not drop [ALL], add none: %+v", c.Name, sc.Capabilities)
		}
	}
}

// checkContainers: images, the config file, secrets, resources, probes, ports, preStop and
// scrape annotations, against the listeners the mounted config opens.
func checkContainers(t *testing.T, m *manifests, w workload) {
	pod := &w.template.Spec
	for _, c := range allContainers(pod) {
		// k8s.sh sets the image for every container with one kustomize images entry named
		// "luminate": a container with another image would keep running an old build.
		if c.Image != "luminate" {
			t.Errorf("container %s: image %q, want \"luminate\" (set by k8s.sh from REGISTRY and TAG)", c.Name, c.Image)
		}
		for _, e := range c.Env {
			if (e.Name == "JWT_SECRET" || e.Name == "JWT_SECRET_PREVIOUS" || e.Name == "CLICKHOUSE_PASSWORD") && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("container %s: %s must come from a Secret", c.Name, e.Name)
			}
		}
		env, err := m.containerEnv(c)
		if err != nil {
			continue // reported by checkReferences
		}
		if w.kind == "Job" {
			// The schema Job serves nothing (no probes, ports or grace period) and verifies no
			// tokens: it must not even see the JWT secret.
			for _, k := range []string{"JWT_SECRET", "JWT_SECRET_PREVIOUS"} {
				if _, ok := env[k]; ok {
					t.Errorf("container %s gets %s, which it does not need", c.Name, k)
				}
			}
			continue
		}
		if env["JWT_SECRET"] != testJWTSecret {
			t.Errorf("container %s: JWT_SECRET is not the secret of base/secrets.env", c.Name)
		}
		if _, ok := env["JWT_SECRET_PREVIOUS"]; !ok {
			t.Errorf("container %s: no JWT_SECRET_PREVIOUS from the Secret, so a rotation would have a window of 401s", c.Name)
		}

		if _, ok := configArg(c); !ok {
			t.Errorf("container %s has no --config argument", c.Name)
			continue
		}
		ls := m.podListeners(t, pod, c)
		want := corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000m"), corev1.ResourceMemory: resource.MustParse("2Gi")},
		}
		for _, kind := range []struct {
			name     string
			got, exp corev1.ResourceList
		}{{"requests", c.Resources.Requests, want.Requests}, {"limits", c.Resources.Limits, want.Limits}} {
			for res, q := range kind.exp {
				if g, ok := kind.got[res]; !ok || g.Cmp(q) != 0 {
					t.Errorf("container %s: %s.%s = %v, want %v", c.Name, kind.name, res, kind.got[res], q.String())
				}
			}
		}

		for _, cp := range c.Ports {
			l, ok := ls[int(cp.ContainerPort)]
			if !ok {
				t.Errorf("container %s declares port %s/%d, but its config listens on %v", c.Name, cp.Name, cp.ContainerPort, keys(listenerPorts(ls)))
			} else if !reachable(l.host) {
				t.Errorf("container %s: port %d (%s) listens on %s only; probes and Services connect to the pod IP", c.Name, cp.ContainerPort, l.what, l.host)
			}
		}
		probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe}
		for _, kind := range []string{"liveness", "readiness"} {
			if probes[kind] == nil {
				t.Errorf("container %s has no %s probe", c.Name, kind)
			}
		}
		for kind, p := range probes {
			if p == nil {
				continue
			}
			if p.HTTPGet == nil {
				t.Errorf("container %s: %s probe is not an HTTP GET", c.Name, kind)
				continue
			}
			checkServed(t, c, ls, fmt.Sprintf("%s probe", kind), p.HTTPGet.Port, p.HTTPGet.Path)
		}

		if w.template.Spec.TerminationGracePeriodSeconds == nil || *w.template.Spec.TerminationGracePeriodSeconds != gracePeriod {
			t.Errorf("terminationGracePeriodSeconds is not %d", gracePeriod)
		}
		// The sleep keeps the pod serving while its endpoint is removed everywhere; it must leave
		// most of the grace period to the drain.
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
			t.Errorf("container %s has no preStop sleep", c.Name)
		} else if s := c.Lifecycle.PreStop.Sleep.Seconds; s < 1 || s > gracePeriod/3 {
			t.Errorf("container %s: preStop sleeps %d s, want 1-%d of the %d s grace period", c.Name, s, gracePeriod/3, gracePeriod)
		}
	}

	if ann := w.template.Annotations; ann["prometheus.io/scrape"] == "true" {
		c := &pod.Containers[0]
		ls := m.podListeners(t, pod, c)
		port, err := strconv.Atoi(ann["prometheus.io/port"])
		if err != nil {
			t.Errorf("prometheus.io/port %q is not a number", ann["prometheus.io/port"])
		} else {
			checkServed(t, c, ls, "prometheus.io annotations", intstr.FromInt(port), ann["prometheus.io/path"])
		}
	}
}

func listenerPorts(ls map[int]listener) map[string]bool {
	out := map[string]bool{}
	for p, l := range ls {
		out[fmt.Sprintf("%d(%s)", p, l.what)] = true
	}
	return out
}

// checkServed: port (number or name) is a declared container port, the config listens there on
// an address the pod IP reaches, and serves path.
func checkServed(t *testing.T, c *corev1.Container, ls map[int]listener, what string, p intstr.IntOrString, path string) {
	t.Helper()
	port, ok := containerPort(c, p)
	if !ok {
		t.Errorf("container %s: %s uses port %s, which the container does not declare", c.Name, what, p.String())
		return
	}
	l, ok := ls[port]
	switch {
	case !ok:
		t.Errorf("container %s: %s uses port %d, but the config listens on %v", c.Name, what, port, keys(listenerPorts(ls)))
	case !reachable(l.host):
		t.Errorf("container %s: %s uses port %d, which listens on %s only", c.Name, what, port, l.host)
	case !slices.Contains(l.paths, path):
		t.Errorf("container %s: %s GET %s on port %d, but %s serves %v there", c.Name, what, path, port, l.what, l.paths)
	}
}

// selected returns the workloads whose pod labels match sel.
func (m *manifests) selected(sel labels.Selector) []workload {
	var out []workload
	for _, w := range m.workloads() {
		if sel.Matches(labels.Set(w.template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

// checkServices: every Service selects pods, and its target ports are ports those pods declare.
func checkServices(t *testing.T, m *manifests) {
	for name, svc := range m.services {
		ws := m.selected(labels.SelectorFromSet(svc.Spec.Selector))
		if len(svc.Spec.Selector) == 0 || len(ws) == 0 {
			t.Errorf("Service %s selects no workload (selector %v)", name, svc.Spec.Selector)
			continue
		}
		for _, w := range ws {
			if w.kind == "Job" {
				t.Errorf("Service %s selects the pods of Job %s", name, w.name)
			}
			for _, sp := range svc.Spec.Ports {
				if _, ok := containerPort(&w.template.Spec.Containers[0], sp.TargetPort); !ok {
					t.Errorf("Service %s port %s: target port %s is not a port of %s", name, sp.Name, sp.TargetPort.String(), w)
				}
			}
		}
	}
}

// checkConfigCopies: a ConfigMap built from config/<file> holds exactly configs/<file>.
// Kustomize reads only files below the overlay, so the overlays hold copies; this keeps them
// from drifting from the configs that `make run` and the binaries' tests use.
func checkConfigCopies(t *testing.T, m *manifests) {
	found := 0
	for name, cm := range m.configMaps {
		for key, data := range cm.Data {
			if !strings.HasSuffix(key, ".yaml") {
				continue
			}
			found++
			if want := readRepoFile(t, filepath.Join("configs", key)); data != want {
				t.Errorf("ConfigMap %s key %s differs from configs/%s: run `make k8s-configs`", name, key, key)
			}
		}
	}
	if found == 0 {
		t.Error("no ConfigMap holds a config file")
	}
}

// TestClickHouseOverlay checks the numbers and shapes the issue fixes for the scale-out
// deployment.
func TestClickHouseOverlay(t *testing.T) {
	m := render(t, "clickhouse")
	for _, name := range []string{"luminate-ingest", "luminate-query"} {
		if _, ok := m.deployments[name]; !ok {
			t.Fatalf("Deployment %s missing; have %v", name, keys(m.deployments))
		}
		if _, ok := m.services[name]; !ok {
			t.Errorf("Service %s missing", name)
		}
	}
	if len(m.statefulSets) != 0 {
		t.Errorf("StatefulSets %v in the stateless overlay", keys(m.statefulSets))
	}

	ingest := m.deployments["luminate-ingest"]
	if r := ingest.Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("ingest replicas = %v, want 3", r)
	}
	c := &ingest.Spec.Template.Spec.Containers[0]
	if binaryOf(c) != "luminate" {
		t.Errorf("ingest runs %s, want the collector distribution luminate", binaryOf(c))
	}
	// The ingest config: the JSON receiver on its own listener (there is no query server in the
	// process) and the store on ClickHouse.
	path, _ := configArg(c)
	cmName, key, err := m.mountedConfig(&ingest.Spec.Template.Spec, c, path)
	if err != nil {
		t.Fatal(err)
	}
	ls := m.podListeners(t, &ingest.Spec.Template.Spec, c)
	if l := ls[8080]; l.what != "luminate" || !slices.Contains(l.paths, "/api/v1/write") {
		t.Errorf("ingest port 8080 is served by %q %v, want the luminate receiver's own listener with /api/v1/write", l.what, l.paths)
	}
	for _, p := range []int{4317, 4318} {
		if _, ok := ls[p]; !ok {
			t.Errorf("ingest config does not listen on OTLP port %d", p)
		}
	}
	if !strings.Contains(m.configMaps[cmName].Data[key], "engine: clickhouse") {
		t.Errorf("ingest config %s does not use the ClickHouse engine", key)
	}

	for _, name := range []string{"luminate-ingest", "luminate-query"} {
		d := m.deployments[name]
		t.Run(name, func(t *testing.T) {
			checkRollingUpdate(t, d)
			checkAntiAffinity(t, d.Spec.Template)
			checkHPA(t, m, name, d)
			checkPDB(t, m, name, d.Spec.Template.Labels)
			checkNetworkPolicy(t, m, workload{kind: "Deployment", name: name, template: &d.Spec.Template})
		})
	}
	q := m.deployments["luminate-query"]
	if binaryOf(&q.Spec.Template.Spec.Containers[0]) != "luminate-query" {
		t.Errorf("query Deployment runs %s, want luminate-query", binaryOf(&q.Spec.Template.Spec.Containers[0]))
	}

	// OTLP goes to the ingest Service.
	svcPorts := map[int32]bool{}
	for _, p := range m.services["luminate-ingest"].Spec.Ports {
		svcPorts[p.Port] = true
	}
	for _, p := range []int32{8080, 4317, 4318} {
		if !svcPorts[p] {
			t.Errorf("Service luminate-ingest lacks port %d", p)
		}
	}
	checkIngress(t, m)

	job, ok := m.jobs["luminate-schema"]
	if !ok {
		t.Fatalf("schema Job missing; have %v", keys(m.jobs))
	}
	jc := &job.Spec.Template.Spec.Containers[0]
	if binaryOf(jc) != "luminate-schema" || !slices.Equal(jc.Args, []string{"apply"}) {
		t.Errorf("schema Job runs %v %v, want luminate-schema apply", jc.Command, jc.Args)
	}
	// The schema tool takes its target from the environment: the same ClickHouse as the pods.
	jenv, err := m.containerEnv(jc)
	if err != nil {
		t.Fatal(err)
	}
	ienv, _ := m.containerEnv(c)
	for _, k := range []string{"CLICKHOUSE_ADDR", "CLICKHOUSE_DATABASE", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_CLUSTER"} {
		if v, ok := jenv[k]; !ok || v != ienv[k] {
			t.Errorf("schema Job %s=%q (set: %v), ingest pods %q", k, v, ok, ienv[k])
		}
	}
	if p := job.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyOnFailure && p != corev1.RestartPolicyNever {
		t.Errorf("schema Job restartPolicy %s", p)
	}
	checkNetworkPolicy(t, m, workload{kind: "Job", name: job.Name, template: &job.Spec.Template})
}

func checkRollingUpdate(t *testing.T, d *appsv1.Deployment) {
	s := d.Spec.Strategy
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxUnavailable.IntValue() != 0 ||
		s.RollingUpdate.MaxUnavailable.Type != intstr.Int {
		t.Errorf("strategy %+v: want RollingUpdate with maxUnavailable 0", s)
	}
	if s.RollingUpdate != nil && (s.RollingUpdate.MaxSurge == nil || s.RollingUpdate.MaxSurge.IntValue() < 1) {
		t.Errorf("maxSurge must be at least 1 when maxUnavailable is 0, or the rollout cannot progress")
	}
}

func checkAntiAffinity(t *testing.T, tpl corev1.PodTemplateSpec) {
	a := tpl.Spec.Affinity
	if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Error("no preferred pod anti-affinity")
		return
	}
	if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		t.Error("required anti-affinity would leave pods pending on a small cluster; the issue asks for preferred")
	}
	for _, term := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		sel, err := metav1.LabelSelectorAsSelector(term.PodAffinityTerm.LabelSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(labels.Set(tpl.Labels)) {
			t.Errorf("anti-affinity selector %v does not match the pods' own labels %v", sel, tpl.Labels)
		}
		if term.PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
			t.Errorf("anti-affinity topologyKey %q, want kubernetes.io/hostname", term.PodAffinityTerm.TopologyKey)
		}
	}
}

// checkHPA: the autoscaler of the issue: 3-10 ingest pods (query: at least 2), 70% CPU, 80%
// memory, scale up at once by 100% or 2 pods per 15 s, down after 5 min by 50% or 1 pod per 60 s.
func checkHPA(t *testing.T, m *manifests, name string, d *appsv1.Deployment) {
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	for _, h := range m.hpas {
		if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == name && h.Spec.ScaleTargetRef.APIVersion == "apps/v1" {
			hpa = h
		}
	}
	if hpa == nil {
		t.Fatalf("no HorizontalPodAutoscaler targets Deployment %s", name)
	}
	min := int32(3)
	if name == "luminate-query" {
		min = 2
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != min || hpa.Spec.MaxReplicas != 10 {
		t.Errorf("HPA %s: %v-%d replicas, want %d-10", hpa.Name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, min)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != min {
		t.Errorf("Deployment %s starts with %v replicas, want the HPA minimum %d", name, d.Spec.Replicas, min)
	}
	targets := map[corev1.ResourceName]int32{}
	for _, mt := range hpa.Spec.Metrics {
		if mt.Type != autoscalingv2.ResourceMetricSourceType || mt.Resource == nil || mt.Resource.Target.Type != autoscalingv2.UtilizationMetricType || mt.Resource.Target.AverageUtilization == nil {
			t.Errorf("HPA %s: unexpected metric %+v", hpa.Name, mt)
			continue
		}
		targets[mt.Resource.Name] = *mt.Resource.Target.AverageUtilization
	}
	if want := map[corev1.ResourceName]int32{corev1.ResourceCPU: 70, corev1.ResourceMemory: 80}; fmt.Sprint(targets) != fmt.Sprint(want) {
		t.Errorf("HPA %s targets %v, want %v", hpa.Name, targets, want)
	}
	// Utilization is a share of the requests, so every container must request both resources.
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("container %s lacks CPU or memory requests, which the HPA's utilization needs", c.Name)
		}
	}
	b := hpa.Spec.Behavior
	if b == nil || b.ScaleUp == nil || b.ScaleDown == nil {
		t.Fatalf("HPA %s: no scaleUp/scaleDown behavior", hpa.Name)
	}
	type policy struct {
		Type   autoscalingv2.HPAScalingPolicyType
		Value  int32
		Period int32
	}
	check := func(dir string, r *autoscalingv2.HPAScalingRules, window int32, want []policy) {
		if r.StabilizationWindowSeconds == nil || *r.StabilizationWindowSeconds != window {
			t.Errorf("HPA %s %s: stabilizationWindowSeconds %v, want %d", hpa.Name, dir, r.StabilizationWindowSeconds, window)
		}
		// "or": the policy allowing the larger change applies (Max, also the default)
		if r.SelectPolicy != nil && *r.SelectPolicy != autoscalingv2.MaxChangePolicySelect {
			t.Errorf("HPA %s %s: selectPolicy %s, want Max", hpa.Name, dir, *r.SelectPolicy)
		}
		var got []policy
		for _, p := range r.Policies {
			got = append(got, policy{p.Type, p.Value, p.PeriodSeconds})
		}
		if !slices.Equal(got, want) {
			t.Errorf("HPA %s %s: policies %+v, want %+v", hpa.Name, dir, got, want)
		}
	}
	check("scaleUp", b.ScaleUp, 0, []policy{{autoscalingv2.PercentScalingPolicy, 100, 15}, {autoscalingv2.PodsScalingPolicy, 2, 15}})
	check("scaleDown", b.ScaleDown, 300, []policy{{autoscalingv2.PercentScalingPolicy, 50, 60}, {autoscalingv2.PodsScalingPolicy, 1, 60}})
}

func checkPDB(t *testing.T, m *manifests, name string, podLabels map[string]string) {
	for _, p := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(labels.Set(podLabels)) {
			continue
		}
		if p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget %s: maxUnavailable %v, want 1", p.Name, p.Spec.MaxUnavailable)
		}
		if ws := m.selected(sel); len(ws) != 1 {
			t.Errorf("PodDisruptionBudget %s selects %v, want exactly %s", p.Name, ws, name)
		}
		return
	}
	t.Errorf("no PodDisruptionBudget covers %s", name)
}

// checkNetworkPolicy: a policy selects the pods, restricts both directions, admits the ports
// the pods declare and nothing they do not, and allows egress to DNS and ClickHouse.
func checkNetworkPolicy(t *testing.T, m *manifests, w workload) {
	var np *networkingv1.NetworkPolicy
	for _, p := range m.netpols {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) > 0 && sel.Matches(labels.Set(w.template.Labels)) {
			np = p
		}
	}
	if np == nil {
		t.Errorf("no NetworkPolicy selects the pods of %s", w)
		return
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("NetworkPolicy %s policyTypes %v, want Ingress and Egress", np.Name, np.Spec.PolicyTypes)
	}
	c := &w.template.Spec.Containers[0]
	admitted := map[int]bool{}
	for _, rule := range np.Spec.Ingress {
		if len(rule.Ports) == 0 {
			t.Errorf("NetworkPolicy %s admits every port", np.Name)
		}
		for _, p := range rule.Ports {
			port, ok := containerPort(c, *p.Port)
			if !ok {
				t.Errorf("NetworkPolicy %s admits port %s, which %s does not declare", np.Name, p.Port.String(), w)
			}
			admitted[port] = true
		}
	}
	for _, cp := range c.Ports {
		if !admitted[int(cp.ContainerPort)] {
			t.Errorf("NetworkPolicy %s blocks port %s/%d of %s", np.Name, cp.Name, cp.ContainerPort, w)
		}
	}
	egress := map[string]bool{}
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			egress[fmt.Sprintf("%s/%s", proto, p.Port.String())] = true
		}
	}
	for _, need := range []string{"UDP/53", "TCP/53", "TCP/9000"} {
		if !egress[need] {
			t.Errorf("NetworkPolicy %s: no egress to %s (have %v)", np.Name, need, keys(egress))
		}
	}
}

// checkIngress: POST /api/v1/write reaches the ingest pods' write handler, everything else the
// query server.
func checkIngress(t *testing.T, m *manifests) {
	if len(m.ingresses) != 1 {
		t.Fatalf("want one Ingress, have %v", keys(m.ingresses))
	}
	var routes = map[string]string{} // path -> what serves it
	for _, ing := range m.ingresses {
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				svc, ok := m.services[p.Backend.Service.Name]
				if !ok {
					t.Errorf("Ingress path %s: Service %q does not exist", p.Path, p.Backend.Service.Name)
					continue
				}
				var sp *corev1.ServicePort
				for i := range svc.Spec.Ports {
					bp := p.Backend.Service.Port
					if (bp.Name != "" && svc.Spec.Ports[i].Name == bp.Name) || (bp.Name == "" && svc.Spec.Ports[i].Port == bp.Number) {
						sp = &svc.Spec.Ports[i]
					}
				}
				if sp == nil {
					t.Errorf("Ingress path %s: Service %s has no port %+v", p.Path, svc.Name, p.Backend.Service.Port)
					continue
				}
				for _, w := range m.selected(labels.SelectorFromSet(svc.Spec.Selector)) {
					c := &w.template.Spec.Containers[0]
					port, _ := containerPort(c, sp.TargetPort)
					l := m.podListeners(t, &w.template.Spec, c)[port]
					routes[string(*p.PathType)+" "+p.Path] = fmt.Sprintf("%s %v", l.what, l.paths)
					switch p.Path {
					case "/api/v1/write":
						if !slices.Contains(l.paths, "/api/v1/write") {
							t.Errorf("Ingress sends /api/v1/write to %s port %d, served by %s %v", w, port, l.what, l.paths)
						}
					case "/":
						if !slices.Contains(l.paths, "/api/v1/query") {
							t.Errorf("Ingress sends / to %s port %d, served by %s %v", w, port, l.what, l.paths)
						}
					}
				}
			}
		}
	}
	if len(routes) != 2 || routes["Exact /api/v1/write"] == "" || routes["Prefix /"] == "" {
		t.Errorf("Ingress routes %v, want Exact /api/v1/write (ingest) and Prefix / (query)", routes)
	}
}

// TestBadgerOverlay: one StatefulSet with its volume, the Services, the shared secret.
func TestBadgerOverlay(t *testing.T) {
	m := render(t, "badger")
	if len(m.deployments)+len(m.jobs) != 0 || len(m.statefulSets) != 1 {
		t.Fatalf("want exactly one StatefulSet, have Deployments %v, Jobs %v, StatefulSets %v", keys(m.deployments), keys(m.jobs), keys(m.statefulSets))
	}
	s := m.statefulSets["luminate"]
	if s == nil {
		t.Fatalf("StatefulSet luminate missing; have %v", keys(m.statefulSets))
	}
	if s.Spec.Replicas == nil || *s.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1: Badger admits one process per directory", s.Spec.Replicas)
	}
	if len(m.hpas) != 0 {
		t.Errorf("an autoscaler %v on a single-writer Badger deployment", keys(m.hpas))
	}
	if headless, ok := m.services[s.Spec.ServiceName]; !ok {
		t.Errorf("serviceName %q does not exist", s.Spec.ServiceName)
	} else if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("governing Service %s is not headless", headless.Name)
	}
	if _, ok := m.services["luminate"]; !ok {
		t.Error("Service luminate missing")
	}
	if len(s.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("volumeClaimTemplates %d, want 1", len(s.Spec.VolumeClaimTemplates))
	}
	claim := s.Spec.VolumeClaimTemplates[0]
	if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.Cmp(resource.MustParse("100Gi")) != 0 {
		t.Errorf("data volume %v, want 100Gi", q.String())
	}
	if !slices.Equal(claim.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("access modes %v, want ReadWriteOnce", claim.Spec.AccessModes)
	}
	if p := s.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("PVC retention %+v: deleting the StatefulSet must keep the data", p)
	}
	// The data dir the config uses is the volume.
	c := &s.Spec.Template.Spec.Containers[0]
	env, err := m.containerEnv(c)
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		if vm.Name == claim.Name && vm.MountPath == env["LUMINATE_DATA_DIR"] && !vm.ReadOnly {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("LUMINATE_DATA_DIR=%q is not the mount of volume %s", env["LUMINATE_DATA_DIR"], claim.Name)
	}
	if sc := s.Spec.Template.Spec.SecurityContext; sc == nil || sc.FSGroup == nil || *sc.FSGroup != imageUID {
		t.Errorf("fsGroup is not %d: the non-root process could not write to a fresh volume", imageUID)
	}
	// The same Secret (name and keys) as the ClickHouse overlay: one procedure rotates both.
	ch := render(t, "clickhouse")
	if a, b := m.generated("Secret", "luminate-secrets"), ch.generated("Secret", "luminate-secrets"); a == "" || a != b {
		t.Errorf("badger Secret %q, clickhouse Secret %q: want the same generated secret", a, b)
	}
}

// TestImageOverride renders each overlay under a kustomization like the one k8s.sh writes (in
// the in-memory copy only): the overlay named by a relative path from outside the tree, the
// image set by `images`. Every container must get the new image.
func TestImageOverride(t *testing.T) {
	fsys := kubeFS(t)
	wrapper := filepath.Join(filepath.Dir(repoRoot), "k8s-sh-wrapper")
	for _, overlay := range overlays {
		rel, err := filepath.Rel(wrapper, filepath.Join(kubeDir, "overlays", overlay))
		if err != nil {
			t.Fatal(err)
		}
		k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel +
			"\nimages:\n  - name: luminate\n    newName: registry.example:5000/acme/luminate\n    newTag: 1.2.3\n"
		if err := fsys.WriteFile(filepath.Join(wrapper, "kustomization.yaml"), []byte(k)); err != nil {
			t.Fatal(err)
		}
		m := renderDir(t, fsys, wrapper)
		n := 0
		for _, w := range m.workloads() {
			for _, c := range allContainers(&w.template.Spec) {
				n++
				if c.Image != "registry.example:5000/acme/luminate:1.2.3" {
					t.Errorf("%s: %s container %s has image %q after the override", overlay, w, c.Name, c.Image)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no containers", overlay)
		}
	}
}

// TestStrictDecoding proves the decoder the other tests rely on refuses what the API server
// would silently drop: a misspelt field must fail the tests, not the deploy.
func TestStrictDecoding(t *testing.T) {
	bad := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 3\n")
	if _, _, err := strictDecoder.Decode(bad, nil, nil); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("unknown field spec.replica decoded without error: %v", err)
	}
	dup := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  name: y\n")
	if _, _, err := strictDecoder.Decode(dup, nil, nil); err == nil {
		t.Error("duplicate field decoded without error")
	}
	unknownKind := []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n")
	if _, _, err := strictDecoder.Decode(unknownKind, nil, nil); err == nil {
		t.Error("unknown kind decoded without error")
	}
}
