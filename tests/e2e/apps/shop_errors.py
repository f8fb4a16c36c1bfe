# SPDX-License-Identifier: BSD-2-Clause
"""Exception classes for the e2e error apps (flask_errors.py, wsgi_errors.py).

Imported as the top-level module "shop_errors" (the apps put their own directory on sys.path),
so Python prints the class as "shop_errors.InventoryError" however the app was started.
"""


class InventoryError(Exception):
    """A domain error defined in Python code, so its printed name is module-qualified."""
