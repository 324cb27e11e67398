// kubectl built from its published Go module (k8s.io/kubectl), so that the image pins it by
// go.sum checksums instead of downloading a release binary. Same entry point as upstream's
// cmd/kubectl; the version is stamped by the Dockerfile's -ldflags.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Auth plugins (exec, OIDC) that kubeconfigs of managed clusters use.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
