// When a real helm is on PATH, the Go renderer must produce the same documents as
// `helm template` for the value sets the other tests use.
package chart

import (
	"os"
	"os/exec"
	"reflect"
	"testing"
)

func renderWith(t *testing.T, mode string, args ...string) []obj {
	t.Helper()
	os.Setenv("HELM_RENDER", mode)
	defer os.Unsetenv("HELM_RENDER")
	return render(t, args...)
}

func TestGoRendererAgreesWithHelm(t *testing.T) {
	if _, err := exec.LookPath("helm"); err != nil {
		t.Log("helm is not on PATH (no Debian package); agreement checked in CI hosts that have it")
		return
	}
	sets := [][]string{
		nil,
		{"--namespace", "mr-system", "--set", "replicaCount=3,watchNamespace=ml"},
		{"--set", "metrics.serviceMonitor.enabled=true,modelServers.podMonitor.enabled=true,prometheusRule.enabled=true"},
		{"--set", "rbac.istio=false,podLabels.team=ml,resources.limits=null"},
	}
	for _, args := range sets {
		goDocs, helmDocs := renderWith(t, "go", args...), renderWith(t, "helm", args...)
		if !reflect.DeepEqual(goDocs, helmDocs) {
			t.Errorf("%v: Go renderer and helm disagree\n go:   %v\n helm: %v", args, goDocs, helmDocs)
		}
	}
}
