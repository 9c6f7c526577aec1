# The English interface's short dates: 3 Dec, 3 Dec 2026, 3 Dec 14:05 (24-hour, as the Chinese pages).
MONTH_DAY_FORMAT = "j M"
DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M H:i"
