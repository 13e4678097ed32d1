"""Suite-wide test settings.

Under CI (``CI`` set, as `.ci/run` runs), hypothesis is derandomised so that a green
main stays green: the examples are still drawn by hypothesis's search, from a fixed seed.
Locally, hypothesis explores new examples on every run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
