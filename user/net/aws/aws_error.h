/* SPDX-License-Identifier: BSD-2-Clause */
/* AWS error answers: {"__type": "ns#Code:extra", "message": "..."} (JSON 1.1 and REST-JSON). */
#ifndef PYSPAN_NET_AWS_ERROR_H
#define PYSPAN_NET_AWS_ERROR_H

#include <stddef.h>

/* The error's code ("__type", as sent) and message ("message" or "Message") in body; empty
 * strings for what it lacks, or for a body that is not JSON. The signature of
 * delivery_ops.error_of, so an AWS exporter's queue names AWS's errors in its log lines. */
void aws_error_of(const char *body, char *code, size_t cn, char *msg, size_t mn);

/* The code's name alone, in place: "com.amazonaws.logs#ThrottlingException:extra" becomes
 * "ThrottlingException". */
void aws_error_name(char *code);

#endif
