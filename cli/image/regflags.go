package image

import (
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// registryFlags binds the flags pull and push share into o.
type registryFlags struct {
	tlsVerify bool
	retry     uint
}

func addRegistryFlags(cmd *cobra.Command, o *engine.RegistryOptions, rf *registryFlags) {
	f := cmd.Flags()
	f.StringVar(&o.AuthFile, "authfile", "", "Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override")
	f.StringVar(&o.CertDir, "cert-dir", "", "`Pathname` of a directory containing TLS certificates and keys")
	f.StringVar(&o.Creds, "creds", "", "`Credentials` (USERNAME:PASSWORD) to use for authenticating to a registry")
	f.BoolVar(&rf.tlsVerify, "tls-verify", true, "Require HTTPS and verify certificates when contacting registries")
	f.UintVar(&rf.retry, "retry", 3, "number of times to retry in case of failure when performing pull")
	f.StringVar(&o.RetryDelay, "retry-delay", "", "delay between retries in case of pull failures")
	f.StringVar(&o.SignaturePolicy, "signature-policy", "", "`Pathname` of signature policy file (not usually used)")
	_ = f.MarkHidden("signature-policy")
	f.Bool("disable-content-trust", false, "This is a Docker specific option and is a NOOP")
	_ = f.MarkHidden("disable-content-trust")
}

// apply copies the flags the user set into o.
func (rf *registryFlags) apply(cmd *cobra.Command, o *engine.RegistryOptions) {
	if cmd.Flags().Changed("tls-verify") {
		v := rf.tlsVerify
		o.TLSVerify = &v
	}
	if cmd.Flags().Changed("retry") {
		v := rf.retry
		o.Retry = &v
	}
}
