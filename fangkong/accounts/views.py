import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.core.forms import add_service_errors
from fangkong.core.pages import paginate

from . import services, tokens
from .forms import UserFilterForm, UserForm
from .models import ApiToken, User


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


# --- 我的账号: one's own password and API tokens ------------------------------------------------------------

@login_required
def me(request):
    return render(request, "accounts/me.html", {"tokens": request.user.api_tokens.current(),
                                                "api_token_hours": settings.FANGKONG_API_TOKEN_HOURS})


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # another's token reads as one that is not there
    tokens.revoke(token, acting_user=request.user)
    messages.success(request, _("已撤销令牌 %(token)s") % {"token": token})
    return redirect("account:me")


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: the old password, the new one twice; other sessions and every API token of the user end."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account:me")

    def form_valid(self, form):
        services.change_own_password(self.request.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)  # this session stays signed in
        messages.success(self.request, _("密码已修改"))
        return redirect(self.get_success_url())


# --- 账号管理: thin views over accounts.services ---------------------------------------------------------

def manage_users(view):
    return login_required(permission_required("accounts.manage_users", raise_exception=True)(view))


@manage_users
def user_list(request, state=""):
    """The accounts in the viewer's scope; /accounts/users/locked/ is the same list of the locked-out ones."""
    filters = UserFilterForm(request.GET, acting_user=request.user)
    filters.is_valid()
    params = {**filters.cleaned_data, "state": state or filters.cleaned_data.get("state", "")}
    listed = services.filter_users(request.user, **params).select_related("area", "grid").prefetch_related("groups")
    context = paginate(request, listed.order_by("-is_active", "area__path", "username"))
    rows = list(context["page_obj"])
    return render(request, "accounts/user_list.html", {
        **context, "filters": filters, "state": params["state"], "rows": rows,
        "locked": services.locked_usernames(u.username for u in rows),
        "manageable": services.manageable_ids(request.user, rows), "counts": services.counts(request.user),
    })


def _form_data(form, editing=False):
    data = dict(form.cleaned_data)
    if editing and not data.get("phone"):
        data["phone"] = None  # left empty: the phone stays as it is
    return data


@manage_users
@never_cache  # the page may show a new password
def user_new(request):
    form = UserForm(request.POST or None, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.create_user(_form_data(form), acting_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            shown = password if not form.cleaned_data.get("password") else ""
            return render(request, "accounts/user_password.html", {"target": user, "password": shown, "created": True})
    return render(request, "accounts/user_form.html", {"form": form})


def _target(request, pk):
    """A user in the viewer's scope (404 otherwise, whatever the id); one they may not manage is a 403."""
    target = get_object_or_404(User.objects.visible_to(request.user).select_related("area", "grid"), pk=pk)
    if not services.may_manage(request.user, target):
        raise PermissionDenied(_("您无权管理该账号"))
    return target


@manage_users
def user_edit(request, pk):
    target = _target(request, pk)
    initial = {"full_name": target.full_name, "role": next(iter(sorted(target.role_codes)), ""),
               "area": target.area_id, "grid": target.grid_id,
               "places": list(target.checkpoint_places.values_list("pk", flat=True))}
    form = UserForm(request.POST or None, acting_user=request.user, target=target, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_user(target, _form_data(form, editing=True), acting_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存账号 %(name)s") % {"name": target})
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {
        "form": form, "target": target, "target_locked": bool(services.locked_usernames([target.username])),
        "target_tokens": target.api_tokens.current().count()})


def _next(request, default="accounts:users"):
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else default


def _target_or_self(request, pk):
    """For 停用: oneself is answered with a message (services refuses it), anyone else as _target."""
    if pk == request.user.pk:
        return request.user
    return _target(request, pk)


@manage_users
@require_POST
def user_active(request, pk):
    target = _target_or_self(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(target, active, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, (_("已启用 %(name)s") if active else _("已停用 %(name)s")) % {"name": target})
    return redirect(_next(request))


@manage_users
@require_POST
def user_unlock(request, pk):
    target = _target(request, pk)
    services.unlock(target, acting_user=request.user)
    messages.success(request, _("已解锁 %(name)s，可以重新登录") % {"name": target})
    return redirect(_next(request))


@manage_users
@never_cache
@require_POST
def user_password(request, pk):
    target = _target(request, pk)
    password = services.reset_password(target, acting_user=request.user)
    return render(request, "accounts/user_password.html", {"target": target, "password": password})


@manage_users
@require_POST
def user_tokens_revoke(request, pk):
    target = _target(request, pk)
    count = tokens.revoke_all(target, acting_user=request.user, reason="管理员撤销")
    messages.success(request, _("已撤销 %(name)s 的 %(count)s 个API令牌") % {"name": target, "count": count})
    return redirect(_next(request, default="accounts:users"))
