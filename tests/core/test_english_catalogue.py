"""The English interface is whole: every string marked for translation in the code and templates has an English
text in the catalogue, none is fuzzy (a guess gettext would not use), and the compiled catalogue is current.

The strings are extracted the way a translator does (`makemessages`), from a copy of the package, so the check
needs nothing but gettext (installed by .ci/run) and leaves the working tree alone.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

import fangkong

ROOT = Path(fangkong.__file__).parent
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES"

pytestmark = pytest.mark.skipif(shutil.which("msgattrib") is None, reason="gettext is not installed")


def msgids(po: Path, *flags) -> list[str]:
    out = subprocess.run(["msgattrib", *flags, "--no-wrap", str(po)], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    return [line[len('msgid "'):-1] for line in lines if line.startswith('msgid "') and line != 'msgid ""']


def test_every_string_of_the_code_has_an_english_text(tmp_path, monkeypatch):
    copy = tmp_path / "fangkong"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("static", "media", "__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)
    extracted = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    missing = msgids(extracted, "--untranslated") + msgids(extracted, "--only-fuzzy")
    assert missing == [], "run `manage.py makemessages -l en` and write the English for these"


def test_the_catalogue_is_compiled_and_its_formats_match(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True)
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run `manage.py compilemessages`"


def test_pages_format_dates_by_language():
    """A literal 'n月j日' would show 12月3日 on the English pages: templates name a format of fangkong/formats."""
    literal = [f"{path.relative_to(ROOT)}:{number}" for path in ROOT.rglob("*.html")
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r'date:"[^"]*[年月日]', line)]
    assert literal == [], 'use date:"MONTH_DAY_FORMAT", "DATE_FORMAT" or "SHORT_DATETIME_FORMAT"'
