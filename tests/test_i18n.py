"""The English catalogue: every interface string is translated, placeholders survive, it compiles.

File-level checks on translations/en/LC_MESSAGES/messages.po; no app, no database. Swedish is the
source language (the msgids), so it needs no catalogue.

The extraction below passes ngettext as `ngettext:1,2`. A bare `-k ngettext` on the pybabel command
line replaces babel's default spec with "first argument only", which drops msgid_plural from the .pot;
the English catalogue then has a singular entry that ngettext() never finds at run time.
"""
import gettext
import io
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"

# The marker functions the code uses, on top of babel's defaults (_, gettext, ngettext, pgettext...).
KEYWORDS = ["_l", "lazy_gettext", "_", "gettext", "ngettext:1,2", "lazy_ngettext:1,2"]

HOW_TO_FIX = (
    "Run `make messages` (pybabel extract + update), then translate the entries in "
    "translations/en/LC_MESSAGES/messages.po (remove any `#, fuzzy` flag once checked) and run "
    "`make translations`."
)

# A printf-style conversion as Python's % operator reads it: %(name)s, %(max)d, %s, %5.2f, %%.
CONVERSION = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])")


def load_po():
    with PO_FILE.open("rb") as f:
        return read_po(f, abort_invalid=True)


def extract(tmp_path: Path):
    """Run `pybabel extract` over the project, as `make messages` does, and return the catalogue."""
    pot = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
               "-o", str(pot)]
    for keyword in KEYWORDS:
        command += ["-k", keyword]
    done = subprocess.run(command + ["."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"pybabel extract failed:\n{done.stderr}"
    with pot.open("rb") as f:
        return read_po(f)


def forms(message) -> list[str]:
    """The msgstr forms of a message: one for a plain entry, one per plural form for ngettext."""
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string]


def where(message) -> str:
    places = ", ".join(f"{path}:{line}" for path, line in message.locations[:3])
    more = f" (+{len(message.locations) - 3} more)" if len(message.locations) > 3 else ""
    return f"  ({places}{more})" if places else ""


def describe(message) -> str:
    if message.pluralizable:
        return f"ngettext({message.id[0]!r}, {message.id[1]!r})"
    return repr(message.id)


def placeholders(text: str) -> tuple[set[str], int]:
    """The conversions in `text` (without the literal %%) and how many lone % signs it has."""
    found = {m.group(0) for m in CONVERSION.finditer(text) if m.group("type") != "%"}
    stray = CONVERSION.sub("", text).count("%")
    return found, stray


def test_every_interface_string_has_an_english_translation(tmp_path):
    extracted = extract(tmp_path)
    english = load_po()
    nplurals = english.num_plurals

    problems = []
    for message in extracted:
        if not message.id:  # the header
            continue
        entry = english.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing:       {describe(message)}{where(message)}")
        elif message.pluralizable and not entry.pluralizable:
            problems.append(f"no plural:     {describe(message)}{where(message)}: the catalogue has it "
                            f"without msgid_plural, so ngettext() will not find it "
                            f"(extract with -k ngettext:1,2, not a bare -k ngettext)")
        elif entry.pluralizable and not message.pluralizable:
            problems.append(f"not plural:    {describe(message)}{where(message)}: the code uses gettext, "
                            f"the catalogue has a plural entry, which gettext() will not find")
        elif entry.fuzzy:
            problems.append(f"fuzzy:         {describe(message)}{where(message)}")
        elif entry.pluralizable and len(forms(entry)) != nplurals:
            problems.append(f"plural forms:  {describe(message)}{where(message)}: "
                            f"{len(forms(entry))} msgstr forms, Plural-Forms says {nplurals}")
        elif not all(form.strip() for form in forms(entry)):
            problems.append(f"untranslated:  {describe(message)}{where(message)}")

    assert not problems, (
        f"{len(problems)} interface string(s) lack an English translation in "
        f"{PO_FILE.relative_to(ROOT)}:\n" + "\n".join(problems) + "\n" + HOW_TO_FIX)


def test_placeholders_match_between_swedish_and_english():
    problems = []
    for message in load_po():
        if not message.id:
            continue
        if message.pluralizable:
            source = placeholders(message.id[0])[0] | placeholders(message.id[1])[0]
            source_stray = placeholders(message.id[0])[1] + placeholders(message.id[1])[1]
        else:
            source, source_stray = placeholders(message.id)
        for i, form in enumerate(forms(message)):
            if not form:  # untranslated: the test above reports it
                continue
            label = f"{describe(message)}" + (f" msgstr[{i}]" if message.pluralizable else "")
            found, stray = placeholders(form)
            if found != source:
                problems.append(f"{label}: Swedish has {sorted(source)}, English has {sorted(found)}")
            if stray and not source_stray:
                # Templates format every _() result with %, so a lone % raises at render time.
                problems.append(f"{label}: a lone % in {form!r} (write %% for a literal percent sign)")

    assert not problems, "Placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_english_catalogue_declares_its_language_and_plural_rule():
    english = load_po()
    assert str(english.locale) == "en", f"Language header is {english.locale!r}, expected en"
    assert english.num_plurals == 2 and english.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1"), (
        f"Plural-Forms is {english.plural_forms!r}, expected nplurals=2; plural=(n != 1);")


def test_english_catalogue_compiles():
    english = load_po()
    errors = [f"{describe(message)}: {error}" for message, errs in english.check() for error in errs]
    assert not errors, "babel's catalogue check reports:\n" + "\n".join(errors)

    mo = io.BytesIO()
    write_mo(mo, english)
    mo.seek(0)
    compiled = gettext.GNUTranslations(mo)

    # The compiled file answers with the English text, plural entries included.
    wrong = []
    for message in english:
        if not message.id or message.fuzzy or not all(forms(message)):
            continue
        if message.pluralizable and message.context:
            got = [compiled.npgettext(message.context, message.id[0], message.id[1], n) for n in (1, 2)]
        elif message.pluralizable:
            got = [compiled.ngettext(message.id[0], message.id[1], n) for n in (1, 2)]
        elif message.context:
            got = [compiled.pgettext(message.context, message.id)]
        else:
            got = [compiled.gettext(message.id)]
        want = forms(message)[:2]
        if got != want:
            wrong.append(f"{describe(message)}: compiled gives {got!r}, catalogue says {want!r}")
    assert not wrong, "The compiled catalogue does not translate:\n" + "\n".join(wrong)
