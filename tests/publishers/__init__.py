"""Tests of the publishers package against the fakes."""
