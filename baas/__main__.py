"""``python -m baas``: the same as the ``baas`` command."""

from baas.cli import main

main()
