package procfs

import (
	"sort"
	"strconv"
	"strings"
)

// capNameList is linux/capability.h in bit order, without the CAP_ prefix.
var capNameList = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// capNames renders a /proc status capability mask as psgo does: "full" when
// every capability the kernel knows is set, "none" when none is, else the
// sorted, comma-separated names.
func capNames(hexMask string, last int) string {
	mask, err := strconv.ParseUint(hexMask, 16, 64)
	if err != nil {
		return "?"
	}
	if last >= 0 && last < 63 && mask == (uint64(1)<<(last+1))-1 {
		return "full"
	}
	var names []string
	for i := 0; i < 64; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		if i < len(capNameList) {
			names = append(names, capNameList[i])
		} else {
			names = append(names, "CAP_"+strconv.Itoa(i))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
