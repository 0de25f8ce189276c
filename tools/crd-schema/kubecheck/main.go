// kubecheck: validates a CRD with Kubernetes' own apiextensions validation (k8s.io/
// apiextensions-apiserver v0.32.13: strict decoding, structural schema, list-map keys, CEL cost)
// and, given an object, prunes and defaults it as kube-apiserver does, printing the pruned paths
// (what strict field validation reports as unknown fields). A manual check of the generated
// spec.template schema (docs/api.md); not in ctest, since it needs the Kubernetes module graph
// (network or a warm module cache) and minutes to build:
//
//	cd tools/crd-schema/kubecheck && go build -o /tmp/kubecheck . &&
//	/tmp/kubecheck ../../../crds/modelrollout.io_modelrollouts.yaml [object.yaml]
package main

import (
	"context"
	"fmt"
	"os"

	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	v1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var crd v1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		fmt.Println("strict decode:", err)
		os.Exit(1)
	}
	scheme := runtime.NewScheme()
	_ = v1.AddToScheme(scheme)
	_ = apiext.AddToScheme(scheme)
	scheme.Default(&crd)
	var internal apiext.CustomResourceDefinition
	if err := scheme.Convert(&crd, &internal, nil); err != nil {
		panic(err)
	}
	errs := validation.ValidateCustomResourceDefinition(context.Background(), &internal)
	for _, e := range errs {
		fmt.Println(e)
	}
	if len(errs) > 0 {
		os.Exit(1)
	}
	fmt.Println("CRD valid:", len(data), "bytes")
	if len(os.Args) > 2 {
		pruneCheck(&internal, os.Args[2])
	}
}
