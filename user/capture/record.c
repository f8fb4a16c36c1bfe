// SPDX-License-Identifier: BSD-2-Clause
/* Recordings of capture records: written by --record, read by the pipeline benchmark and tests. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/record.h"

/* Root writes the recording where it is told, maybe a shared directory such as /tmp: the
 * name must not be a symlink (O_NOFOLLOW), and an existing file is truncated only when it is
 * pyspan's user's own regular file with no other name (a hard link to /etc/shadow is not). */
struct record *record_create(const char *path, const char **why)
{
	struct record *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd;

	*why = NULL;
	if (!r)
		return NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "it is a symbolic link, which pyspan does not follow";
		goto fail;
	}
	if (fstat(fd, &st))
		goto fail;
	if (!S_ISREG(st.st_mode))
		*why = "it is not a regular file";
	else if (st.st_uid != geteuid())
		*why = "it exists and belongs to another user";
	else if (st.st_nlink != 1)
		*why = "it has other names (hard links)";
	if (*why || ftruncate(fd, 0))
		goto fail;
	r->f = fdopen(fd, "wb");
	if (!r->f)
		goto fail;
	fd = -1;
	if (fputs(RECORD_MAGIC, r->f) == EOF)
		goto fail;
	return r;

fail: {
	int saved = errno;

	if (r->f)
		fclose(r->f);
	if (fd >= 0)
		close(fd);
	free(r);
	errno = saved;
	return NULL;
}
}

int record_write(struct record *r, const void *data, size_t len)
{
	/* Little-endian length prefix: recordings move between machines of one kind only,
	 * but the format should not depend on that. */
	uint8_t hdr[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
			   (uint8_t)(len >> 24) };

	if (len > RECORD_MAX_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fwrite(hdr, 1, 4, r->f) != 4 || fwrite(data, 1, len, r->f) != len)
		return -1;
	return 0;
}

struct record *record_open(const char *path, const char **err)
{
	char magic[sizeof(RECORD_MAGIC)];
	struct record *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = "out of memory";
		return NULL;
	}
	r->f = fopen(path, "rb");
	if (!r->f) {
		*err = "the recording cannot be opened";
		free(r);
		return NULL;
	}
	if (fread(magic, 1, strlen(RECORD_MAGIC), r->f) != strlen(RECORD_MAGIC) ||
	    memcmp(magic, RECORD_MAGIC, strlen(RECORD_MAGIC)) != 0) {
		*err = "the file is not a pyspan recording (no PYSPANREC1 header)";
		record_close(r);
		return NULL;
	}
	return r;
}

int record_next(struct record *r, const void **data, size_t *len, const char **err)
{
	uint8_t hdr[4];
	size_t n = fread(hdr, 1, 4, r->f);
	uint32_t l;

	if (n == 0 && feof(r->f))
		return 0;
	if (n != 4) {
		*err = "the recording ends inside a record's length";
		return -1;
	}
	l = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	    (uint32_t)hdr[3] << 24;
	if (l > RECORD_MAX_LEN) {
		*err = "a record is longer than any capture record can be: the file is corrupt";
		return -1;
	}
	if (l > r->cap) {
		unsigned char *b = realloc(r->buf, l);

		if (!b) {
			*err = "out of memory";
			return -1;
		}
		r->buf = b;
		r->cap = l;
	}
	if (fread(r->buf, 1, l, r->f) != l) {
		*err = "the recording ends inside a record";
		return -1;
	}
	*data = r->buf;
	*len = l;
	return 1;
}

void record_close(struct record *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r);
}
