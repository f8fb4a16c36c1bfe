# SPDX-License-Identifier: BSD-2-Clause
"""Errors raised by the sample service's data layer."""


class ActivityStoreError(Exception):
    """The activity store could not answer (in the demo: always, on /api/fail)."""
