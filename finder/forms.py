"""WTForms forms. The search form is a GET form: no CSRF, checked again by finder.search_params."""

import functools
import re

import pycountry
from babel import Locale
from flask_babel import LazyString, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from . import details
from .collation import sort_key
from .gazetteer import country_name
from .models import PATTERNS
from .templating import code_name
from .validation import LISTING_LENGTHS, FieldError, email_address, hidden_character


def as_choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def collation_key(name: str, locale: str = "en") -> tuple:
    """Alphabetical order for people in the language of `locale` (finder.collation)."""
    return sort_key(name, locale)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name) in the page's language, in its order."""
    return list(_country_choices(str(get_locale() or "en")))


@functools.cache
def _country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """country_choices for one locale: CLDR's names do not change while the site runs."""
    return tuple(
        sorted(
            ((c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries),
            key=lambda item: collation_key(item[1], locale),
        )
    )


def language_choices() -> list[SelectChoice]:
    """Every ISO 639-1 language CLDR can name, by its name in the page's language and in
    that language's order; typing its English name or its code finds it too."""
    return [
        SelectChoice(code, name, {"data-also": also})
        for code, name, also in _language_names(str(get_locale() or "en"))
    ]


@functools.cache
def _language_names(locale: str) -> tuple[tuple[str, str, str], ...]:
    """(code, name, English name and code) of language_choices for one locale, worked out
    once per locale: CLDR's names do not change while the site runs."""
    page = Locale.parse(locale)
    english = Locale("en").languages
    named = [
        (lang.alpha_2, page.languages[lang.alpha_2])
        for lang in pycountry.languages
        if hasattr(lang, "alpha_2") and lang.alpha_2 in page.languages
    ]
    return tuple(
        (code, name, f"{english.get(code, '')} {code}")
        for code, name in sorted(named, key=lambda item: collation_key(item[1], locale))
    )


def fill_listing_choices(form: "ListingForm", techniques) -> "ListingForm":
    """Techniques, patterns, languages and countries for a listing form."""
    form.techniques.choices = as_choices((t.slug, gettext(t.name)) for t in techniques)
    form.patterns.choices = as_choices((slug, code_name(slug)) for slug in PATTERNS)
    form.languages.choices = language_choices()
    form.country.choices = as_choices([("", _l("Choose a country")), *country_choices()])
    form.diagnostics.choices = as_choices((code, code_name(code)) for code in details.DIAGNOSTICS)
    form.access.choices = as_choices((code, code_name(code)) for code in details.ACCESS)
    return form


class CheckedForm(FlaskForm):
    """A form whose text never hides anything: control characters, direction overrides and
    stray zero-width characters (validation.hidden_character) get a clear error."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list | tuple) else [field.data]
            if any(isinstance(v, str) and hidden_character(v) for v in values):
                field.errors = [
                    *field.errors,
                    gettext("Remove the invisible control characters from this field."),
                ]
                valid = False
        return valid


class EmailAddress:
    """The email rule of the whole site (validation.email_address) as a WTForms validator."""

    def __call__(self, form, field):
        try:
            email_address(field.data or "")
        except FieldError as error:
            raise ValidationError(str(error)) from None


class KeptOptions(widgets.Select):
    """WTForms' select whose option tags are made once and kept: the country list has 249
    options and the search form is on every search and results page."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        plain = isinstance(choice.value, str | int) and not isinstance(choice.value, bool)
        if kwargs or not plain or not isinstance(choice.label, str):
            return super().render_option(choice, **kwargs)
        attributes = tuple(sorted((choice.render_kw or {}).items()))
        return _option_tag(choice.value, choice.label, bool(choice.selected), attributes)


@functools.lru_cache(maxsize=16384)
def _option_tag(value, label: str, selected: bool, attributes: tuple) -> str:
    return widgets.Select.render_option(Choice(value, label, selected, dict(attributes)))


class ListField(SelectField):
    """A select (drop-down list) of choices."""

    widget = KeptOptions()


class KeptChecks(widgets.ListWidget):
    """WTForms' list of checkboxes whose items are made once and kept: the language list of
    the submission and edit forms has some 180 boxes. Each item is what ListWidget renders."""

    def __init__(self):
        super().__init__(prefix_label=False)

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        common = (type(field), field.id, field.name, repr(field.render_kw), repr(field.flags))
        items = "".join(
            _check_item(common, field, index, choice)
            for index, choice in enumerate(field._iter_choices_normalized())
        )
        return Markup(f"<ul {widgets.html_params(**kwargs)}>{items}</ul>")


_kept_checks: dict[tuple, str] = {}


def _check_item(common: tuple, field, index: int, choice) -> str:
    key = (*common, index, choice.value, str(choice.label), choice.selected, repr(choice.render_kw))
    item = _kept_checks.get(key)
    if item is None:
        # The option exactly as SelectMultipleField.__iter__ makes it.
        option = field._Option(
            id=f"{field.id}-{index}",
            label=choice.label or choice.value,
            widget=field.option_widget,
            validators=field.validators,
            name=field.name,
            render_kw=field.render_kw,
            _form=field._form,
            _meta=field.meta,
        )
        option.choice = choice
        option.checked = choice.selected
        option.process(None, choice.value)
        item = f"<li>{option()} {option.label}</li>"
        if len(_kept_checks) < 50000:
            _kept_checks[key] = item
    return item


class CheckboxListField(SelectMultipleField):
    """Several choices shown as a list of checkboxes."""

    widget = KeptChecks()
    option_widget = widgets.CheckboxInput()


LANGUAGE_SEPARATORS = re.compile(r"[;,]")


class LanguageListField(CheckboxListField):
    """Languages ticked by name; the data stays the '; '-joined ISO codes that clients have
    always sent ("ko; en" as one value still works), checked by submissions.check_fields."""

    def process_data(self, value):
        self.data = self.joined([value] if isinstance(value, str) else value or [])

    def process_formdata(self, valuelist):
        self.data = self.joined(valuelist)

    @staticmethod
    def joined(values) -> str:
        codes: list[str] = []
        for value in values:
            for part in LANGUAGE_SEPARATORS.split(str(value)):
                code = part.strip()
                if code and code.lower() not in (c.lower() for c in codes):
                    codes.append(code)
        return "; ".join(codes)

    @property
    def codes(self) -> list[str]:
        parts = LANGUAGE_SEPARATORS.split(self.data or "")
        return [part.strip().lower() for part in parts if part.strip()]

    def iter_choices(self):
        chosen = self.codes
        choices = self._choices_from_input(self.choices) or []
        offered = {c.value for c in choices}
        # A listing's language the list does not offer stays ticked, so saving keeps it.
        extra = [SelectChoice(code, code) for code in chosen if code not in offered]
        return [
            Choice(value=c.value, label=c.label, selected=c.value in chosen, render_kw=c.render_kw)
            for c in [*extra, *choices]
        ]

    def pre_validate(self, form):
        """Any ISO 639-1 code is welcome; check_fields says which ones are not."""


class SearchForm(FlaskForm):
    """Where, which techniques, and the filters a patient may set."""

    class Meta:
        csrf = False

    location = StringField(
        _l("City, postal code or country"),
        render_kw={
            "placeholder": _l("e.g. Austin, TX or 서울 or 78701"),
            "autocomplete": "off",
            "maxlength": 200,
        },
    )
    lat = HiddenField()
    lon = HiddenField()
    technique = CheckboxListField(_l("Techniques"), choices=[])
    country = ListField(_l("Country"), choices=[])
    language = ListField(_l("Language spoken"), choices=[])
    radius = ListField(
        _l("Within"),
        choices=as_choices((n, n) for n in ("10", "25", "50", "100", "250", "500", "1000")),
        default="100",
    )
    unit = ListField(
        _l("Unit"), choices=as_choices([("km", "km"), ("mi", _l("miles"))]), default="km"
    )
    telehealth = BooleanField(_l("Offers telehealth"))
    home_visits = BooleanField(_l("Offers home visits"))
    gentle = BooleanField(_l("Gentle (non-thrust) methods only"))
    # The decision details a patient can filter on (finder.details, nearest.Filters).
    accepting = BooleanField(_l("Taking new patients (or a waiting list)"))
    diagnostic_injection = BooleanField(_l("Offers an image-guided diagnostic injection"))
    lying_down = BooleanField(_l("Can treat me lying down"))
    approach = ListField(
        _l("SI-joint fusion approach"),
        choices=as_choices(
            [("", _l("Any")), ("posterior", _l("Posterior")), ("lateral", _l("Lateral"))]
        ),  # fmt: skip
        default="",
    )


RELATIONS = as_choices(
    [
        ("self", _l("I am this practitioner")),
        ("patient", _l("I am their patient")),
        ("colleague", _l("I am a colleague")),
    ]
)


def fits(name: str) -> Length:
    """At most as many characters as the listing's database column holds."""
    return Length(max=LISTING_LENGTHS[name])


YES_NO_CHOICES = as_choices([("", _l("Not known")), ("true", _l("Yes")), ("false", _l("No"))])


class ListingForm(CheckedForm):
    """A practitioner's public details and one practice location."""

    name = StringField(_l("Name"), validators=[DataRequired(), fits("name")])
    credentials = StringField(
        _l("Credentials"),
        validators=[Optional(), fits("credentials")],
        render_kw={"placeholder": _l("e.g. PT, DPT or DC")},
    )
    clinic = StringField(_l("Clinic"), validators=[Optional(), fits("clinic")])
    techniques = CheckboxListField(
        _l("Techniques"),
        choices=[],
        validators=[DataRequired(_l("Choose at least one technique."))],
    )
    patterns = CheckboxListField(_l("Misalignment patterns they assess and explain"), choices=[])
    teaches_self_correction = BooleanField(_l("Teaches self-corrections"))
    gentle_only = BooleanField(_l("Uses only gentle (non-thrust) methods"))
    languages = LanguageListField(
        _l("Languages spoken"),
        choices=[],
        validators=[Optional(), Length(max=400)],
        description=_l("Tick each language they speak with patients."),
    )
    telehealth = BooleanField(_l("Offers telehealth"))
    home_visits = BooleanField(_l("Offers home visits"))
    accepts_international = BooleanField(_l("Accepts international patients"))
    website = StringField(_l("Website"), validators=[Optional(), fits("website")])
    phone = StringField(_l("Phone"), validators=[Optional(), fits("phone")])
    email = StringField(_l("Public email"), validators=[Optional(), EmailAddress(), fits("email")])
    registry_name = StringField(
        _l("Licence registry"), validators=[Optional(), fits("registry_name")]
    )
    registry_number = StringField(
        _l("Licence number"), validators=[Optional(), fits("registry_number")]
    )
    registry_url = StringField(_l("Registry link"), validators=[Optional(), fits("registry_url")])
    npi = StringField(_l("US NPI"), validators=[Optional(), fits("npi")])
    address = StringField(_l("Street address"), validators=[Optional(), fits("address")])
    city = StringField(_l("City"), validators=[DataRequired(), fits("city")])
    region = StringField(_l("Region or state"), validators=[Optional(), fits("region")])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), fits("postal_code")])
    country = ListField(_l("Country"), choices=[], validators=[DataRequired()])
    latitude = StringField(_l("Latitude"), validators=[Optional(), Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[Optional(), Length(max=20)])
    # What a patient needs to decide (finder.details): all optional; checked by
    # submissions.check_fields with the same rules as the CSV import.
    accepting_new_patients = ListField(
        _l("Accepting new patients"),
        choices=as_choices([("", _l("Not known")), ("yes", _l("Yes")),
                            ("waitlist", _l("Waiting list")), ("no", _l("No"))]),
        default="",  # not sent (an older client): not known
    )  # fmt: skip
    wait_weeks = StringField(
        _l("Typical wait (weeks)"), validators=[Length(max=4)], render_kw={"inputmode": "numeric"}
    )
    fee_min = StringField(
        _l("Lowest fee"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"}
    )
    fee_max = StringField(
        _l("Highest fee"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"}
    )
    fee_currency = StringField(
        _l("Currency of the fees"),
        validators=[Length(max=3)],
        render_kw={"placeholder": _l("e.g. EUR, USD, KRW"), "autocapitalize": "characters"},
    )
    self_pay = ListField(_l("Self-pay patients"), choices=YES_NO_CHOICES, default="")
    insurance = StringField(_l("Insurance accepted"), validators=[Optional(), fits("insurance")])
    diagnostics = CheckboxListField(_l("How they diagnose the SI joint"), choices=[])
    surgery_approach = ListField(
        _l("SI-joint fusion approach"),
        choices=as_choices([("", _l("Not known")), ("posterior", _l("Posterior")),
                            ("lateral", _l("Lateral")), ("both", _l("Both"))]),
        default="",
    )  # fmt: skip
    surgery_implants = StringField(
        _l("Implant systems used"), validators=[Optional(), fits("surgery_implants")]
    )
    surgery_volume = ListField(
        _l("SI-joint fusions a year"),
        choices=as_choices([("", _l("Not known")), *((b, b) for b in details.VOLUMES)]),
        default="",
    )
    industry_ties = TextAreaField(
        _l("Industry relationships (disclosure)"),
        validators=[Optional(), fits("industry_ties")],
    )
    access = CheckboxListField(_l("For patients who can barely sit or stand"), choices=[])
    telehealth_countries = StringField(
        _l("Telehealth for patients in these countries"),
        validators=[Optional(), fits("telehealth_countries")],
        render_kw={"placeholder": _l("ISO codes, e.g. KR; US")},
    )
    international_office = ListField(
        _l("International patient office"), choices=YES_NO_CHOICES, default=""
    )
    interpreter_languages = StringField(
        _l("Interpreters for these languages"),
        validators=[Optional(), fits("interpreter_languages")],
        render_kw={"placeholder": _l("ISO codes, e.g. ar; ko")},
    )
    visa_letter = ListField(
        _l("Help with a medical visa letter"), choices=YES_NO_CHOICES, default=""
    )
    stay_days = StringField(
        _l("Days to stay before flying home"),
        validators=[Length(max=4)],
        render_kw={"inputmode": "numeric"},
    )


class SubmissionForm(ListingForm):
    """A proposed listing and who proposes it."""

    submitter_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    submitter_email = StringField(
        _l("Your email"), validators=[DataRequired(), EmailAddress(), Length(max=254)]
    )
    relation = RadioField(
        _l("Your relation to the practitioner"), choices=RELATIONS, validators=[DataRequired()]
    )
    notify = BooleanField(_l("Email me the decision on this listing"))
    nickname = StringField(_l("Leave this field empty"))  # honeypot: hidden from people


class AdminLoginForm(CheckedForm):
    """Email and password; there is no 'remember me' for admins."""

    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class DecisionForm(CheckedForm):
    """An admin's decision on a listing, with the vetting checklist and a note."""

    action = HiddenField(validators=[DataRequired()])
    licence = BooleanField(_l("Licence checked against its registry"))
    experience = BooleanField(_l("Evidence of SI-joint experience"))
    techniques = BooleanField(_l("Technique claims verified"))
    contact = BooleanField(_l("Contact details verified"))
    revet_due = DateField(_l("Re-vet by"), validators=[Optional()])
    notes = TextAreaField(
        _l("Note"), validators=[DataRequired(_l("Write a short note.")), Length(max=4000)]
    )
    submitter_note = TextAreaField(
        _l("Note for the submitter (mailed if they asked to hear the decision)"),
        validators=[Length(max=2000)],
    )


class EmptyForm(FlaskForm):
    """A POST button with CSRF and nothing else."""


class UnmetNeedForm(CheckedForm):
    """A short note that nobody suitable was found: what, and roughly where."""

    technique = ListField(_l("What were you looking for?"), choices=[], default="")
    place = StringField(_l("Your city or region"), validators=[DataRequired(), Length(max=200)])
    email = StringField(
        _l("Email (optional, only to tell you when someone is listed)"),
        validators=[Optional(), EmailAddress(), Length(max=254)],
    )


# Admin accounts. Every change asks for the acting admin's own password again.


def min_password_length() -> int:
    """The shortest password `create-admin` accepts (read late: cli imports this module's
    neighbours)."""
    from .cli import MIN_PASSWORD_LENGTH

    return MIN_PASSWORD_LENGTH


def long_enough(form, field) -> None:
    if len(field.data or "") < min_password_length():
        raise ValidationError(
            gettext("Use at least %(min)d characters.", min=min_password_length())
        )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password of the length `create-admin` asks for, typed twice."""
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), long_enough, Length(max=1000)],
        description=LazyString(
            lambda: gettext("At least %(min)d characters.", min=min_password_length())
        ),
    )
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )
    return new, repeat


def current_password_field() -> PasswordField:
    return PasswordField(
        _l("Your current password"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("Needed to confirm that it is you making this change."),
    )


class AddAdminForm(CheckedForm):
    """A new admin's email and first password."""

    email = StringField(
        _l("Email"),
        validators=[DataRequired(), EmailAddress(), Length(max=254)],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )
    new_password, repeat_password = new_password_fields()
    current_password = current_password_field()


class ResetAdminPasswordForm(CheckedForm):
    """Another admin's new password."""

    admin_id = ListField(_l("Admin"), coerce=int, choices=[])
    new_password, repeat_password = new_password_fields()
    current_password = current_password_field()


class RemoveAdminForm(CheckedForm):
    """Another admin to remove."""

    admin_id = ListField(_l("Admin"), coerce=int, choices=[])
    current_password = current_password_field()


class ChangeOwnPasswordForm(CheckedForm):
    """The signed-in admin's own new password."""

    current_password = current_password_field()
    new_password, repeat_password = new_password_fields()


# Listing problem reports: a visitor's report and an admin's resolution.

REPORT_REASON_CHOICES = as_choices(
    [
        ("moved-or-closed", _l("The practice has moved or closed")),
        ("wrong-contact", _l("Wrong phone, email or website")),
        ("technique-not-offered", _l("They do not offer this technique")),
        ("not-qualified-or-unsafe", _l("Not qualified, or unsafe")),
        ("other", _l("Something else")),
    ]
)


def report_reason_name(code: str) -> str:
    """A report's reason in the page's language."""
    return next((str(c.label) for c in REPORT_REASON_CHOICES if c.value == code), code)


class ReportForm(CheckedForm):
    """What is wrong with a public listing, in the visitor's words."""

    reason = RadioField(
        _l("What is wrong?"),
        choices=REPORT_REASON_CHOICES,
        validators=[DataRequired(_l("Choose what is wrong."))],
    )
    details = TextAreaField(
        _l("Details"),
        validators=[Length(max=2000)],
        description=_l("Needed if you chose “Something else”. At most 2000 characters."),
    )
    email = StringField(
        _l("Your email (optional, if you want us to tell you what we did)"),
        validators=[Optional(), EmailAddress(), Length(max=254)],
    )
    nickname = StringField(_l("Leave this field empty"))  # honeypot: hidden from people

    def validate_details(self, field) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(gettext("Tell us what is wrong."))


class ResolveReportForm(CheckedForm):
    """An admin closes a problem report, with an optional note of what was done."""

    report_id = HiddenField(validators=[DataRequired()])
    note = TextAreaField(
        _l("What was done (optional; mailed to the reporter if they left an email)"),
        validators=[Length(max=2000)],
    )
    next = HiddenField()


class ClaimRequestForm(CheckedForm):
    """A practitioner asks for a link by the email on their listing."""

    email = StringField(
        _l("The email on your listing"),
        validators=[DataRequired(), EmailAddress(), Length(max=254)],
    )


class ChangeDecisionForm(CheckedForm):
    """An admin approves or rejects changes a practitioner proposed."""

    decision = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=2000)])
