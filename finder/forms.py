"""WTForms forms. The search form is a GET form: no CSRF, checked again by finder.params."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms import widgets


class CheckboxListField(SelectMultipleField):
    """Several choices shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SearchForm(FlaskForm):
    """Where, which techniques, and the filters a patient may set."""

    class Meta:
        csrf = False

    location = StringField(
        _l("City, postal code or country"),
        render_kw={"placeholder": _l("e.g. Austin, TX or 서울 or 78701"), "autocomplete": "off",
                   "maxlength": 200},
    )
    lat = HiddenField()
    lon = HiddenField()
    technique = CheckboxListField(_l("Techniques"), choices=[])
    country = SelectField(_l("Country"), choices=[])
    language = SelectField(_l("Language spoken"), choices=[])
    radius = SelectField(
        _l("Within"),
        choices=[("10", "10"), ("25", "25"), ("50", "50"), ("100", "100"), ("250", "250"),
                 ("500", "500"), ("1000", "1000")],
        default="100",
    )
    unit = SelectField(_l("Unit"), choices=[("km", "km"), ("mi", _l("miles"))], default="km")
    telehealth = BooleanField(_l("Offers telehealth"))
    home_visits = BooleanField(_l("Offers home visits"))
    gentle = BooleanField(_l("Gentle (non-thrust) methods only"))
