"""``python -m quart_app [options]`` is ``voice-realtime serve [options]``."""

import sys

from quart_app.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
