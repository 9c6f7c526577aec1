"""The colour rules districts used in 2020-2022; a district admin tunes them on the rules page."""

# fact, description, colour, days, active
DEFAULTS = [
    ("screening:close_contact", "密切接触者", "red", None, True),
    ("screening:sealed_zone", "封控区来人", "red", None, True),
    ("screening:return_abroad", "入境人员", "red", None, True),
    ("screening:secondary_contact", "次密切接触者", "yellow", None, True),
    ("screening:return_risk_area", "中高风险地区来返人员", "yellow", None, True),
    ("screening:controlled_zone", "管控区来人", "yellow", None, True),
    ("screening:fever", "发热人员", "yellow", None, True),
    ("screening:spatiotemporal", "时空伴随者", "yellow", None, True),
    ("test:positive", "核酸检测阳性（单管）", "red", None, True),
    ("test:pool_positive", "混采阳性，待单管复核", "yellow", None, True),
    ("test:overdue", "应检未检（检测轮次已结束）", "yellow", None, False),
    ("declared:symptoms", "申报有发热、咳嗽等症状", "yellow", 14, True),
    ("declared:risk_area", "申报14天内去过中高风险地区", "yellow", 14, True),
    ("declared:contact", "申报接触过确诊或疑似人员", "yellow", 14, True),
    ("zone:sealed", "封控区内人员", "red", None, True),
    ("isolation:centralized", "集中隔离中", "red", None, True),
    ("isolation:home", "居家隔离中", "red", None, True),
    ("isolation:home_monitoring", "居家健康监测中", "yellow", None, True),
]


def ensure_default_rules(sender=None, **kwargs):
    """After migrate (and a test database flush): the default rules, when there are no rules at all."""
    from .models import Rule

    if Rule.objects.exists():
        return
    Rule.objects.bulk_create([Rule(fact=fact, description=description, colour=colour, days=days, active=active)
                              for fact, description, colour, days, active in DEFAULTS])
