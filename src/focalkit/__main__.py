"""``python -m focalkit``: the same command line as the ``focalkit`` script."""

from focalkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
