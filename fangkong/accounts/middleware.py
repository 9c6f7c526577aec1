from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class RequireOTPMiddleware:
    """District admins must pass a TOTP second factor when FANGKONG_REQUIRE_ADMIN_OTP is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.must_use_otp()
            and not user.is_verified()
            and not request.path.startswith((reverse("otp"), reverse("logout"), settings.STATIC_URL))
        ):
            return redirect(f"{reverse('otp')}?next={request.path}")
        return self.get_response(request)
