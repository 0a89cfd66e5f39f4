"""Load tests: locust scenarios, a data seeder, correctness checks and the benchmark runner.

`locustfile.py` speaks HTTP only, like every real client. `seed.py` and `checks.py`
use the service's own layer and database: they prepare a run and verify it afterwards.
See loadtest/README.md.
"""
