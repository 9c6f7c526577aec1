"""Settings for bench/checkin.py: production-like (no debug), with the raw-SQL twin mounted."""

from fangkong.settings import *  # noqa: F403

ROOT_URLCONF = "bench.checkin_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# The benchmark's thousands of phones all come from 127.0.0.1: the resident pages' per-address limit would
# measure the limiter's refusals, not check-ins. The limiter's own cost (a cache increment) is still paid.
FANGKONG_LIMITS = {**FANGKONG_LIMITS, "scan": {"address": "100000000/1m"}}  # noqa: F405
