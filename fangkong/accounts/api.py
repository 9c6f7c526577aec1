"""POST /api/auth/token/: a token for username, password and, for those who must use TOTP, the second factor."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.core.api import api_errors
from fangkong.core.throttling import SharedLimitThrottle

from . import tokens


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=gettext_lazy("账号"), write_only=True)
    password = serializers.CharField(label=gettext_lazy("密码"), write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"})
    otp_token = serializers.CharField(label=gettext_lazy("二次验证码"), write_only=True, required=False,
                                      allow_blank=True,
                                      help_text=gettext_lazy("须使用二次验证的账号（区级管理员）必填"))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField()


class TokenThrottle(SharedLimitThrottle):
    """FANGKONG_LIMITS["token"]: by client address, and by the username asked for."""

    limit_name = "token"

    def target(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        return str(username)[:150] if username else None


class TokenView(APIView):
    """Failures count towards the login lockout; the key is answered once and stored only hashed."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        user = authenticate(request=request, username=username, password=data.validated_data["password"])
        if user is None:
            # django-axes turns a locked-out login into its lockout page only for Django's own requests.
            if not AxesProxyHandler.is_allowed(request, {"username": username}):
                message = _("密码错误次数过多，账号已暂时锁定，请稍后再试或联系区级管理员解锁")
                return Response({"detail": message}, status=429)
            raise serializers.ValidationError({"non_field_errors": [_("账号或密码不正确")]})
        try:
            verified = tokens.check_second_factor(user, data.validated_data.get("otp_token", ""), request=request)
        except ValidationError as exc:
            raise api_errors(exc) from None
        token, key = tokens.issue(user, verified=verified, client=request.headers.get("User-Agent", ""))
        return Response(TokenSerializer({"token": key, "expires": token.expires}).data)
