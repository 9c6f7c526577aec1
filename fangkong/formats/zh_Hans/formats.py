# Dates as the district's forms write them: 12月3日, not Django's 12月03日.
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
