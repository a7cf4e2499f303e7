"""Helpers the test suites and the benches share. Conftest modules hold fixtures only; a
test or a bench that needs a helper imports it from here."""
