/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the wire-protocol harnesses: the input is a recorded connection, fed two ways. */
#ifndef PYSPAN_FUZZ_WIRE_FUZZ_H
#define PYSPAN_FUZZ_WIRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Input: one byte choosing the piece size of the second run (1..16 bytes), then records of a
 * control byte (bit 0: 0 client to server, 1 server to client), a 16-bit little-endian length
 * (cut at the input's end) and that many bytes. tests/fuzz/wire_seeds.py writes the recorded
 * fixtures in this form. */
struct wire_rec {
	int to_client;
	const uint8_t *p;
	size_t n;
};

/* The next record at *pos, or 0 at the end of the input. */
static inline int wire_next(const uint8_t *data, size_t size, size_t *pos, struct wire_rec *r)
{
	size_t n;

	if (*pos + 3 > size)
		return 0;
	r->to_client = data[*pos] & 1;
	n = (size_t)data[*pos + 1] | (size_t)data[*pos + 2] << 8;
	*pos += 3;
	if (n > size - *pos)
		n = size - *pos;
	r->p = data + *pos;
	r->n = n;
	*pos += n;
	return 1;
}

#endif
