import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0010_existing_lots_registrant")]

    operations = [
        migrations.AlterField(
            model_name="lot",
            name="registrant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lots",
                to="clinic_sessions.registrant",
            ),
        ),
    ]
