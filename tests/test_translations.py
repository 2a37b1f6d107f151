import re
from collections import Counter

import polib
from django.conf import settings
from django.utils import translation

PO_PATH = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Named and positional printf placeholders; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
# Half-width punctuation right next to a Chinese character: Chinese text uses ，。：；？！ instead.
HALF_WIDTH_NEXT_TO_CHINESE = re.compile(r"[\u4e00-\u9fff][,.:;?!]|[,:;?!][\u4e00-\u9fff]")


def _entries():
    return [e for e in polib.pofile(str(PO_PATH)) if not e.obsolete]


def _placeholders(text):
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


def _translations(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def _offenders(entries, limit=5):
    return "; ".join(repr(e.msgid) for e in entries[:limit])


class TranslationTests:
    def test_the_catalogue_declares_chinese_with_a_single_plural_form(self):
        po = polib.pofile(str(PO_PATH))

        assert po.metadata["Language"] == "zh_Hans"
        assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
        assert "charset=UTF-8" in po.metadata["Content-Type"]
        assert not po.metadata_is_fuzzy

    def test_no_message_is_defined_twice(self):
        # Branches merge this file by union (.gitattributes); two of them adding the same string
        # leave a duplicate, which msgmerge (makemessages) refuses as a fatal error.
        counts = Counter((e.msgctxt, e.msgid) for e in _entries())
        duplicates = [msgid for (_, msgid), n in counts.items() if n > 1]

        assert not duplicates, f"defined more than once: {duplicates[:5]}"

    def test_every_entry_is_translated(self):
        untranslated = [e for e in _entries() if not all(_translations(e))]

        assert not untranslated, f"{len(untranslated)} untranslated, e.g. {_offenders(untranslated)}"

    def test_no_entry_is_fuzzy(self):
        fuzzy = [e for e in _entries() if "fuzzy" in e.flags]

        assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {_offenders(fuzzy)}"

    def test_every_translation_keeps_the_placeholders_of_its_source(self):
        mismatched = [
            e
            for e in _entries()
            for msgstr in _translations(e)
            if msgstr and _placeholders(msgstr) != _placeholders(e.msgid_plural or e.msgid)
        ]

        assert not mismatched, f"{len(mismatched)} with other placeholders, e.g. {_offenders(mismatched)}"

    def test_chinese_text_uses_full_width_punctuation(self):
        half_width = [
            e for e in _entries() for msgstr in _translations(e) if HALF_WIDTH_NEXT_TO_CHINESE.search(msgstr)
        ]

        assert not half_width, f"{len(half_width)} with half-width punctuation, e.g. {_offenders(half_width)}"

    def test_the_site_serves_the_catalogue_in_chinese(self):
        # `make setup` and `make test` compile the catalogue; a stale .mo would serve English here.
        singles = [e for e in _entries() if not e.msgid_plural and e.msgstr]
        with translation.override("zh-hans"):
            wrong = [
                e
                for e in singles
                if (translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt else translation.gettext(e.msgid))
                != e.msgstr
            ]

        assert singles
        assert not wrong, f"{len(wrong)} not served as in the .po, e.g. {_offenders(wrong)}"
