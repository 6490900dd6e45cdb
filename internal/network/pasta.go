package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// PastaOptions describe the pasta instance that gives a (rootless)
// container's namespace a network and forwards its published ports.
type PastaOptions struct {
	Binary    string // pasta; found on $PATH when empty
	NetnsPath string
	PidFile   string
	Ports     []engine.PortMapping
	// Args are the user's extra options (--network pasta:ARG,ARG).
	Args []string
}

// pastaArgs builds pasta's command line: the namespace's tap configured
// like the host (--config-net), the published ports forwarded from the host
// and nothing forwarded from the namespace back to the host.
func pastaArgs(o PastaOptions) []string {
	args := []string{"--config-net", "--quiet", "--pid", o.PidFile}
	var tcp, udp []string
	for _, p := range normalizePorts(o.Ports) {
		spec := strconv.Itoa(int(p.HostPort))
		if p.Range > 1 {
			spec += "-" + strconv.Itoa(int(p.HostPort+p.Range-1))
		}
		spec += ":" + strconv.Itoa(int(p.ContainerPort))
		if p.Range > 1 {
			spec += "-" + strconv.Itoa(int(p.ContainerPort+p.Range-1))
		}
		if p.HostIP != "" {
			spec = p.HostIP + "/" + spec
		}
		for _, proto := range strings.Split(p.Protocol, ",") {
			switch proto {
			case "udp":
				udp = append(udp, spec)
			default:
				tcp = append(tcp, spec)
			}
		}
	}
	for _, l := range []struct {
		flag  string
		specs []string
	}{{"-t", tcp}, {"-u", udp}} {
		if len(l.specs) == 0 {
			args = append(args, l.flag, "none")
		}
		for _, s := range l.specs {
			args = append(args, l.flag, s)
		}
	}
	args = append(args, "-T", "none", "-U", "none")
	args = append(args, o.Args...)
	return append(args, "--netns", o.NetnsPath)
}

// StartPasta starts pasta for the namespace; it returns once pasta has
// configured the namespace and gone to the background.
func StartPasta(ctx context.Context, o PastaOptions) error {
	if err := checkPrivilegedPorts(o.Ports); err != nil {
		return err
	}
	bin := o.Binary
	if bin == "" {
		p, err := exec.LookPath("pasta")
		if err != nil {
			return errors.New("pasta not found: install the passt package")
		}
		bin = p
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), bin, pastaArgs(o)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if terr := tunError("pasta", msg); terr != nil {
			return terr
		}
		return fmt.Errorf("pasta failed: %v: %s", err, msg)
	}
	return nil
}

// StopPasta ends the pasta instance recorded in pidFile. A missing file or
// process is not an error, and a recycled PID that is not pasta is left alone.
func StopPasta(pidFile string) error {
	// pasta is passt under another name, and re-executes passt.avx2 where it can.
	return stopByPidFile(pidFile, "pasta", "passt")
}
