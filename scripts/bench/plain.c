/*
 * plain: the anchor recipe fsviews is the production form of, in as few
 * syscalls as C allows. Built by scripts/bench/run.sh at bench time; never
 * shipped. It builds the same view as the benchmark's fsviews profile and
 * bwrap command line, then execs the command:
 *
 *   unshare(CLONE_NEWNS [|CLONE_NEWPID]); mount --make-rprivate /;
 *   tmpfs on ROOT; bind /usr read-only; bin/lib/lib64/sbin symlinks;
 *   /proc; a minimal /dev; tmpfs /tmp; N extra read-only binds; the root
 *   remounted read-only; pivot_root(".", "."); umount2(".", MNT_DETACH); exec.
 *
 * It drops no privileges (fsviews and bwrap are told to drop every
 * capability): it is the recipe at its cheapest.
 *
 * usage: plain ROOTDIR [--pid] [--binds N SRC] -- CMD [ARGS...]
 * ROOTDIR is any existing empty directory: the tmpfs is mounted over it
 * inside the private namespace, so the host never sees it.
 * With --pid the namespace's PID 1 runs the command; the caller waits for
 * it and returns its exit status, as bwrap --unshare-pid does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
	fprintf(stderr, "plain: %s %s: %s\n", what, path ? path : "", strerror(errno));
	exit(125);
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) != 0)
		die("mount", dst);
}

/* A read-only bind: bind, then remount the bind read-only (two syscalls:
 * the classic recipe; MS_RDONLY on the bind call itself is ignored). */
static void robind(const char *src, const char *dst)
{
	mnt(src, dst, NULL, MS_BIND | MS_REC, NULL);
	mnt(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static void mkdir_or_die(const char *p)
{
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		die("mkdir", p);
}

static void touch(const char *p)
{
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		die("create", p);
	close(fd);
}

/* build fills the new root, the current directory. */
static void build(int nbinds, const char *bindsrc)
{
	static const char *devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	char p[64];
	mkdir_or_die("usr");
	robind("/usr", "usr");
	if (symlink("usr/bin", "bin") || symlink("usr/sbin", "sbin") || symlink("usr/lib", "lib") ||
	    symlink("usr/lib64", "lib64"))
		die("symlink", "bin/sbin/lib/lib64");
	mkdir_or_die("proc");
	mnt("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mkdir_or_die("dev");
	mnt("tmpfs", "dev", "tmpfs", MS_NOSUID, "mode=0755,size=1m");
	for (size_t i = 0; i < sizeof devs / sizeof *devs; i++) {
		char host[32];
		snprintf(p, sizeof p, "dev/%s", devs[i]);
		snprintf(host, sizeof host, "/dev/%s", devs[i]);
		touch(p);
		mnt(host, p, NULL, MS_BIND, NULL);
	}
	mkdir_or_die("dev/pts");
	mnt("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
	if (symlink("pts/ptmx", "dev/ptmx"))
		die("symlink", "dev/ptmx");
	mkdir_or_die("dev/shm");
	mnt("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mkdir_or_die("tmp");
	mnt("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	if (nbinds > 0) {
		mkdir_or_die("b");
		for (int i = 0; i < nbinds; i++) {
			snprintf(p, sizeof p, "b/%d", i);
			mkdir_or_die(p);
			robind(bindsrc, p);
		}
	}
}

int main(int argc, char **argv)
{
	int pid = 0, nbinds = 0, i = 2;
	const char *bindsrc = NULL;
	if (argc < 4)
		goto usage;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--pid") == 0)
			pid = 1;
		else if (strcmp(argv[i], "--binds") == 0 && i + 2 < argc) {
			nbinds = atoi(argv[++i]);
			bindsrc = argv[++i];
		} else
			goto usage;
	}
	if (i + 1 >= argc)
		goto usage;
	char **cmd = argv + i + 1;

	if (unshare(CLONE_NEWNS | (pid ? CLONE_NEWPID : 0)) != 0)
		die("unshare", NULL);
	if (pid) {
		/* The first child becomes PID 1 of the new namespace. */
		pid_t child = fork();
		if (child < 0)
			die("fork", NULL);
		if (child > 0) {
			int st;
			if (waitpid(child, &st, 0) < 0)
				die("waitpid", NULL);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
	mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (chdir(argv[1]) != 0)
		die("chdir", argv[1]);
	mnt("tmpfs", argv[1], "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	if (chdir(argv[1]) != 0) /* enter the tmpfs just stacked there */
		die("chdir", argv[1]);
	build(nbinds, bindsrc);
	/* The root tmpfs read-only once built, as fsviews and bwrap --remount-ro / leave it. */
	mnt(NULL, ".", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		die("pivot_root", ".");
	if (umount2(".", MNT_DETACH) != 0)
		die("umount2", ".");
	if (chdir("/") != 0)
		die("chdir", "/");
	execv(cmd[0], cmd);
	die("exec", cmd[0]);
usage:
	fprintf(stderr, "usage: plain ROOTDIR [--pid] [--binds N SRC] -- CMD [ARGS...]\n");
	return 125;
}
