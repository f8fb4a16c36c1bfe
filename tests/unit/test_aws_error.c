// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for AWS error answers: the code and message of JSON 1.1 and REST-JSON bodies. */
#include "check.h"
#include "net/aws/aws_error.h"

int main(void)
{
	char code[64], msg[128];

	/* JSON 1.1 (CloudWatch Logs): a namespaced code, "message". */
	aws_error_of("{\"__type\":\"com.amazonaws.logs#ThrottlingException:extra\","
		     "\"message\":\"Rate exceeded\"}",
		     code, sizeof(code), msg, sizeof(msg));
	CHECK_STR(code, "com.amazonaws.logs#ThrottlingException:extra"); /* as sent, for logs */
	CHECK_STR(msg, "Rate exceeded");
	aws_error_name(code);
	CHECK_STR(code, "ThrottlingException");
	/* REST-JSON (X-Ray): "Message". */
	aws_error_of("{\"__type\":\"InvalidParameterException\",\"Message\":\"bad\"}", code,
		     sizeof(code), msg, sizeof(msg));
	CHECK_STR(code, "InvalidParameterException");
	CHECK_STR(msg, "bad");
	aws_error_name(code);
	CHECK_STR(code, "InvalidParameterException");
	/* A code alone, a message alone, and no JSON at all. */
	aws_error_of("{\"__type\":\"InternalFailure\"}", code, sizeof(code), msg, sizeof(msg));
	CHECK_STR(code, "InternalFailure");
	CHECK_STR(msg, "");
	aws_error_of("{\"message\":\"Missing Authentication Token\"}", code, sizeof(code), msg,
		     sizeof(msg));
	CHECK_STR(code, "");
	CHECK_STR(msg, "Missing Authentication Token");
	aws_error_of("<html>", code, sizeof(code), msg, sizeof(msg));
	CHECK_STR(code, "");
	CHECK_STR(msg, "");
	aws_error_of(NULL, code, sizeof(code), msg, sizeof(msg));
	CHECK_STR(code, "");
	/* Cut to the buffer, never past it. */
	aws_error_of("{\"__type\":\"ns#AVeryLongExceptionName\"}", code, 8, msg, sizeof(msg));
	CHECK_STR(code, "ns#AVer");
	aws_error_name(code);
	CHECK_STR(code, "AVer");
	return check_summary("aws_error");
}
