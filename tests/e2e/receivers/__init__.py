"""Loopback stand-ins for the backends pyspan exports to, shared by the e2e suites."""
