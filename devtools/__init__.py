"""Tools for building LL2-shaped data and starting servers, shared by the tests and the benchmark.

- ``devtools.ll2shape``: the one builder of LL2-shaped records (spacecraft,
  flights, launches, landings, crews), from plain facts.
- ``devtools.servers``: the one harness that starts processes (gunicorn,
  ``manage.py``) and in-process HTTP servers.
- ``devtools.fake_ll2``: a fake LL2 server (on the harness) serving the builder's records.

Nothing in ``spacecraft`` imports this package (``pyproject.toml``'s import contracts);
it never imports ``tests``.
"""
