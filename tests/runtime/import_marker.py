"""A module no code imports: a test names it as the trainer of a model version and checks
it was never imported (so no module-level code of a named trainer ran)."""

IMPORTED = True
