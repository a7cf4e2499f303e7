"""`python -m runtime.cli`: the same as the `mlpoc` console script."""

from runtime.cli import app

app(prog_name="mlpoc")
