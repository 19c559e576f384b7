"""pip install ./python: the package, with a copy of the libexhaust.so.0 just
built (EXHAUST_LIBRARY, else ../build/libexhaust.so.0) when there is one, so
the installed package needs no environment; without one it uses the system's
(make install). The metadata is in pyproject.toml."""
import os
import shutil

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
BUILT = os.environ.get("EXHAUST_LIBRARY") or os.path.join(HERE, "..", "build", "libexhaust.so.0")
COPY = os.path.join(HERE, "exhaust", "libexhaust.so.0")

if os.path.exists(BUILT):
    shutil.copy2(BUILT, COPY)
try:
    setup(package_data={"exhaust": ["libexhaust.so.0"]} if os.path.exists(COPY) else {})
finally:
    if os.path.exists(COPY):  # the source tree keeps no stale copy
        os.remove(COPY)
