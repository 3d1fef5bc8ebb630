"""Entry point of the frozen seat client (PyInstaller runs this file as ``__main__``)."""

import sys

from seat_client.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
