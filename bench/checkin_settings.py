"""Settings for bench/checkin.py: production-like (no debug), with the raw-SQL twin mounted."""

from fangkong.settings import *  # noqa: F403

ROOT_URLCONF = "bench.checkin_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
