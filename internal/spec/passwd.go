package spec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

// ContainerIDFiles returns the container's own copies of /etc/passwd and
// /etc/group when the user (--user or the image's USER) is a numeric UID
// (or GID) the image's files do not list, with the entries Podman's
// --passwd (default true) appends: "UID:*:UID:GID:container user:WORKDIR:/bin/sh"
// and "GID:x:GID:USER". A nil result means the image's file is used as is.
// The image's files are only read (inside the rootfs); the copies are
// bind-mounted over them by Generate when present in the run dir.
func ContainerIDFiles(rootfs string, o *engine.ContainerCreateOptions, img *v1.ImageConfig) (passwd, group []byte, err error) {
	if img == nil {
		img = &v1.ImageConfig{}
	}
	uspec := userSpec(o, img)
	if uspec == "" || rootfs == "" {
		return nil, nil, nil
	}
	userPart, groupPart, _ := strings.Cut(uspec, ":")
	users, err := readPasswd(rootfs)
	if err != nil {
		return nil, nil, err
	}
	groups, err := readGroup(rootfs)
	if err != nil {
		return nil, nil, err
	}
	hasGID := func(gid uint32) bool {
		for _, g := range groups {
			if g.gid == gid {
				return true
			}
		}
		return false
	}
	var pwLine, grLine string
	uid, numeric := parseID(userPart)
	if numeric {
		known := false
		for _, u := range users {
			if u.uid == uid {
				known = true
				break
			}
		}
		if !known {
			u, err := LookupUser(rootfs, uspec, nil)
			if err != nil {
				return nil, nil, err
			}
			pwLine = fmt.Sprintf("%d:*:%d:%d:container user:%s:/bin/sh\n", uid, uid, u.GID, workDir(o, img))
		}
	}
	if groupPart != "" {
		if gid, ok := parseID(groupPart); ok && !hasGID(gid) {
			grLine = fmt.Sprintf("%d:x:%d:%s\n", gid, gid, userPart)
		}
	} else if pwLine != "" && !hasGID(uid) {
		grLine = fmt.Sprintf("%d:x:%d:%s\n", uid, uid, userPart)
	}
	if pwLine != "" {
		if passwd, err = appendLine(rootfs, "/etc/passwd", pwLine); err != nil {
			return nil, nil, err
		}
	}
	if grLine != "" {
		if group, err = appendLine(rootfs, "/etc/group", grLine); err != nil {
			return nil, nil, err
		}
	}
	return passwd, group, nil
}

// appendLine returns the image's file (read inside rootfs, bounded; missing
// means empty) with line appended.
func appendLine(rootfs, path, line string) ([]byte, error) {
	var data []byte
	f, err := openInRoot(rootfs, path)
	switch {
	case err == nil:
		data, err = io.ReadAll(io.LimitReader(f, maxIDFileSize))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	return append(data, line...), nil
}
