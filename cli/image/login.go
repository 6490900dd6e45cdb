package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newLoginCommand(g *command.Globals) *cobra.Command {
	var o engine.LoginOptions
	var passwordStdin, tlsVerify bool
	cmd := &cobra.Command{
		Use:   "login [options] [REGISTRY]",
		Short: "Log in to a container registry",
		Long:  "Log in to a container registry on a specified server.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("please provide a registry to log in to")
			}
			if cmd.Flags().Changed("tls-verify") {
				o.TLSVerify = &tlsVerify
			}
			if passwordStdin {
				if o.Password != "" {
					return errors.New("can't specify both --password-stdin and --password")
				}
				if o.Username == "" {
					return errors.New("must provide --username with --password-stdin")
				}
				data, err := io.ReadAll(g.Stdin)
				if err != nil {
					return err
				}
				o.Password = strings.TrimRight(string(data), "\r\n")
			}
			if err := promptCredentials(g, &o); err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := eng.Login(cmd.Context(), args[0], o); err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, "Login Succeeded!")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Username, "username", "u", "", "Username for registry")
	f.StringVarP(&o.Password, "password", "p", "", "Password for registry")
	f.BoolVar(&passwordStdin, "password-stdin", false, "Take the password from stdin")
	f.StringVar(&o.AuthFile, "authfile", "", "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override")
	f.StringVar(&o.CertDir, "cert-dir", "", "use certificates at the specified path to access the registry")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when contacting registries")
	f.BoolP("verbose", "v", false, "Write more detailed information to stdout")
	return cmd
}

// promptCredentials asks for a missing username or password on a terminal.
func promptCredentials(g *command.Globals, o *engine.LoginOptions) error {
	if o.Username != "" && o.Password != "" {
		return nil
	}
	in, ok := g.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		if o.Username == "" {
			return errors.New("username is required (use --username, or a terminal to be prompted)")
		}
		return errors.New("password is required (use --password or --password-stdin, or a terminal to be prompted)")
	}
	if o.Username == "" {
		fmt.Fprint(g.Stdout, "Username: ")
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil {
			return err
		}
		o.Username = strings.TrimSpace(line)
	}
	if o.Password == "" {
		fmt.Fprint(g.Stdout, "Password: ")
		pw, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(g.Stdout)
		if err != nil {
			return err
		}
		o.Password = string(pw)
	}
	return nil
}

func newLogoutCommand(g *command.Globals) *cobra.Command {
	var o engine.LogoutOptions
	cmd := &cobra.Command{
		Use:   "logout [options] [REGISTRY]",
		Short: "Log out of a container registry",
		Long:  "Remove the cached username and password for the registry.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !o.All {
				return errors.New("please provide a registry to log out from")
			}
			reg := ""
			if len(args) == 1 {
				reg = args[0]
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := eng.Logout(cmd.Context(), reg, o); err != nil {
				return err
			}
			if o.All {
				fmt.Fprintln(g.Stdout, "Removed login credentials for all registries")
			} else {
				fmt.Fprintln(g.Stdout, "Removed login credentials for "+strings.TrimPrefix(strings.TrimPrefix(reg, "https://"), "docker://"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.AuthFile, "authfile", "", "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override")
	f.BoolVarP(&o.All, "all", "a", false, "Remove the cached credentials for all registries in the auth file")
	return cmd
}
