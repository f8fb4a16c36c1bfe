/* SPDX-License-Identifier: BSD-2-Clause */
/* Recordings of capture records: written by --record, read by the pipeline benchmark and tests. */
#ifndef PYSPAN_RECORD_H
#define PYSPAN_RECORD_H

#include <stddef.h>
#include <stdio.h>

#define RECORD_MAGIC "PYSPANREC1\n"
#define RECORD_MAX_LEN (1u << 20) /* no capture record is larger */

struct record {
	FILE *f;
	unsigned char *buf; /* reading: the current record */
	size_t cap;
};

/* Open for writing (the magic line is written at once). NULL on failure: with *why (a
 * sentence) when the name is refused (a symlink, someone else's file), else errno set. */
struct record *record_create(const char *path, const char **why);
/* Append one record. 0, or -1 with errno set. */
int record_write(struct record *r, const void *data, size_t len);

/* Open for reading. NULL with *err (a sentence) when the file cannot be read or is not a
 * recording. */
struct record *record_open(const char *path, const char **err);
/* The next record: 1 with data and len set (valid until the next call), 0 at the end, -1 with
 * *err when the file is cut or corrupt. */
int record_next(struct record *r, const void **data, size_t *len, const char **err);

void record_close(struct record *r);

#endif
