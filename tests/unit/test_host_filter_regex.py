"""regex/iregex: the part of RE2 syntax every store runs alike, its refusals, and RE2's case folding as rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import (
    _cased_table,
    _orbit,
    compile_regex,
    postgresql_regex,
)


@pytest.mark.parametrize('text, why', [
    ('name__regex="\\pL"', 'Unicode classes (\\p) are not supported'),
    ('name__iregex="a\\PL"', 'Unicode classes (\\P) are not supported'),
    ('name__regex="[\\p{Greek}a]"', 'Unicode classes (\\p) are not supported'),
    ('ansible_facts__a__regex="\\C"', '\\C (any byte) is not supported'),
    ('variables__a__regex="a{256}"', 'repetition count 256 is above 255, the most PostgreSQL takes'),
    ('groups__name__regex="(ab){1,1000}"', 'repetition count 1000 is above 255'),
])
def test_what_postgresql_cannot_run_alike_is_refused_on_every_store(text, why):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    message = str(err.value)
    assert message.startswith('host_filter: unsupported regular expression '), message
    assert why in message and 'docs/host_filter.md "Regular expressions"' in message, message
    assert message.endswith('at column %d' % (text.index('=') + 2)), message


def test_the_documented_message():
    with pytest.raises(HostFilterError) as err:
        parse_host_filter('name__regex="a{256}"')
    doc = (Path(__file__).resolve().parents[2] / 'docs' / 'host_filter.md').read_text()
    assert '`%s`' % err.value in doc


@pytest.mark.parametrize('pattern', [
    '\\d+', '\\w', '\\s', '\\bweb\\b', '\\Bx', '\\Aweb', 'web\\z', '[[:alpha:]]', '[[:^digit:]]', '(?i)web', 'a(?i)b',
    '(?i:a)b', '(?s).', '(?m)^web$', '(?U)a+', 'a*?', '(?P<n>a)', '\\Qa.b\\E', '\\x{1F600}', '\\101', 'a{255}', 'a{2,255}',
])
def test_the_documented_syntax_is_accepted(pattern):
    parse_host_filter('name__regex="%s"' % pattern)
    parse_host_filter('name__iregex="%s"' % pattern)


def test_rewriting_examples():
    assert postgresql_regex('^web[0-9]+$', False) == '(?:^)web[0-9]+(?:$)'
    assert postgresql_regex('k', True) == '[Kk\\U0000212A]'
    assert postgresql_regex('a.b', False) == 'a[^\\U0000000A]b'
    assert postgresql_regex('[^a]', False) == '[^a]'
    assert postgresql_regex('(?i)[^k]', False) == '[^Kk\\U0000212A]'
    assert postgresql_regex('(a)|b', False) == '(?:a)|b'
    assert postgresql_regex('\\d', False) == '[0-9]'
    assert postgresql_regex('\\s', False) == '[\\U00000009-\\U0000000A\\U0000000C-\\U0000000D\\U00000020]'


def test_case_folding_is_re2s_for_every_cased_character():
    """The rewritten case folding (``_orbit``) is exactly the set RE2 matches with case ignored.

    RE2 folds within the orbits built from Python's case mappings (checked for
    each of those characters), and folds no other character into them.
    """
    cased, orbits = _cased_table()
    for cp in sorted(set(cased) | set(range(0x80))):
        candidates = orbits.get(cp, frozenset((cp,))) | {ord(c) for c in (chr(cp).lower(), chr(cp).upper()) if len(c) == 1}
        rx = compile_regex('^\\x{%x}$' % cp, True)
        assert _orbit(cp) == {c for c in candidates if rx.search(chr(c))}, hex(cp)
    every = compile_regex('^[%s]$' % ''.join('\\x{%x}' % cp for cp in cased), True)
    known = set(cased)
    strays = [hex(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and cp not in known and every.search(chr(cp))]
    assert not strays
