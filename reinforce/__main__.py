"""``python -m reinforce``: see :mod:`reinforce.cli`."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while NumPy, Gymnasium, ... are still importing
    print("reinforce: interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
