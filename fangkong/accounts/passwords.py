"""Password validators whose messages Django's own Chinese catalogue lacks."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with the message in Chinese (its zh_Hans catalogue has no translation for this plural)."""

    def get_error_message(self):
        return ngettext("密码太短，至少需要 %(min_length)d 位。", "密码太短，至少需要 %(min_length)d 位。",
                        self.min_length) % {"min_length": self.min_length}

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short",
                                  params={"min_length": self.min_length})

    def get_help_text(self):
        return ngettext("密码至少需要 %(min_length)d 位。", "密码至少需要 %(min_length)d 位。",
                        self.min_length) % {"min_length": self.min_length}
