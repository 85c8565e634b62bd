"""Fixtures of the CI script tests."""

from tests.ci.fake_github import github

__all__ = ["github"]
