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
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
		} else if (!strcmp(p, "open-append")) {
			/* Opens for writing without creating or writing anything. */
			report(p, open(arg, O_WRONLY | O_APPEND));
			i++;
		} else if (!strcmp(p, "read-size")) {
			char buf[4096];
			long n = 0, r;
			int fd = open(arg, O_RDONLY);
			if (fd < 0) {
				report(p, fd);
			} else {
				while ((r = read(fd, buf, sizeof buf)) > 0)
					n += r;
				printf("read-size: %ld\n", n);
			}
			i++;
		} else if (!strcmp(p, "remount-rw")) {
			report(p, mount(NULL, arg, NULL, MS_REMOUNT | MS_BIND, NULL));
			i++;
		} else if (!strcmp(p, "umount")) {
			report(p, umount2(arg, MNT_DETACH));
			i++;
		} else if (!strcmp(p, "kill0")) {
			report(p, kill(atoi(arg), 0));
			i++;
		} else if (!strcmp(p, "seize")) {
			report(p, ptrace(PTRACE_SEIZE, atoi(arg), 0, 0));
			i++;
		} else if (!strcmp(p, "chmod-suid")) {
			/* Creates arg, then makes it set-user-ID. */
			int fd = open(arg, O_WRONLY | O_CREAT, 0755);
			if (fd >= 0)
				close(fd);
			report(p, chmod(arg, 04755));
			i++;
		} else if (!strcmp(p, "create-suid")) {
			report(p, open(arg, O_WRONLY | O_CREAT | O_EXCL, 04755));
			i++;
		} else if (!strcmp(p, "setfcap")) {
			/* A v2 security.capability granting cap_setuid, effective. */
			unsigned int v[5] = {0x02000001, 1u << 7, 0, 0, 0};
			report(p, setxattr(arg, "security.capability", v, sizeof v, 0));
			i++;
		} else if (!strcmp(p, "tiocsti")) {
			char c = '#';
			report(p, ioctl(atoi(arg), TIOCSTI, &c));
			i++;
		} else if (!strcmp(p, "tiocsctty")) {
			report(p, ioctl(atoi(arg), TIOCSCTTY, 1));
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
