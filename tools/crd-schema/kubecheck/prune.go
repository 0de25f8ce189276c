package main

import (
	"fmt"
	"os"

	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"sigs.k8s.io/yaml"
)

func pruneCheck(internal *apiext.CustomResourceDefinition, objFile string) {
	v := internal.Spec.Validation
	if internal.Spec.Versions[0].Schema != nil {
		v = internal.Spec.Versions[0].Schema
	}
	s, err := structuralschema.NewStructural(v.OpenAPIV3Schema)
	if err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(objFile)
	var obj map[string]interface{}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		panic(err)
	}
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, s)
	pruned := pruning.PruneWithOptions(obj, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.Default(obj, s)
	out, _ := yaml.Marshal(obj["spec"])
	fmt.Println("pruned:", pruned)
	fmt.Println(string(out))
}
