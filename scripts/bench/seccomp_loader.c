/*
 * seccomp_loader: benchmark-only C (fsviews itself stays pure Go). Built by
 * scripts/bench/run.sh at bench time with -lseccomp. It installs one filter
 * and times syscalls through it, so that fsviews' compiler and libseccomp
 * are measured by the very same loop:
 *
 *   seccomp_loader none       -          ITERS ROUNDS   no filter (baseline)
 *   seccomp_loader bpf        PROG.bpf   ITERS ROUNDS   a program fsviews compiled
 *   seccomp_loader libseccomp RULES.txt  ITERS ROUNDS   the same rules, compiled by libseccomp
 *
 * RULES.txt: one rule a line, "SYSCALL ARGINDEX VALUE": fail SYSCALL with
 * EPERM when argument ARGINDEX equals VALUE (64-bit compare); everything
 * else is allowed, as in fsviews' Spec{Preset: "none", Rules: ...}.
 *
 * Prints: insns=N getppid_ns=X getpgid_ns=Y ioctl_ns=Z base_getppid_ns=...
 * base_getpgid_ns=... base_ioctl_ns=... getppid_res=R getpgid_res=R
 * ioctl_res=R probe=E. The filter runs in a forked child; the parent, with
 * no filter, times the same loops (base_*), and the two take turns round
 * by round over a pipe (read and write pass every filter, even "strict"),
 * so that load from other processes hits both alike. *_res say whether the
 * filter let each call through ("ok") or refused it (the errno name).
 * Each figure is the median over ROUNDS of the mean over ITERS calls.
 * probe is the errno of getpgid(PROBE), where PROBE is the first getpgid
 * rule's value (libseccomp mode reads it from RULES.txt, bpf mode from
 * $PROBE): EPERM shows the rules work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "seccomp_loader: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall, not filtered */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double loop(int which, long iters)
{
	double t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		switch (which) {
		case 0: syscall(SYS_getppid); break;
		case 1: syscall(SYS_getpgid, 0); break;
		case 2: syscall(SYS_ioctl, -1, FIONREAD, 0); break;
		}
	}
	return (now_ns() - t0) / iters;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char *errname(int e) { return e == 0 ? "ok" : strerrorname_np(e); }

/* What a filtered child reports after its rounds. */
struct verdict {
	long insns;
	int res[3]; /* 0: the call went through; else the errno the filter returned */
	int probe;  /* errno of getpgid(PROBE), -1 when there is no probe */
};

