// SPDX-License-Identifier: BSD-2-Clause
/* AWS error answers: {"__type": "ns#Code:extra", "message": "..."} (JSON 1.1 and REST-JSON). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "net/aws/aws_error.h"

void aws_error_of(const char *body, char *code, size_t cn, char *msg, size_t mn)
{
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	cJSON *t = cJSON_GetObjectItem(j, "__type"), *m = cJSON_GetObjectItem(j, "message");

	/* REST-JSON services (X-Ray) capitalise it. */
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItem(j, "Message");
	snprintf(code, cn, "%s", cJSON_IsString(t) ? t->valuestring : "");
	snprintf(msg, mn, "%s", cJSON_IsString(m) ? m->valuestring : "");
	cJSON_Delete(j);
}

void aws_error_name(char *code)
{
	char *hash = strchr(code, '#');

	if (hash)
		memmove(code, hash + 1, strlen(hash + 1) + 1);
	code[strcspn(code, ":")] = '\0';
}
