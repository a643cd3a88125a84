"""promptc's templates render what Jinja2 renders (plus the documented deviations), in both
runtimes: a few hundred random modules and inputs per run (tests/differential.py says how
they are made; `python bench/differential.py N` runs N)."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from .differential import Renderer, cases
from .js_batch import JS_SKIP, JsSession


@pytest.fixture(scope="module")
def renderer():
    if JS_SKIP:  # the Python runtime is still checked against Jinja2; say what is left out
        warnings.warn(f"the Jinja2 differential test runs without the JavaScript runtime: {JS_SKIP}", stacklevel=1)
    js = None if JS_SKIP else JsSession()
    r = Renderer(js)
    yield r
    r.close()
    if js is not None:
        js.close()


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(case=cases())
def test_promptc_renders_what_jinja2_renders(renderer, case) -> None:
    renderer.check(case)
