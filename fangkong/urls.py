from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from fangkong.accounts import views as accounts
from fangkong.accounts.api import TokenView
from fangkong.core import views as core
from fangkong.core.api_exports import ExportViewSet
from fangkong.core.api_imports import ImportViewSet
from fangkong.district import views as district
from fangkong.enterprises import views as enterprise_views
from fangkong.enterprises.api import EnterpriseViewSet
from fangkong.healthcode.api import HealthCodeViewSet, OverrideViewSet
from fangkong.healthcode.views_pass import PassCodeViewSet
from fangkong.isolation import views as isolation_views
from fangkong.isolation.api import KindDefaultViewSet as IsolationKindViewSet
from fangkong.isolation.api import OrderViewSet as IsolationViewSet
from fangkong.isolation.api import SiteViewSet as IsolationSiteViewSet
from fangkong.passes.api import PassageViewSet, PlaceViewSet
from fangkong.people.api import PersonViewSet
from fangkong.people.api_households import HouseholdViewSet
from fangkong.people.api_ledger import CareViewSet, RentalViewSet
from fangkong.screening.api import CategoryViewSet, ScreeningViewSet
from fangkong.territory.api import AreaViewSet
from fangkong.testing.api import CampaignViewSet, ResultViewSet, SiteViewSet, TubeViewSet
from fangkong.tracing.api import TraceViewSet
from fangkong.zones import views as zone_views
from fangkong.zones.api import SupplyRequestViewSet, ZoneViewSet

# Under /api/ the answers are JSON, a database outage is a 503 with Retry-After (core/errors.py).
handler404 = "fangkong.core.errors.not_found"
handler500 = "fangkong.core.errors.server_error"

router = DefaultRouter()
router.register("pass-codes", PassCodeViewSet, basename="pass-code")  # first: every gate scan resolves it
router.register("areas", AreaViewSet, basename="area")
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")
router.register("rentals", RentalViewSet, basename="rental")
router.register("cares", CareViewSet, basename="care")
router.register("places", PlaceViewSet, basename="place")
router.register("passages", PassageViewSet, basename="passage")
router.register("exports", ExportViewSet, basename="export")
router.register("imports", ImportViewSet, basename="importjob")
router.register("categories", CategoryViewSet, basename="category")
router.register("screenings", ScreeningViewSet, basename="screening")
router.register("health-codes/overrides", OverrideViewSet, basename="healthcode-override")
router.register("health-codes", HealthCodeViewSet, basename="healthcode")
router.register("testing/campaigns", CampaignViewSet, basename="testing-campaign")
router.register("testing/sites", SiteViewSet, basename="testing-site")
router.register("testing/tubes", TubeViewSet, basename="testing-tube")
router.register("testing/results", ResultViewSet, basename="testing-result")
router.register("isolations", IsolationViewSet, basename="isolation")
router.register("isolation-sites", IsolationSiteViewSet, basename="isolation-site")
router.register("zones", ZoneViewSet, basename="zone")
router.register("supply-requests", SupplyRequestViewSet, basename="supply-request")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("traces", TraceViewSet, basename="trace")
router.register("isolation-kinds", IsolationKindViewSet, basename="isolation-kind")


# The gates' hot paths resolve first: a resident's scan (c/...) and the API (a checkpoint's pass-code scan).
# Django tries patterns in order, and each empty-prefix include below is walked pattern by pattern.
urlpatterns = [
    path("", include("fangkong.passes.urls")),
    path("api/auth/token/", TokenView.as_view(), name="api_token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The schema asks for a signed-in user (SPECTACULAR_SETTINGS), and so does its page; the page's script is a
    # file of its own (the split view), as the Content-Security-Policy allows no inline script.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api_schema")), name="api_docs"),
    path("api/", include(router.urls)),
    path("", district.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.auth_views.LogoutView.as_view(), name="logout"),
    path("otp/", accounts.otp, name="otp"),
    path("accounts/users/", include("fangkong.accounts.urls")),
    path("accounts/", include("fangkong.accounts.urls_self")),
    path("imports/<int:pk>/", core.import_job, name="import_job"),
    path("imports/<int:pk>/errors.xlsx", core.import_errors, name="import_errors"),
    path("exports/<int:pk>/", core.export_job, name="export_job"),
    path("exports/<int:pk>/download/", core.export_download, name="export_download"),
    path("territory/households/", include("fangkong.people.urls_households")),
    path("territory/", include("fangkong.territory.urls")),
    path("people/", include("fangkong.people.urls")),
    path("rentals/", include("fangkong.people.urls_rentals")),
    path("care/", include("fangkong.people.urls_care")),
    path("key-persons/", include("fangkong.screening.urls")),
    path("reports/", include("fangkong.screening.urls_reports")),
    path("audit/", include("fangkong.district.urls_audit")),
    path("health-code/", include("fangkong.healthcode.urls")),
    path("testing/", include("fangkong.testing.urls")),
    path("isolation/", include("fangkong.isolation.urls")),
    path("tracing/", include("fangkong.tracing.urls")),
    path("m/<str:token>/", isolation_views.monitoring, name="isolation_monitoring"),
    path("zones/", include("fangkong.zones.urls")),
    path("s/<str:token>/", zone_views.resident_supply, name="zones_supply"),
    path("enterprises/", include("fangkong.enterprises.urls")),
    path("e/<str:token>/", enterprise_views.phone_checkin, name="enterprise_checkin"),
    path("", include("fangkong.passes.urls_places")),
    path("", include("fangkong.passes.urls_office")),
    path("", include("fangkong.healthcode.urls_pass")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
