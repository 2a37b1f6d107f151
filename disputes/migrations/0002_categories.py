from django.db import migrations

# The people's-mediation statistics categories (DESIGN §12). Names are data, editable by
# administrators; they are stored in Chinese, the language the ledgers are kept in.
CATEGORIES = [
    ("marriage_family", "婚姻家庭", False),
    ("neighbours", "邻里纠纷", True),
    ("housing_homestead", "房屋宅基地", True),
    ("contracts", "合同纠纷", True),
    ("production_business", "生产经营", True),
    ("damages", "损害赔偿", True),
    ("land_forest", "山林土地", True),
    ("land_acquisition", "征地拆迁", True),
    ("environment", "环境污染", True),
    ("labour", "劳动争议", True),
    ("consumer", "消费纠纷", True),
    ("medical", "医疗纠纷", True),
    ("road_traffic", "道路交通", True),
    ("property_services", "物业服务", True),
    ("other", "其他", True),
]


def seed(apps, schema_editor):
    Category = apps.get_model("disputes", "Category")
    for order, (code, name, eligible) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "judicial_confirmation_eligible": eligible, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
