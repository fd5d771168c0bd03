"""The OpenAPI schema (drf-spectacular) documents every error an operation can answer.

Views list the errors of their own logic (400 for a service's refusal, 409, 429); the ones the
framework answers for any operation are added here, all in the one error shape:
401 wherever authentication is required, 403 where a permission beyond being signed in applies
or a session write may lack its CSRF token, 404 on addresses with an id and for a page past the
end of a list, 400 for query parameters and bodies, 413/415 for bodies, and 406 everywhere (an
Accept header that excludes JSON).
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticated

from config.api import ERROR_MEANINGS, ErrorSerializer

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in sorted(self._framework_errors(operation)):
            error = OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[status])
            responses.setdefault(str(status), self._get_response_for_code(error, str(status)))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _framework_errors(self, operation: dict) -> set[int]:
        statuses = {406}
        permissions = self.view.get_permissions()
        if not all(isinstance(permission, AllowAny) for permission in permissions):
            statuses.add(401)
            # a permission marked writes_only lets every signed-in user read
            if self.method not in SAFE_METHODS or any(
                not isinstance(permission, (IsAuthenticated, AllowAny))
                and not getattr(permission, "writes_only", False)
                for permission in permissions
            ):
                statuses.add(403)
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if "{" in self.path or "page" in query:
            statuses.add(404)  # an id not found (or not yours); a page past a list's end
        if query:
            statuses.add(400)
        if "requestBody" in operation:
            statuses.update((400, 413, 415))
        return statuses
