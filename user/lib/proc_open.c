// SPDX-License-Identifier: BSD-2-Clause
/* Opens files a traced process named, as that process sees them, without letting it steer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/proc_open.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define READ_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

const char *proc_open_reason(enum proc_open_err err)
{
	switch (err) {
	case PROC_OPEN_OK:
		return "opened";
	case PROC_OPEN_MISSING:
		return "is gone";
	case PROC_OPEN_DENIED:
		return "may not be read";
	case PROC_OPEN_NOT_REGULAR:
		return "is not a regular file";
	case PROC_OPEN_TOO_BIG:
		return "is too big";
	case PROC_OPEN_REPLACED:
		return "is no longer the file the process maps";
	case PROC_OPEN_UNSUPPORTED:
		return "cannot be opened safely on this kernel (no openat2)";
	default:
		return "could not be opened";
	}
}

static enum proc_open_err from_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ESRCH:
		return PROC_OPEN_MISSING;
	case EACCES:
	case EPERM:
		return PROC_OPEN_DENIED;
	case ENOSYS:
		return PROC_OPEN_UNSUPPORTED;
	default:
		return PROC_OPEN_OTHER;
	}
}

void proc_fd_path(int fd, char *buf, unsigned cap)
{
	snprintf(buf, cap, "/proc/self/fd/%d", fd);
}

/* From an O_PATH descriptor: check what it is, then open that inode for reading. */
static enum proc_open_err reopen_checked(int pathfd, uint64_t max_size, int *fd, struct stat *st)
{
	struct stat again;
	char self[64];
	int rfd, err;

	if (fstat(pathfd, st)) {
		err = errno;
		close(pathfd);
		errno = err;
		return from_errno(err);
	}
	if (!S_ISREG(st->st_mode)) {
		close(pathfd);
		return PROC_OPEN_NOT_REGULAR;
	}
	if (max_size && (uint64_t)st->st_size > max_size) {
		close(pathfd);
		return PROC_OPEN_TOO_BIG;
	}
	proc_fd_path(pathfd, self, sizeof(self));
	rfd = open(self, READ_FLAGS);
	err = errno;
	close(pathfd);
	if (rfd < 0) {
		errno = err;
		return from_errno(err);
	}
	/* The magic link names the inode checked above; said twice costs one fstat. */
	if (fstat(rfd, &again) || again.st_dev != st->st_dev || again.st_ino != st->st_ino) {
		close(rfd);
		return PROC_OPEN_REPLACED;
	}
	*fd = rfd;
	return PROC_OPEN_OK;
}

enum proc_open_err proc_open_in(int rootfd, const char *path, uint64_t max_size, int *fd,
				struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long pfd;

	*fd = -1;
	pfd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (pfd < 0)
		return from_errno(errno);
	return reopen_checked((int)pfd, max_size, fd, st);
}

enum proc_open_err proc_open_in_root(uint32_t pid, const char *path, uint64_t max_size, int *fd,
				     struct stat *st)
{
	enum proc_open_err ret;
	char root[64];
	int rootfd, err;

	*fd = -1;
	snprintf(root, sizeof(root), "/proc/%" PRIu32 "/root", pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return from_errno(errno);
	ret = proc_open_in(rootfd, path, max_size, fd, st);
	err = errno;
	close(rootfd);
	errno = err;
	return ret;
}

enum proc_open_err proc_open_link(const char *link, uint64_t max_size, int *fd, struct stat *st)
{
	int pfd = open(link, O_PATH | O_CLOEXEC);

	*fd = -1;
	if (pfd < 0)
		return from_errno(errno);
	return reopen_checked(pfd, max_size, fd, st);
}

enum proc_open_err proc_open_mapped(uint32_t pid, const char *path, uint64_t start, uint64_t end,
				    uint64_t ino, uint64_t max_size, int *fd, struct stat *st)
{
	enum proc_open_err ret;
	char mf[96];

	snprintf(mf, sizeof(mf), "/proc/%" PRIu32 "/map_files/%" PRIx64 "-%" PRIx64, pid, start,
		 end);
	ret = proc_open_link(mf, max_size, fd, st);
	/* map_files needs CAP_SYS_ADMIN; without it, the name under the process's root. */
	if (ret != PROC_OPEN_DENIED && ret != PROC_OPEN_MISSING)
		return ret;
	ret = proc_open_in_root(pid, path, max_size, fd, st);
	if (ret == PROC_OPEN_OK && (uint64_t)st->st_ino != ino) {
		close(*fd);
		*fd = -1;
		return PROC_OPEN_REPLACED;
	}
	return ret;
}
