package deploytest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigsAcceptedByBinaries runs `<binary> validate` on the config every serving container
// of both overlays mounts, exactly as the container would start: the binary its command names
// (built from the parent module), its args with the config path pointed at the ConfigMap's
// content, and the environment Kubernetes would give it (literals, ConfigMap and Secret keys).
// As a control, the same run without JWT_SECRET must fail, so a pass means the environment was
// really read.
func TestConfigsAcceptedByBinaries(t *testing.T) {
	for _, overlay := range overlays {
		m := render(t, overlay)
		for _, w := range m.workloads() {
			if w.kind == "Job" {
				continue // luminate-schema apply talks to ClickHouse; it has no offline validate
			}
			for _, c := range allContainers(&w.template.Spec) {
				t.Run(overlay+"/"+w.name+"/"+c.Name, func(t *testing.T) {
					path, ok := configArg(c)
					if !ok {
						t.Fatalf("no --config argument in %q", c.Args)
					}
					cmName, key, err := m.mountedConfig(&w.template.Spec, c, path)
					if err != nil {
						t.Fatal(err)
					}
					file := filepath.Join(t.TempDir(), key)
					if err := os.WriteFile(file, []byte(m.configMaps[cmName].Data[key]), 0o600); err != nil {
						t.Fatal(err)
					}
					args := []string{"validate"}
					for _, a := range c.Args {
						args = append(args, strings.Replace(a, path, file, 1))
					}
					env, err := m.containerEnv(c)
					if err != nil {
						t.Fatal(err)
					}
					bin := buildBinary(t, binaryOf(c))
					run := func(env map[string]string) (string, error) {
						cmd := exec.Command(bin, args...)
						cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
						for k, v := range env {
							cmd.Env = append(cmd.Env, k+"="+v)
						}
						out, err := cmd.CombinedOutput()
						return string(out), err
					}
					if out, err := run(env); err != nil {
						t.Errorf("%s %s: %v\n%s", binaryOf(c), strings.Join(args, " "), err, out)
					}
					delete(env, "JWT_SECRET")
					if out, err := run(env); err == nil {
						t.Errorf("%s validate passed without JWT_SECRET, so the check above proves nothing:\n%s", binaryOf(c), out)
					}
				})
			}
		}
	}
}

// TestSchemaJobCommandLine runs the schema Job's command line offline: luminate-schema with the
// Job's args and environment, but CLICKHOUSE_ADDR pointed at a closed local port. Accepted
// arguments get as far as dialing ClickHouse (exit 1, naming the address); a usage error exits 2.
func TestSchemaJobCommandLine(t *testing.T) {
	m := render(t, "clickhouse")
	job, ok := m.jobs["luminate-schema"]
	if !ok {
		t.Fatalf("schema Job missing; have %v", keys(m.jobs))
	}
	c := &job.Spec.Template.Spec.Containers[0]
	env, err := m.containerEnv(c)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	env["CLICKHOUSE_ADDR"] = closed
	bin := buildBinary(t, binaryOf(c))
	run := func(args []string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &exit):
			return exit.ExitCode(), string(out)
		}
		t.Fatalf("%s: %v", bin, err)
		return 0, ""
	}
	// -timeout bounds the dial; it goes first because flags end at the first argument.
	code, out := run(append([]string{"-timeout=20s"}, c.Args...))
	if code != 1 || !strings.Contains(out, closed) {
		t.Errorf("luminate-schema %v against a closed port: exit %d, want 1 with a connection error naming %s:\n%s", c.Args, code, closed, out)
	}
	if code, out := run([]string{"aply"}); code != 2 {
		t.Errorf("luminate-schema aply: exit %d, want 2 (usage), so that the check above means something:\n%s", code, out)
	}
}
