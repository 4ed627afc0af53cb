"""Shared test setup: Qt runs offscreen in every test, so the suite needs no display."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
