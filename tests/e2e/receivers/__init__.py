# SPDX-License-Identifier: BSD-2-Clause
"""Loopback stand-ins for the services pyspan exports to, one module per backend."""
