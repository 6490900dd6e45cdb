// The C half of joining the pause process's namespaces. setns(CLONE_NEWUSER)
// is refused to a multi-threaded process, so it has to run before the Go
// runtime starts its threads: in a constructor, driven by the environment
// the Go half (Enter) sets when it re-executes the binary.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void selkie_join_fail(const char *what, int pid)
{
	fprintf(stderr, "Error: cannot join the %s namespace of the rootless pause process %d: %s\n", what, pid, strerror(errno));
	_exit(125);
}

__attribute__((constructor)) static void selkie_rootless_join(void)
{
	const char *s = getenv("_SELKIE_JOIN_PID");
	char path[64], cwd[PATH_MAX];
	int pid, userfd, mntfd, havecwd;

	if (s == NULL || *s == '\0')
		return;
	pid = atoi(s);
	if (pid <= 0) {
		fprintf(stderr, "Error: invalid _SELKIE_JOIN_PID %s\n", s);
		_exit(125);
	}
	havecwd = getcwd(cwd, sizeof(cwd)) != NULL;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	userfd = open(path, O_RDONLY | O_CLOEXEC);
	if (userfd < 0)
		selkie_join_fail("user", pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	mntfd = open(path, O_RDONLY | O_CLOEXEC);
	if (mntfd < 0)
		selkie_join_fail("mount", pid);
	if (setns(userfd, CLONE_NEWUSER) < 0)
		selkie_join_fail("user", pid);
	if (setns(mntfd, CLONE_NEWNS) < 0)
		selkie_join_fail("mount", pid);
	close(userfd);
	close(mntfd);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "Error: cannot become root in the rootless user namespace: %s\n", strerror(errno));
		_exit(125);
	}
	/* setns(CLONE_NEWNS) moved us to the namespace's root. */
	if (havecwd && chdir(cwd) < 0 && chdir("/") < 0)
		_exit(125);
	unsetenv("_SELKIE_JOIN_PID");
}
