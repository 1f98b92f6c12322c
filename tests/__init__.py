"""The tests, one package: every helper module has one import path (tests.helpers, tests.pages, ...)."""
