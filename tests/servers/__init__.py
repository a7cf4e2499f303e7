"""Real local servers the tests talk to over loopback: moto, Google's emulators, fake-gcs."""
