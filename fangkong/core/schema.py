"""The OpenAPI document (drf-spectacular) describes every answer the API gives, errors included.

drf-spectacular documents the successful answer of each operation. A client at a gate must also know what a
refusal looks like, so every operation lists the errors it can answer, with their bodies:
400 (a field's or the request's problem, in Chinese, `{"field": ["message"]}`), 401 (no or a bad token),
403 (a role or a scope that does not allow it), 404 (an id that does not exist or is out of scope),
429 (too many requests, where throttled) and 503 (the database is restarting: retry after `Retry-After`).
tests/api/test_schema_matches_answers.py checks real answers against the document.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="什么出了问题（中文）")
    code = serializers.CharField(required=False, help_text="机器可读的原因，如 unavailable、not_found")


# {"field": ["message", ...], ...}, or {"detail": ...}; nested serializers answer nested objects.
VALIDATION_ERROR = {"type": "object", "additionalProperties": {}, "description": "逐字段的错误说明（中文）"}

ERRORS = {
    "400": OpenApiResponse(VALIDATION_ERROR, description="请求有误：逐字段说明，什么都没有改变"),
    "401": OpenApiResponse(ErrorSerializer, description="没有登录或令牌无效、已过期、已撤销"),
    "403": OpenApiResponse(ErrorSerializer, description="角色或管辖范围不允许"),
    "404": OpenApiResponse(ErrorSerializer, description="不存在，或不在管辖范围内"),
    "429": OpenApiResponse(ErrorSerializer, description="请求过多，请按 Retry-After 稍后再试"),
    "503": OpenApiResponse(ErrorSerializer, description="系统繁忙（数据库暂不可用），请按 Retry-After 稍后重试"),
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        anonymous = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes = ["400", "503"]
        if not anonymous:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ERRORS[code], code, direction=direction)
        return dict(sorted(responses.items()))
