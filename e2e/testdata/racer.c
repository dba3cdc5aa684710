/* racer: a jailed root process that races every fsviews exec into its
 * jail. It scans /proc without pause for processes that are entering the
 * jail (cmdline "fsviews __enter ...", the enter stage) or were started
 * by the test (cmdline holding TAG), and tries what an attacker would:
 * ptrace it, read its exe and root links, open its exe, its root and its
 * fds, read its environ. It writes one line per finding to REPORT, unbuffered:
 *
 *   seen-stage PID       the enter stage was caught (proves the race ran)
 *   ptrace-ok PID EXE    ptrace worked on a command started in the jail
 *   LEAK what PID ...    something of the entering process was reached
 *
 * usage: racer REPORT TAG HOSTMARK EXEDEV EXEINO
 * HOSTMARK is a host path outside the view; EXEDEV:EXEINO the host's
 * fsviews binary. It runs until killed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int report;
static const char *tag, *hostmark;
static dev_t exedev;
static ino_t exeino;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	write(report, buf, n);
}

/* cmdline reads /proc/PID/cmdline with NULs turned into spaces; it needs
 * no ptrace access. */
static int cmdline(int pid, char *buf, size_t size)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/cmdline", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	buf[n] = 0;
	return 0;
}

/* host says whether a link or an exe names fsviews on the host: its
 * sealed copy (memfd) or the host's binary. */
static int host_exe(const char *link)
{
	return strstr(link, "memfd:") != NULL || strstr(link, "fsviews") != NULL;
}

/* still_stage says whether PID is still the enter stage after an access
 * to it worked. An execve is one-way: if it still is, the access reached
 * the stage. If not, the stage may have become the command in between,
 * which the jail may reach by design, and only what the access returned
 * tells whether it was the stage's. */
static int still_stage(int pid)
{
	char cmd[64];
	return cmdline(pid, cmd, sizeof cmd) == 0 && strncmp(cmd, "fsviews __enter ", 16) == 0;
}

/* jail_root says whether fd is the racer's own root: the jail's. */
static int jail_root(int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void attack(int pid, int stage)
{
	char p[128], link[512];
	ssize_t n;

	snprintf(p, sizeof p, "/proc/%d/exe", pid);
	n = readlink(p, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	if (n > 0 && (host_exe(link) || (stage && still_stage(pid))))
		say("LEAK exe-link %d %s", pid, link);

	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && ((st.st_dev == exedev && st.st_ino == exeino) || host_exe(link) || (stage && still_stage(pid))))
			say("LEAK exe-open %d %s", pid, link);
		close(fd);
	}

	/* The host marker through the process's root: found only if its
	 * root is the host's. */
	snprintf(p, sizeof p, "/proc/%d/root", pid);
	int root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0) {
		if (!jail_root(root) || (stage && still_stage(pid)))
			say("LEAK root-open %d", pid);
		if (faccessat(root, hostmark + 1, F_OK, 0) == 0)
			say("LEAK root-host %d", pid);
		close(root);
	}

	snprintf(p, sizeof p, "/proc/%d/environ", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char env[8192];
		n = read(fd, env, sizeof env - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (env[i] == 0)
				env[i] = '\n';
		env[n > 0 ? n : 0] = 0;
		if (strstr(env, "FSVIEWS_EXEC_SECRET") != NULL || (stage && still_stage(pid)))
			say("LEAK environ %d", pid);
	}

	snprintf(p, sizeof p, "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char fdp[300], target[512];
			snprintf(fdp, sizeof fdp, "/proc/%d/fd/%s", pid, de->d_name);
			/* Listing the numbers needs no access; reading where
			 * one leads does. */
			n = readlink(fdp, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			/* What the stage holds (pidfd, the jail's root on the
			 * host, the memfd, pipes to fsviews exec, and with --tty
			 * the socket and the terminal's master); a stage seen
			 * may be the command by now, which opens its libraries. */
			if (atoi(de->d_name) > 2 && (strstr(target, "pidfd") || strstr(target, "memfd") || strstr(target, "pipe:") || strstr(target, "fsviews") ||
						     strstr(target, "socket:") || strstr(target, "ptmx")))
				say("LEAK fd %d %s -> %s", pid, de->d_name, target);
		}
		closedir(d);
	}

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
		snprintf(p, sizeof p, "/proc/%d/exe", pid);
		n = readlink(p, link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
		/* A stage may have become the command since it was seen. */
		if ((n > 0 && host_exe(link)) || (stage && still_stage(pid)))
			say("LEAK ptrace %d %s", pid, link);
		else
			say("ptrace-ok %d %s", pid, link);
		/* DETACH needs a stopped tracee: stop it, wait, let go. */
		int ws;
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		waitpid(pid, &ws, __WALL);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}

}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: racer REPORT TAG HOSTMARK EXEDEV EXEINO\n");
		return 2;
	}
	report = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (report < 0) {
		perror(argv[1]);
		return 2;
	}
	tag = argv[2];
	hostmark = argv[3];
	exedev = strtoull(argv[4], NULL, 10);
	exeino = strtoull(argv[5], NULL, 10);
	say("ready %d", getpid());
	puts("ready");
	fflush(stdout);

	int self = getpid();
	for (;;) {
		DIR *d = opendir("/proc");
		if (!d) {
			say("opendir /proc: %s", strerror(errno));
			return 1;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			int pid = atoi(de->d_name);
			if (pid <= 0 || pid == self)
				continue;
			char cmd[4096];
			if (cmdline(pid, cmd, sizeof cmd) < 0)
				continue;
			int stage = strncmp(cmd, "fsviews __enter ", 16) == 0;
			/* The commands the test runs in the jail: "/bin/sh -c
			 * ... TAG"; not fsviews exec itself, which a jail
			 * without a PID namespace sees too, and which it would
			 * keep stopped. */
			if (!stage && (strncmp(cmd, "/bin/sh ", 8) != 0 || strstr(cmd, tag) == NULL))
				continue;
			if (stage)
				say("seen-stage %d", pid);
			attack(pid, stage);
		}
		closedir(d);
	}
}
