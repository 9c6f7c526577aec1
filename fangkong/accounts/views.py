import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def otp(request):
    """Set up (first time) or enter the TOTP second factor."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setup = device is None
    if setup:
        device, _created = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False,
                                                            defaults={"name": "fangkong"})
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        if token.isdigit() and device.verify_token(token):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            messages.success(request, _("已通过二次验证"))
            return redirect(target)
        error = _("验证码不正确或已过期，请输入验证器上当前显示的6位数字")
    qr_svg = ""
    if setup:
        out = io.BytesIO()
        segno.make(device.config_url, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True)
        qr_svg = out.getvalue().decode()
    return render(request, "accounts/otp.html", {"setup": setup, "qr_svg": qr_svg, "error": error})
