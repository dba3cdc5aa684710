/* refuse: run a command as if the kernel lacked some features, so that the
 * tests can watch fsviews fail closed (or skip an optional layer) on a real
 * kernel that has them all. It installs a seccomp filter, inherited by the
 * command, that makes
 *   seccomp   seccomp(2) fail with ENOSYS (a kernel without filters),
 *   landlock  landlock_create_ruleset(2) fail with ENOSYS (no Landlock),
 *   netns     unshare(2) and clone(2) with CLONE_NEWNET fail with EPERM,
 * for each word before "--", then executes the command after it.
 * x86_64 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEVER 0xffffffffu /* a syscall number that never matches */

int main(int argc, char **argv)
{
	unsigned int nr_seccomp = NEVER, nr_landlock = NEVER, nr_unshare = NEVER, nr_clone = NEVER;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "seccomp"))
			nr_seccomp = SYS_seccomp;
		else if (!strcmp(argv[i], "landlock"))
			nr_landlock = SYS_landlock_create_ruleset;
		else if (!strcmp(argv[i], "netns")) {
			nr_unshare = SYS_unshare;
			nr_clone = SYS_clone; /* flags in args[0] on x86_64, as unshare's */
		}
		else {
			fprintf(stderr, "refuse: unknown feature %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: refuse FEATURE... -- COMMAND...\n");
		return 2;
	}
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_seccomp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_landlock, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_unshare, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_clone, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWNET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
	/* As root, no no_new_privs is needed, and fsviews keeps its
	 * privileges. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("refuse: install filter");
		return 1;
	}
	execv(argv[i + 1], argv + i + 1);
	perror("refuse: exec");
	return 127;
}
