"""The key-person categories districts screened for in 2020-2022; a district admin adjusts or adds to them."""

# code, name, description, gate effect, follow-up, days, NAT every N days
DEFAULTS = [
    ("return_province", "省外返回人员", "三返：从省外返回本区", "warn", "home_monitoring", 14, 7),
    ("return_risk_area", "中高风险地区来返人员", "三返：14天内从中高风险地区来返", "deny", "home_isolation", 14, 3),
    ("return_abroad", "入境人员", "三返：从境外入境", "deny", "central_isolation", 14, 2),
    ("close_contact", "密切接触者", "确诊或无症状感染者的密切接触者", "deny", "central_isolation", 14, 2),
    ("secondary_contact", "次密切接触者", "密切接触者的密切接触者", "deny", "home_isolation", 7, 3),
    ("spatiotemporal", "时空伴随者", "与感染者有时空交集的人员", "warn", "home_monitoring", 7, 3),
    ("fever", "发热人员", "发热或有呼吸道症状的人员", "deny", "home_monitoring", 3, 1),
    ("sealed_zone", "封控区来人", "从封控区出来的人员", "deny", "home_isolation", 7, 2),
    ("controlled_zone", "管控区来人", "从管控区出来的人员", "warn", "home_monitoring", 7, 3),
    ("cold_chain", "冷链从业人员", "进口冷链食品相关从业人员", "none", "nat_schedule", 30, 7),
    ("port_worker", "口岸及隔离场所工作人员", "口岸、集中隔离场所等高风险岗位人员", "none", "nat_schedule", 30, 2),
]


def ensure_default_categories(sender=None, **kwargs):
    """After migrate (and a test database flush): the default categories, when there are none at all."""
    from .models import Category

    if Category.objects.exists():
        return
    Category.objects.bulk_create([
        Category(code=code, name=name, description=description, gate_effect=effect, follow_up=follow_up,
                 follow_up_days=days, nat_every_days=nat, position=position * 10)
        for position, (code, name, description, effect, follow_up, days, nat) in enumerate(DEFAULTS, start=1)])
