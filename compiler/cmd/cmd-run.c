/* netacl run (POLICY|JSON) --target NAME [--audit] -- COMMAND [ARG...]
 *
 * Load the target as NAME@run-PID on a transient cgroup netacl/NAME@run-PID,
 * start COMMAND in that cgroup, forward signals, and when it exits take
 * everything down again.  The exit status is the command's, as a shell
 * gives it: 128+N when killed by signal N, 127/126 when it cannot be
 * executed.
 *
 * Signals: INT, TERM and HUP are blocked from the start, so an interrupt
 * during the load is seen (and cleaned up after) before anything runs,
 * and afterwards sigwaitinfo() handles them one at a time with SIGCHLD. */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h> /* clone_args, CLONE_INTO_CGROUP */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/load.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/dnsserve.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/enforce.h"
#include "compiler/diag.h"
#include "compiler/exits.h"

static const char usage[] =
	"netacl run (POLICY|JSON) --target NAME [--audit] [--keep-fd N]... [--expect-digest HEX|FILE]\n"
	"       [resolution options] [live DNS options]\n"
	"       -- COMMAND [ARG...]";

/* What the child reports through the close-on-exec pipe when it fails. */
struct child_error {
	int stage; /* 1 joining the cgroup, 2 exec, 3 a --keep-fd descriptor */
	int err;
};

#define CG_FILE_MAX (PATH_MAX + 32) /* a cgroup's path and one of its files */

static void cgroup_file(const char *cg, const char *name, char out[CG_FILE_MAX])
{
	snprintf(out, CG_FILE_MAX, "%s/%s", cg, name);
}

/* Close on exec every descriptor above stdio but the kept ones: a socket
 * made outside the cgroup was never judged by its hooks (it may be
 * connected anywhere already).  The report pipe is close-on-exec too. */
static int close_inherited(const int *keep, size_t nkeep)
{
	/* close_range's CLOEXEC needs Linux 5.11: else each open descriptor */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)) {
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		if (!d)
			return -1;
		while ((e = readdir(d)))
			if (atoi(e->d_name) > 2)
				fcntl(atoi(e->d_name), F_SETFD, FD_CLOEXEC);
		closedir(d);
	}
	for (size_t i = 0; i < nkeep; i++) {
		int flags = fcntl(keep[i], F_GETFD);

		if (flags < 0 || fcntl(keep[i], F_SETFD, flags & ~FD_CLOEXEC))
			return -1;
	}
	return 0;
}

/* The child, in cg already (born there), or (joined false) to join it. */
static void child(char **cmd, const char *cg, bool joined, const sigset_t *mask, int report,
		  const struct cli *c)
{
	char path[CG_FILE_MAX], pid[32];
	struct child_error e = { 1, 0 };
	int fd;

	/* join before exec: the command never runs outside the policy */
	cgroup_file(cg, "cgroup.procs", path);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = joined ? -2 : open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || (fd >= 0 && write(fd, pid, strlen(pid)) < 0)) {
		e.err = errno;
		(void)!write(report, &e, sizeof(e));
		_exit(EX_OSERR);
	}
	if (fd >= 0)
		close(fd);
	if (close_inherited(c->keep_fds, c->nkeep_fds)) {
		e = (struct child_error){ 3, errno };
		(void)!write(report, &e, sizeof(e));
		_exit(EX_OSERR);
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(cmd[0], cmd);
	e = (struct child_error){ 2, errno };
	(void)!write(report, &e, sizeof(e));
	_exit(e.err == ENOENT ? EX_NOT_FOUND : EX_CANNOT_EXEC);
}

/* Wait for pid, passing on the signals in `set` that other processes
 * sent us.  Signals from the terminal (SI_KERNEL) already reached the
 * command, which shares our process group: forwarding them would deliver
 * a Ctrl-C twice. */
static int supervise(pid_t pid, const sigset_t *set)
{
	siginfo_t info;
	int status;

	for (;;) {
		int sig = sigwaitinfo(set, &info);

		if (sig == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
		} else if (sig > 0 && info.si_code != SI_KERNEL) {
			kill(pid, sig);
		}
	}
	return WIFSIGNALED(status) ? EX_SIGNAL_BASE + WTERMSIG(status) : WEXITSTATUS(status);
}

/* A child born in the cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7):
 * moving a process into a cgroup waits for a grace period, 10 ms of a
 * run.  -1 with errno ENOSYS, EINVAL or E2BIG: fork and join instead.
 * The child only makes system calls until it execs (no malloc: the
 * parent may have a DNS thread), as after fork. */
