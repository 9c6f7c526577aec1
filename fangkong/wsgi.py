import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
application = get_wsgi_application()

# An application server runs no system checks: a production process without a shared cache or a broker stops here.
from fangkong.core.checks import refuse_unsafe_production  # noqa: E402

refuse_unsafe_production()
