"""Build the extranet: a thin entry point to `extranet build` (see README.md)."""

import sys

from extranet.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