static long install_bpf(const char *file)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die(file);
	struct sock_filter *insns = malloc(st.st_size);
	if (read(fd, insns, st.st_size) != st.st_size)
		die("read program");
	struct sock_fprog prog = {.len = st.st_size / sizeof *insns, .filter = insns};
	/* The same call fsviews' Program.Install makes (flags 0). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		die("seccomp(SECCOMP_SET_MODE_FILTER)");
	return prog.len;
}

static long install_libseccomp(const char *file, uint64_t *probe)
{
	FILE *f = fopen(file, "r");
	if (!f)
		die(file);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		die("seccomp_init");
	char name[64];
	unsigned idx;
	unsigned long long val;
	while (fscanf(f, "%63s %u %llx", name, &idx, &val) == 3) {
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "seccomp_loader: unknown syscall %s\n", name);
			exit(1);
		}
		if (nr == SYS_getpgid && *probe == 0)
			*probe = val;
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_CMP(idx, SCMP_CMP_EQ, val));
		if (rc != 0) {
			errno = -rc;
			die("seccomp_rule_add");
		}
	}
	fclose(f);
	/* Count the instructions libseccomp generates. */
	FILE *tmp = tmpfile();
	if (!tmp || seccomp_export_bpf(ctx, fileno(tmp)) != 0)
		die("seccomp_export_bpf");
	long len = lseek(fileno(tmp), 0, SEEK_END) / (long)sizeof(struct sock_filter);
	fclose(tmp);
	int rc = seccomp_load(ctx);
	if (rc != 0) {
		errno = -rc;
		die("seccomp_load");
	}
	seccomp_release(ctx);
	return len;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: seccomp_loader none|bpf|libseccomp FILE ITERS ROUNDS\n");
		return 2;
	}
	const char *mode = argv[1];
	long iters = atol(argv[3]);
	int rounds = atoi(argv[4]);
	if (strcmp(mode, "bpf") != 0 && strcmp(mode, "libseccomp") != 0 && strcmp(mode, "none") != 0) {
		fprintf(stderr, "seccomp_loader: unknown mode %s\n", mode);
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("prctl(PR_SET_NO_NEW_PRIVS)");
	int p2c[2], c2p[2];
	if (pipe(p2c) != 0 || pipe(c2p) != 0)
		die("pipe");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		struct verdict v = {.probe = -1};
		uint64_t probe = 0;
		if (strcmp(mode, "bpf") == 0)
			v.insns = install_bpf(argv[2]);
		else if (strcmp(mode, "libseccomp") == 0)
			v.insns = install_libseccomp(argv[2], &probe);
		if (getenv("PROBE"))
			probe = strtoull(getenv("PROBE"), NULL, 0);
		loop(0, iters / 10);
		char tok;
		for (int i = 0; i < rounds; i++) {
			double t[3];
			if (read(p2c[0], &tok, 1) != 1)
				_exit(1);
			for (int w = 0; w < 3; w++)
				t[w] = loop(w, iters);
			if (write(c2p[1], t, sizeof t) != sizeof t)
				_exit(1);
		}
		for (int w = 0; w < 3; w++) {
			long rc;
			errno = 0;
			switch (w) {
			case 0: rc = syscall(SYS_getppid); break;
			case 1: rc = syscall(SYS_getpgid, 0); break;
			default: rc = syscall(SYS_ioctl, -1, FIONREAD, 0); break;
			}
			/* ioctl on fd -1 fails with EBADF when the filter lets it through. */
			v.res[w] = rc != -1 || errno == EBADF ? 0 : errno;
		}
		if (probe) {
			errno = 0;
			v.probe = syscall(SYS_getpgid, probe) == -1 ? errno : 0;
		}
		if (write(c2p[1], &v, sizeof v) != sizeof v)
			_exit(1);
		_exit(0);
	}
	double *r[3], *b[3];
	for (int w = 0; w < 3; w++) {
		r[w] = calloc(rounds, sizeof(double));
		b[w] = calloc(rounds, sizeof(double));
	}
	loop(0, iters / 10);
	for (int i = 0; i < rounds; i++) {
		double t[3];
		for (int w = 0; w < 3; w++)
			b[w][i] = loop(w, iters);
		if (write(p2c[1], "x", 1) != 1 || read(c2p[0], t, sizeof t) != sizeof t) {
			fprintf(stderr, "seccomp_loader: the filtered child died (see above)\n");
			return 1;
		}
		for (int w = 0; w < 3; w++)
			r[w][i] = t[w];
	}
	struct verdict v;
	if (read(c2p[0], &v, sizeof v) != sizeof v)
		die("read the child's verdict");
	int st;
	if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "seccomp_loader: the filtered child failed\n");
		return 1;
	}
	for (int w = 0; w < 3; w++) {
		qsort(r[w], rounds, sizeof(double), cmp);
		qsort(b[w], rounds, sizeof(double), cmp);
	}
	printf("insns=%ld getppid_ns=%.1f getpgid_ns=%.1f ioctl_ns=%.1f base_getppid_ns=%.1f base_getpgid_ns=%.1f "
	       "base_ioctl_ns=%.1f getppid_res=%s getpgid_res=%s ioctl_res=%s probe=%s\n",
	       v.insns, r[0][rounds / 2], r[1][rounds / 2], r[2][rounds / 2], b[0][rounds / 2], b[1][rounds / 2],
	       b[2][rounds / 2], errname(v.res[0]), errname(v.res[1]), errname(v.res[2]),
	       v.probe < 0 ? "-" : v.probe == 0 ? "allowed" : errname(v.probe));
	return 0;
}
