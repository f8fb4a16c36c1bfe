// SPDX-License-Identifier: BSD-2-Clause
/* Detaches every probe at stop without waiting out the kernel's release of each one. */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capture/detach.h"

/* Threads are cheap next to a grace period; beyond this many, each takes a share. */
#define DETACH_THREADS 16

struct share {
	struct bpf_link **const *links;
	int from, to;
};

static int is_perf_event(int dirfd, const char *name)
{
	static const char want[] = "anon_inode:[perf_event]";
	char target[64];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));

	return n == (ssize_t)sizeof(want) - 1 && memcmp(target, want, sizeof(want) - 1) == 0;
}

/* The holder: only system calls from here on (another thread may have held malloc's lock at
 * the fork). It keeps the perf events and nothing else: not the backends' sockets, not the
 * programs, not the ring buffer. */
static void hold_until_parent_exits(int wait_fd)
{
	char buf[4096], c;
	int dirfd;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		_exit(0);
	for (;;) {
		long n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int fd = atoi(d->d_name);

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd == dirfd ||
			    fd == wait_fd || is_perf_event(dirfd, d->d_name))
				continue;
			close(fd);
		}
	}
	close(dirfd);
	/* EOF once pyspan has exited and its write end is gone. */
	while (read(wait_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

void detach_hand_over(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		hold_until_parent_exits(p[0]);
	}
	close(p[0]);
	/* p[1] stays open until pyspan exits: the holder's signal to let go. On a failed fork
	 * there is nothing to signal. */
	if (pid < 0)
		close(p[1]);
}

static void destroy_range(struct bpf_link **const *links, int from, int to)
{
	for (int i = from; i < to; i++) {
		bpf_link__destroy(*links[i]);
		*links[i] = NULL;
	}
}

static void *destroy_share(void *arg)
{
	const struct share *s = arg;

	destroy_range(s->links, s->from, s->to);
	return NULL;
}

void detach_links(struct bpf_link **links[], int n)
{
	pthread_t tid[DETACH_THREADS];
	struct share shares[DETACH_THREADS];
	int started[DETACH_THREADS] = { 0 };
	int nthreads = n < DETACH_THREADS ? n : DETACH_THREADS;

	for (int t = 0; t < nthreads; t++) {
		shares[t] = (struct share){ links, (int)((long)n * t / nthreads),
					    (int)((long)n * (t + 1) / nthreads) };
		started[t] = pthread_create(&tid[t], NULL, destroy_share, &shares[t]) == 0;
		/* No thread (out of resources): this share is closed here, one by one. */
		if (!started[t])
			destroy_range(links, shares[t].from, shares[t].to);
	}
	for (int t = 0; t < nthreads; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}

struct async_job {
	int n;
	struct bpf_link *links[];
};

static void *destroy_job(void *arg)
{
	struct async_job *job = arg;

	for (int i = 0; i < job->n; i++)
		bpf_link__destroy(job->links[i]);
	free(job);
	return NULL;
}

void detach_links_async(struct bpf_link *const links[], int n)
{
	struct async_job *job = malloc(sizeof(*job) + (size_t)n * sizeof(job->links[0]));
	pthread_attr_t attr;
	pthread_t tid;
	int started = 0;

	if (job) {
		job->n = n;
		memcpy(job->links, links, (size_t)n * sizeof(job->links[0]));
		if (pthread_attr_init(&attr) == 0) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			started = pthread_create(&tid, &attr, destroy_job, job) == 0;
			pthread_attr_destroy(&attr);
		}
		if (started)
			return;
		free(job);
	}
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
}
