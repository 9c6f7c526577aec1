"""Proving a phone's link to a person (passes.binding): the resident's 验证身份 page, the station's 核验 page and,
in the demo, the local SMS outbox. Thin views over binding."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from fangkong.accounts.roles import Role
from fangkong.core import sms

from . import binding, services
from .models import Place


def _back(request) -> str:
    back = request.GET.get("back", "")
    return back if back.startswith("/c/") and "//" not in back else ""


@never_cache
def resident_verify(request, person_id):
    """验证身份: request a code by SMS and type it, or show a code to a worker at a station. Only for a person
    registered on this phone; what it says never depends on whether the person has a phone number on record."""
    device, _members = services.device_members(request.COOKIES.get(services.DEVICE_COOKIE))
    member = binding.member_of(device, person_id)
    if member is None:
        return render(request, "passes/resident/unknown_member.html", status=404)
    context = {"member": member, "back": _back(request), "sms": sms.available(),
               "minutes": binding.CODE_MINUTES}
    if request.method == "POST" and not member.proven:
        action = request.POST.get("action")
        try:
            if action == "send":
                binding.send_sms_code(member)
                context["sent"] = True
            elif action == "check":
                binding.check_sms_code(member, request.POST.get("code", ""), request=request)
            elif action == "station":
                context["station_code"], _challenge = binding.station_code(member)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            context["sent"] = action == "check"
    return render(request, "passes/resident/verify.html", context)


class ConfirmForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("居民手机上的核验码（8位数字）"), max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    id_number = forms.CharField(label=gettext_lazy("身份证上的证件号码"), max_length=30, widget=forms.TextInput(
        attrs={"autocomplete": "off", "autocapitalize": "characters"}))


@login_required
@never_cache
def station_confirm(request, pk):
    """核验居民手机: the worker checks the ID card, types the code the resident's phone shows and the number on
    the card; the phone may then see that person's records. The worker is recorded on the link and audited."""
    place = get_object_or_404(Place.objects.select_related("area"), pk=pk)
    if not services.may_run_station(request.user, place):
        raise Http404
    form = ConfirmForm(request.POST or None)
    context = {"place": place, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            member = binding.confirm_at_station(place, request.user, code=form.cleaned_data["code"],
                                                id_number=form.cleaned_data["id_number"], request=request)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        except PermissionDenied:
            raise Http404 from None
        else:
            context.update(confirmed=member, form=ConfirmForm())
    return render(request, "passes/station/confirm.html", context, status=422 if form.errors else 200)


@login_required
def dev_sms(request):
    """The local SMS gateway's outbox, for the demo: district admins only, and only where nothing real is sent."""
    if not sms.outbox_visible():
        raise Http404
    if not (request.user.is_superuser or request.user.has_role(Role.DISTRICT_ADMIN)):
        raise PermissionDenied
    from fangkong.core.models import SmsMessage

    return render(request, "passes/dev_sms.html", {"messages_sent": SmsMessage.objects.all()[:50]})
