"""The API fixtures (a workspace, a token, a real worker) shared with the approval tests."""

from tests.api.conftest import api, api_worker, runtime

__all__ = ["api", "api_worker", "runtime"]