static pid_t spawn_in(const char *cg)
{
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct clone_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
				.cgroup = (__u64)fd };
	pid_t pid;
	int err;

	if (fd < 0)
		return -1;
	pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	err = errno;
	if (pid != 0)
		close(fd);
	errno = err;
	return pid;
}

/* Start cmd in cg and wait for it: its exit status, or ours. */
static int start(const struct cli *c, const char *cg, const sigset_t *set, const sigset_t *old)
{
	char **cmd = c->cmd;
	struct child_error e;
	int pipefd[2], status;
	bool joined;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		die_msg("pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	fflush(NULL);
	pid = spawn_in(cg);
	joined = pid >= 0;
	if (pid < 0 && (errno == ENOSYS || errno == EINVAL || errno == E2BIG))
		pid = fork();
	if (pid < 0) {
		die_msg("cannot start the command in %s: %s", cg, strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0)
		child(cmd, cg, joined, old, pipefd[1], c);
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], &e, sizeof(e));
	close(pipefd[0]);
	status = supervise(pid, set);
	if (n == (ssize_t)sizeof(e) && e.stage == 1) {
		die_msg("cannot move the command into %s: %s", cg, strerror(e.err));
		return EX_OSERR;
	}
	if (n == (ssize_t)sizeof(e) && e.stage == 3) {
		die_msg("--keep-fd: %s", strerror(e.err));
		return EX_USAGE;
	}
	if (n == (ssize_t)sizeof(e))
		die_msg("%s: %s", cmd[0], strerror(e.err));
	return status;
}

/* Unload name and remove cg, killing what the command left behind there
 * first: once the programs are detached it would run unconfined.
 * Processes that outlive 5 s of SIGKILLs keep the policy loaded: we never
 * fail open.  A target someone else unloaded under the command (unload
 * kills a run's processes first) is EX_UNLOADED. */
static int take_down(const char *name, const char *cg, const char *cmd)
{
	int rc;

	if (sys_cgroup_kill(cg, 5000)) {
		die_msg("processes remain in %s; %s stays loaded", cg, name);
		return EX_SOFTWARE;
	}
	diag_silence(1);
	rc = load_unload(name);
	diag_silence(0);
	if (rc == EX_NOINPUT) { /* not loaded: someone unloaded it (and killed cmd) */
		die_msg("%s was unloaded while %s ran, so it was killed", name, cmd);
		rmdir(cg);
		return EX_UNLOADED;
	}
	if (rmdir(cg) && !rc) {
		die_msg("cannot remove %s: %s", cg, strerror(errno));
		rc = EX_SOFTWARE;
	}
	return rc;
}

/* INT, TERM or HUP if one arrived while we were loading, or 0. */
static int interrupted(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t pending;

	sigpending(&pending);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigismember(&pending, sigs[i]))
			return sigs[i];
	return 0;
}

static int run(struct cli *c)
{
	char name[512];
	struct model m;
	struct enforce e = { .file = c->args[0], .target = c->targets[0], .name = name,
			     .audit = c->audit, .transient = true, .ro = &c->ro, .keep = &m,
			     .expect_digest = c->expect_digest };
	struct dns_serve *dns = NULL;
	const struct m_target *t;
	sigset_t set, old;
	int rc, down, sig;

	snprintf(name, sizeof(name), "%s@run-%d", c->targets[0], (int)getpid());
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would reap the command for us */
	rc = enforce_file(&e);
	if (rc) {
		model_free(&m);
		return rc;
	}
	/* dns: admit: this process serves the command's lookups, from a
	 * thread, outside the cgroup, until the command is gone */
	t = model_find(&m, c->targets[0]);
	if (t->dns_admit)
		rc = dns_serve_start(name, t, &c->ro, &c->dns, &dns);
	sig = rc ? 0 : interrupted();
	if (sig)
		fprintf(stderr, "netacl: %s; %s not started\n", strsignal(sig), c->cmd[0]);
	if (!rc)
		rc = sig ? EX_SIGNAL_BASE + sig : start(c, e.cgroup_used, &set, &old);
	down = take_down(name, e.cgroup_used, c->cmd[0]);
	dns_serve_stop(dns);
	model_free(&m);
	return down ? down : rc;
}

int cmd_run(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_RESOLVE | OPT_AUDIT | OPT_KEEP_FD | OPT_DNS | OPT_EXPECT,
			   usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "run takes one policy or compiled JSON file");
	if (!rc)
		rc = cli_one_target(&c, usage);
	if (!rc && c.ncmd == 0)
		rc = cli_usage_error(usage, "give the command to run after --");
	if (!rc)
		rc = run(&c);
	free(c.args);
	return rc;
}
