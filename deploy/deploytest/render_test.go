package deploytest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// testJWTSecret stands in for the JWT_SECRET that `make k8s-deploy` writes to base/secrets.env.
const testJWTSecret = "deploy-test-secret-0123456789abcdef0123456789"

var kubeDir = filepath.Join(repoRoot, "deploy", "kubernetes")

// scheme knows exactly the API groups the overlays may use: an object of any other kind fails
// to decode, so a typo in apiVersion or kind cannot slip through.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, autoscalingv2.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder is the API server's own strictness: unknown and duplicate fields are errors
// (the server would drop them silently, or refuse them with fieldValidation=Strict).
var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// manifests is one rendered overlay, decoded into the API types and indexed by kind and name.
type manifests struct {
	overlay         string
	count           int
	deployments     map[string]*appsv1.Deployment
	statefulSets    map[string]*appsv1.StatefulSet
	jobs            map[string]*batchv1.Job
	services        map[string]*corev1.Service
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	serviceAccounts map[string]*corev1.ServiceAccount
	pvcs            map[string]*corev1.PersistentVolumeClaim
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs            map[string]*policyv1.PodDisruptionBudget
	ingresses       map[string]*networkingv1.Ingress
	netpols         map[string]*networkingv1.NetworkPolicy
	namespaces      map[string]bool   // metadata.namespace of every object
	labels          map[string]string // "Kind/name" -> labels, of every object
}

// kubeFS is an in-memory copy of deploy/kubernetes plus base/secrets.env, the file that
// k8s.sh writes before every deploy (it is git-ignored, so a clean checkout lacks it).
func kubeFS(t *testing.T) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(kubeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(p, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	secrets := "JWT_SECRET=" + testJWTSecret + "\nJWT_SECRET_PREVIOUS=\nCLICKHOUSE_PASSWORD=\n"
	if err := mem.WriteFile(filepath.Join(kubeDir, "base", "secrets.env"), []byte(secrets)); err != nil {
		t.Fatal(err)
	}
	return mem
}

// renderDir runs kustomize on dir of fsys, as `kubectl apply -k` would.
func renderDir(t *testing.T, fsys filesys.FileSystem, dir string) *manifests {
	t.Helper()
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	m := &manifests{
		overlay:         filepath.Base(dir),
		deployments:     map[string]*appsv1.Deployment{},
		statefulSets:    map[string]*appsv1.StatefulSet{},
		jobs:            map[string]*batchv1.Job{},
		services:        map[string]*corev1.Service{},
		configMaps:      map[string]*corev1.ConfigMap{},
		secrets:         map[string]*corev1.Secret{},
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		pvcs:            map[string]*corev1.PersistentVolumeClaim{},
		hpas:            map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:            map[string]*policyv1.PodDisruptionBudget{},
		ingresses:       map[string]*networkingv1.Ingress{},
		netpols:         map[string]*networkingv1.NetworkPolicy{},
		namespaces:      map[string]bool{},
		labels:          map[string]string{},
	}
	for _, res := range resMap.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, gvk, err := strictDecoder.Decode(y, nil, nil)
		if err != nil {
			t.Errorf("%s: %s %s does not decode strictly into the API types: %v", m.overlay, res.GetKind(), res.GetName(), err)
			continue
		}
		m.count++
		name := res.GetName()
		m.namespaces[res.GetNamespace()] = true
		m.labels[res.GetKind()+"/"+name] = labelsString(res.GetLabels())
		switch o := obj.(type) {
		case *appsv1.Deployment:
			m.deployments[name] = o
		case *appsv1.StatefulSet:
			m.statefulSets[name] = o
		case *batchv1.Job:
			m.jobs[name] = o
		case *corev1.Service:
			m.services[name] = o
		case *corev1.ConfigMap:
			m.configMaps[name] = o
		case *corev1.Secret:
			m.secrets[name] = o
		case *corev1.ServiceAccount:
			m.serviceAccounts[name] = o
		case *corev1.PersistentVolumeClaim:
			m.pvcs[name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			m.hpas[name] = o
		case *policyv1.PodDisruptionBudget:
			m.pdbs[name] = o
		case *networkingv1.Ingress:
			m.ingresses[name] = o
		case *networkingv1.NetworkPolicy:
			m.netpols[name] = o
		default:
			t.Errorf("%s: %s %s: kind %v is not expected in the overlays", m.overlay, res.GetKind(), name, gvk)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// render builds deploy/kubernetes/overlays/<overlay>.
func render(t *testing.T, overlay string) *manifests {
	t.Helper()
	return renderDir(t, kubeFS(t), filepath.Join(kubeDir, "overlays", overlay))
}

// workload is a Deployment, StatefulSet or Job, seen through its pod template.
type workload struct {
	kind, name     string
	template       *corev1.PodTemplateSpec
	claimTemplates []corev1.PersistentVolumeClaim
}

func (w workload) String() string { return w.kind + " " + w.name }

func (m *manifests) workloads() []workload {
	var ws []workload
	for n, d := range m.deployments {
		ws = append(ws, workload{kind: "Deployment", name: n, template: &d.Spec.Template})
	}
	for n, s := range m.statefulSets {
		ws = append(ws, workload{kind: "StatefulSet", name: n, template: &s.Spec.Template, claimTemplates: s.Spec.VolumeClaimTemplates})
	}
	for n, j := range m.jobs {
		ws = append(ws, workload{kind: "Job", name: n, template: &j.Spec.Template})
	}
	return ws
}

// generated finds a generated ConfigMap or Secret by the name written in the sources:
// kustomize appends a content hash (luminate-secrets-8fgmf6h58h) and rewrites the references,
// so references are exact and this lookup serves the tests' own expectations.
func (m *manifests) generated(kind string, base string) string {
	var names []string
	switch kind {
	case "ConfigMap":
		for n := range m.configMaps {
			names = append(names, n)
		}
	case "Secret":
		for n := range m.secrets {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if len(n) == len(base)+11 && n[:len(base)+1] == base+"-" {
			return n
		}
	}
	return ""
}

func labelsString(l map[string]string) string {
	var parts []string
	for _, k := range keys(l) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}
