"""出租屋 pages: list with filters and counts, register, detail with tenants and the commitment letter.

Thin: parse the form, call fangkong.people.rentals, render. The forms only shape input; the rules are
in the service, whose per-field ValidationErrors are put next to the fields.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.core.forms import PersonNameField, add_service_errors
from fangkong.core.identity import DocumentType
from fangkong.core.pages import paginate
from fangkong.territory.models import Household

from . import rentals
from .models import Rental, RentalState, Tenancy

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Fields are optional here so that the service's Chinese messages, not the generic "required", are shown.
class RentalForm(forms.Form):
    household = forms.ModelChoiceField(label=gettext_lazy("出租房屋"), queryset=Household.objects.none(),
                                       widget=forms.HiddenInput)
    landlord_name = PersonNameField(label=gettext_lazy("房东姓名"), required=False)
    landlord_phone = forms.CharField(label=gettext_lazy("房东联系电话"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    state = forms.ChoiceField(label=gettext_lazy("出租状态"), choices=RentalState.choices, initial=RentalState.RENTED)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.visible_to(user)


class TenantForm(forms.Form):
    id_type = forms.ChoiceField(label=gettext_lazy("证件类型"), choices=DocumentType.choices,
                                initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(
        label=gettext_lazy("承租人证件号码"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "pattern": "[0-9A-Za-z-]*"}))
    moved_in = forms.DateField(label=gettext_lazy("入住日期"), widget=DATE_INPUT, required=False)


class MoveOutForm(forms.Form):
    moved_out = forms.DateField(label=gettext_lazy("搬离日期"), widget=DATE_INPUT, required=False)


class LetterForm(forms.Form):
    letter = forms.FileField(label=gettext_lazy("承诺书（照片或 PDF）"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
    letter_signed_on = forms.DateField(label=gettext_lazy("签订日期"), widget=DATE_INPUT, required=False)


def _rental(request, pk):
    return get_object_or_404(Rental.objects.visible_to(request.user).select_related("household__area"), pk=pk)


@login_required
@permission_required("people.view_rental", raise_exception=True)
def rental_list(request):
    params = {key: request.GET[key] for key in ("q", "filter") if request.GET.get(key)}
    listed = rentals.with_facts(rentals.filter_rentals(request.user, params)).select_related("household__area")
    return render(request, "people/rental_list.html", {
        **paginate(request, listed.order_by("household__address", "pk")),
        "filters": params, "counts": rentals.counts(request.user),
    })


@login_required
@permission_required("people.add_rental", raise_exception=True)
def rental_new(request):
    household_id = request.POST.get("household") or request.GET.get("household")
    household = None
    if household_id and str(household_id).isdigit():
        household = Household.objects.visible_to(request.user).select_related("area").filter(pk=household_id).first()
        if household is None:
            raise Http404
        existing = Rental.objects.filter(household=household).first()
        if existing is not None and request.method == "GET":
            messages.info(request, _("该房屋已登记为出租屋"))
            return redirect("rentals:detail", existing.pk)
    if household is None:
        # Pick the house first: search the user's households by address.
        q = request.GET.get("q", "").strip()
        found = Household.objects.visible_to(request.user).search(q).select_related("area")[:20] if q else []
        return render(request, "people/rental_pick.html", {"q": q, "households": found})
    form = RentalForm(request.POST or None, user=request.user, initial={"household": household.pk})
    if request.method == "POST" and form.is_valid():
        try:
            rental = rentals.register_rental(form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记出租屋 %(address)s") % {"address": household.address})
            return redirect("rentals:detail", rental.pk)
    return render(request, "people/rental_form.html", {"form": form, "household": household})


def _detail(request, rental, *, tenant_form=None, letter_form=None, move_out_forms=None, not_found=None,
            status=200):
    tenancies = list(rental.tenancies.select_related("person"))
    move_out_forms = move_out_forms or {}
    current = [(t, move_out_forms.get(t.pk) or MoveOutForm(prefix=f"t{t.pk}", initial={"moved_out": rentals.today()}))
               for t in tenancies if t.moved_out is None]
    return render(request, "people/rental_detail.html", {
        "rental": rental, "household": rental.household, "current": current,
        "past": [t for t in tenancies if t.moved_out is not None],
        "tenant_form": tenant_form or TenantForm(initial={"moved_in": rentals.today()}),
        "letter_form": letter_form or LetterForm(initial={"letter_signed_on": rentals.today()}),
        "not_found": not_found,
        "register_url": f"{reverse('people:new')}?household={rental.household_id}&area={rental.household.area_id}",
    }, status=status)


@login_required
@permission_required("people.view_rental", raise_exception=True)
def rental_detail(request, pk):
    return _detail(request, _rental(request, pk))


@login_required
@permission_required("people.add_tenancy", raise_exception=True)
@require_POST
def rental_tenant(request, pk):
    """Add a tenant found by identity number in the user's scope; not found → a link to register them."""
    rental = _rental(request, pk)
    form = TenantForm(request.POST)
    not_found = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            person = rentals.find_person(request.user, data["id_type"], data["id_number"])
            if person is None:
                not_found = True
            else:
                rentals.move_in(rental, person, data["moved_in"], user=request.user)
                messages.success(request, _("已登记租户 %(name)s") % {"name": person.name})
                return redirect("rentals:detail", rental.pk)
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"person": "id_number"})
    return _detail(request, rental, tenant_form=form, not_found=not_found, status=200 if not_found else 400)


@login_required
@permission_required("people.change_tenancy", raise_exception=True)
@require_POST
def rental_move_out(request, pk, tenancy_pk):
    rental = _rental(request, pk)
    tenancy = get_object_or_404(Tenancy, pk=tenancy_pk, rental=rental)
    form = MoveOutForm(request.POST, prefix=f"t{tenancy.pk}")
    if form.is_valid():
        try:
            rentals.move_out(tenancy, form.cleaned_data["moved_out"], user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记 %(name)s 搬离") % {"name": tenancy.person.name})
            return redirect("rentals:detail", rental.pk)
    return _detail(request, rental, move_out_forms={tenancy.pk: form}, status=400)


@login_required
@permission_required("people.change_rental", raise_exception=True)
@require_POST
def rental_state(request, pk):
    rental = _rental(request, pk)
    try:
        rentals.set_state(rental, request.POST.get("state", ""), user=request.user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已改为%(state)s") % {"state": rental.get_state_display()})
    return redirect("rentals:detail", rental.pk)


@login_required
@permission_required("people.change_rental", raise_exception=True)
@require_POST
def rental_letter_upload(request, pk):
    rental = _rental(request, pk)
    form = LetterForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            rentals.attach_letter(rental, form.cleaned_data["letter"], form.cleaned_data["letter_signed_on"],
                                  user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            rental.refresh_from_db()
        else:
            messages.success(request, _("承诺书已上传"))
            return redirect("rentals:detail", rental.pk)
    return _detail(request, rental, letter_form=form, status=400)


@login_required
@permission_required("people.view_rental", raise_exception=True)
def rental_letter(request, pk):
    """The uploaded letter, read through the scope and written to the audit log."""
    rental = _rental(request, pk)
    try:
        handle, content_type, name = rentals.open_letter(rental, user=request.user)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type, filename=name,
                            as_attachment=content_type == "application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("people.view_rental", raise_exception=True)
def rental_letter_pdf(request, pk):
    rental = _rental(request, pk)
    pdf = rentals.letter_pdf(rental, user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="commitment-letter-{rental.pk}.pdf"'
    return response
