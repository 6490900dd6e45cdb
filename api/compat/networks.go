package compat

import (
	"fmt"
	"net/http"
	"time"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// dockerNetwork is Docker's network inspect / list element.
type dockerNetwork struct {
	Name       string     `json:"Name"`
	ID         string     `json:"Id"`
	Created    string     `json:"Created"`
	Scope      string     `json:"Scope"`
	Driver     string     `json:"Driver"`
	EnableIPv6 bool       `json:"EnableIPv6"`
	IPAM       dockerIPAM `json:"IPAM"`
	Internal   bool       `json:"Internal"`
	Attachable bool       `json:"Attachable"`
	Ingress    bool       `json:"Ingress"`
	ConfigFrom struct {
		Network string `json:"Network"`
	} `json:"ConfigFrom"`
	ConfigOnly bool              `json:"ConfigOnly"`
	Containers map[string]any    `json:"Containers"`
	Options    map[string]string `json:"Options"`
	Labels     map[string]string `json:"Labels"`
}

type dockerIPAM struct {
	Driver  string             `json:"Driver"`
	Options map[string]string  `json:"Options"`
	Config  []dockerIPAMConfig `json:"Config"`
}

type dockerIPAMConfig struct {
	Subnet  string `json:"Subnet,omitempty"`
	IPRange string `json:"IPRange,omitempty"`
	Gateway string `json:"Gateway,omitempty"`
}

// networkCreateRequest is Docker's POST /networks/create body.
type networkCreateRequest struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Internal   bool              `json:"Internal"`
	EnableIPv6 *bool             `json:"EnableIPv6"`
	IPAM       *dockerIPAM       `json:"IPAM"`
	Options    map[string]string `json:"Options"`
	Labels     map[string]string `json:"Labels"`
}

func toDockerNetwork(n engine.Network) dockerNetwork {
	d := dockerNetwork{
		Name: n.Name, ID: n.ID, Created: n.Created.UTC().Format(time.RFC3339Nano), Scope: "local", Driver: n.Driver,
		EnableIPv6: n.IPv6Enabled, Internal: n.Internal, Containers: map[string]any{}, Options: n.Options, Labels: n.Labels,
		IPAM: dockerIPAM{Driver: "default", Options: map[string]string{}, Config: []dockerIPAMConfig{}},
	}
	if d.Options == nil {
		d.Options = map[string]string{}
	}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	for _, s := range n.Subnets {
		c := dockerIPAMConfig{Subnet: s.Subnet, Gateway: s.Gateway}
		if s.LeaseRange != nil && s.LeaseRange.StartIP != "" {
			c.IPRange = s.LeaseRange.StartIP + "-" + s.LeaseRange.EndIP
		}
		d.IPAM.Config = append(d.IPAM.Config, c)
	}
	return d
}

func (s *routes) networks(h handle) {
	list := func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		l, err := s.eng.NetworkList(r.Context(), engine.NetworkListOptions{Filters: f})
		if err != nil {
			return err
		}
		out := make([]dockerNetwork, 0, len(l))
		for _, n := range l {
			out = append(out, toDockerNetwork(n))
		}
		return writeJSON(w, http.StatusOK, out)
	}
	h("GET /networks", list)
	h("GET /networks/{$}", list)
	h("GET /networks/{id}", func(w http.ResponseWriter, r *http.Request) error {
		n, err := s.eng.NetworkInspect(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toDockerNetwork(*n))
	})
	h("POST /networks/create", func(w http.ResponseWriter, r *http.Request) error {
		var req networkCreateRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if req.Name == "" {
			return wire.BadRequest(fmt.Errorf("network name is required"))
		}
		o := engine.NetworkCreateOptions{Name: req.Name, Driver: req.Driver, Internal: req.Internal, Labels: req.Labels, Options: req.Options}
		if o.Driver == "" {
			o.Driver = "bridge"
		}
		if name := o.Options["com.docker.network.bridge.name"]; name != "" {
			// Docker's way to name the bridge; the option stays so inspect
			// shows what compose asked for.
			o.InterfaceName = name
		}
		if req.EnableIPv6 != nil {
			o.IPv6 = *req.EnableIPv6
		}
		if req.IPAM != nil {
			for _, c := range req.IPAM.Config {
				if c.Subnet != "" {
					o.Subnets = append(o.Subnets, c.Subnet)
				}
				if c.Gateway != "" {
					o.Gateways = append(o.Gateways, c.Gateway)
				}
				if c.IPRange != "" {
					o.IPRanges = append(o.IPRanges, c.IPRange)
				}
			}
		}
		n, err := s.eng.NetworkCreate(r.Context(), o)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]string{"Id": n.ID, "Warning": ""})
	})
	h("DELETE /networks/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.eng.NetworkRemove(r.Context(), r.PathValue("id"), engine.NetworkRemoveOptions{}); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /networks/prune", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		names, err := s.eng.NetworkPrune(r.Context(), engine.NetworkPruneOptions{Filters: f})
		if err != nil {
			return err
		}
		if names == nil {
			names = []string{}
		}
		return writeJSON(w, http.StatusOK, map[string][]string{"NetworksDeleted": names})
	})
	h("POST /networks/{id}/connect", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Container      string
			EndpointConfig *struct {
				Aliases    []string
				IPAMConfig *struct {
					IPv4Address string
					IPv6Address string
				}
				MacAddress string
			}
		}
		if err := decode(w, r, &req); err != nil {
			return err
		}
		o := engine.NetworkConnectOptions{Container: req.Container}
		if ec := req.EndpointConfig; ec != nil {
			o.Aliases, o.StaticMAC = ec.Aliases, ec.MacAddress
			if ec.IPAMConfig != nil {
				for _, ip := range []string{ec.IPAMConfig.IPv4Address, ec.IPAMConfig.IPv6Address} {
					if ip != "" {
						o.StaticIPs = append(o.StaticIPs, ip)
					}
				}
			}
		}
		if err := s.eng.NetworkConnect(r.Context(), r.PathValue("id"), o); err != nil {
			return err
		}
		s.noteConnect(r.Context(), req.Container, r.PathValue("id"), true)
		return writeJSON(w, http.StatusOK, struct{}{})
	})
	h("POST /networks/{id}/disconnect", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Container string
			Force     bool
		}
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if err := s.eng.NetworkDisconnect(r.Context(), r.PathValue("id"), engine.NetworkDisconnectOptions{Container: req.Container, Force: req.Force}); err != nil {
			return err
		}
		s.noteConnect(r.Context(), req.Container, r.PathValue("id"), false)
		return writeJSON(w, http.StatusOK, struct{}{})
	})
}
