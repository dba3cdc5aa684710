/* probe: make one syscall per argument and print how it went, as
 * "NAME: ok" or "NAME: ERRNO-NAME". The confinement tests run it inside a
 * jail; it is static so that it needs nothing from the view, and it is C
 * because x32 and i386 syscalls (int 0x80) are one line here. Output is
 * unbuffered so that a probe killed by the filter still shows the ones
 * before it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X32_BIT 0x40000000L

static void report(const char *name, long r)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: ok\n", name);
}

#if defined(__x86_64__)
/* An i386 syscall from a 64-bit process: the kernel takes int 0x80 as the
 * i386 ABI, with i386 numbers (getpid 20, unshare 310). */
static long int80(long nr, long a1)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a1) : "memory");
	if (r < 0 && r > -4096) {
		errno = -r;
		return -1;
	}
	return r;
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *p = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(p, "pid")) {
			printf("pid: %d\n", getpid());
		} else if (!strcmp(p, "mount")) {
			report(p, mount("none", "/tmp", "tmpfs", 0, NULL));
		} else if (!strcmp(p, "unshare")) {
			report(p, unshare(CLONE_NEWUTS));
		} else if (!strcmp(p, "ptrace")) {
			report(p, syscall(SYS_ptrace, PTRACE_PEEKUSER, 1, 0, 0));
		} else if (!strcmp(p, "bpf")) {
			report(p, syscall(SYS_bpf, -1, 0, 0));
		} else if (!strcmp(p, "mkdir")) {
			report(p, mkdir(arg, 0755));
			i++;
		} else if (!strcmp(p, "open-write")) {
			report(p, open(arg, O_WRONLY | O_CREAT, 0644));
			i++;
		} else if (!strcmp(p, "open-read")) {
			report(p, open(arg, O_RDONLY));
			i++;
		} else if (!strcmp(p, "socket-unix")) {
			report(p, socket(AF_UNIX, SOCK_STREAM, 0));
		} else if (!strcmp(p, "socket-inet")) {
			report(p, socket(AF_INET, SOCK_STREAM, 0));
#if defined(__x86_64__)
		} else if (!strcmp(p, "x32-getpid")) {
			report(p, syscall(X32_BIT | SYS_getpid));
		} else if (!strcmp(p, "x32-unshare")) {
			report(p, syscall(X32_BIT | SYS_unshare, CLONE_NEWUTS));
		} else if (!strcmp(p, "i386-getpid")) {
			report(p, int80(20, 0));
		} else if (!strcmp(p, "i386-unshare")) {
			report(p, int80(310, CLONE_NEWUTS));
#endif
		} else {
			printf("%s: unknown probe\n", p);
			return 2;
		}
	}
	return 0;
}
