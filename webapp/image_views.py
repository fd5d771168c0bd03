"""Single images: the gallery (search, pages, delete), the new image form, one image live."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api import BatchCreateThrottle
from generation.errors import Conflict, InsufficientCredits, NanodeckError
from generation.services.retention import batch_delete
from webapp.forms import add_service_error
from webapp.image_forms import ImageForm
from webapp.selectors import my_images, page_of
from webapp.services import image_from_form
from webapp.throttles import throttle_wait


@login_required
def gallery(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    images = page_of(my_images(user=request.user, query=query), request.GET.get("page"))
    context = {
        "images": images,
        "query": query,
        "search_param": "&" + urlencode({"q": query}) if query else "",
    }
    return render(request, "webapp/images/gallery.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def image_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, ImageForm())
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    wait = throttle_wait(BatchCreateThrottle(), request)
    if wait is not None:
        form.add_error(
            None, _("Too many requests: try again in %(seconds)d seconds.") % {"seconds": wait}
        )
        return _form_page(request, form, status=429)
    try:
        image = image_from_form(
            owner=request.user, files=form.cleaned_data["files"], fields=form.image_fields()
        )
    except InsufficientCredits as exc:
        return _form_page(request, form, status=402, short=exc.details)
    except NanodeckError as exc:
        add_service_error(form, exc)
        return _form_page(request, form, status=exc.status_code)
    return redirect("app:image", pk=image.pk)


def _form_page(
    request: HttpRequest, form: ImageForm, *, status: int = 200, short: dict | None = None
) -> HttpResponse:
    return render(request, "webapp/images/new.html", {"form": form, "short": short}, status=status)


@login_required
def image_detail(request: HttpRequest, pk: str) -> HttpResponse:
    image = get_object_or_404(my_images(user=request.user), pk=pk)
    page = image.cover_pages[0] if image.cover_pages else None
    return render(request, "webapp/images/detail.html", {"image": image, "page": page})


@login_required
@require_POST
def image_delete(request: HttpRequest, pk: str) -> HttpResponse:
    image = get_object_or_404(my_images(user=request.user), pk=pk)
    try:
        batch_delete(batch=image)
    except Conflict:
        messages.error(request, _("This image is still being drawn: delete it once it is done."))
        return redirect("app:image", pk=pk)
    messages.success(request, _("The image was deleted."))
    return redirect("app:images")
