"""Finding the neighbourhood an address names: the city ships no street addresses, but its neighbourhoods' names
are what people write ("…, Park Slope, Brooklyn"). Pure: no app, no database."""

import re
from collections.abc import Iterable

# A word after a place's name that makes it a street ("Flatbush Ave", "Bedford Avenue"), not the neighbourhood.
STREET_WORDS = frozenset("""
    ave avenue av st street rd road blvd boulevard pkwy parkway pl place ln lane dr drive ct court expy expressway
    hwy highway tpke turnpike plaza sq square way walk loop crescent cres alley bridge tunnel station
""".split())
PARENTHESIS = re.compile(r"\s*\(([^)]*)\)")


def words(text: str) -> list[str]:
    """Lower-case words and numbers, punctuation dropped: "Prince's Bay" is "prince s bay"."""
    return re.findall(r"[0-9a-z]+", text.lower())


def phrases(name: str) -> set[tuple[str, ...]]:
    """The ways an address may name this neighbourhood: its whole name, each place it joins with a dash
    ("Carroll Gardens-Cobble Hill-..."), each with and without its qualifier ("Crown Heights (North)")."""
    forms = {name}
    for part in [name, *name.split("-")]:
        forms.add(part)
        forms.add(PARENTHESIS.sub("", part))  # "Crown Heights" names both of its halves
    return {tuple(words(form)) for form in forms if words(form)}


def _found_in(address: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    for start in range(len(address) - n + 1):
        if tuple(address[start:start + n]) == phrase:
            after = address[start + n] if start + n < len(address) else ""
            if after not in STREET_WORDS:
                return True
    return False


def named_in(address: str, neighbourhoods: Iterable[tuple[str, str]]) -> list[str]:
    """The codes of the neighbourhoods `address` names most precisely (most words matched); several when it is
    ambiguous, none when it names none. `neighbourhoods` are (code, name) pairs."""
    address_words = words(address)
    best, found = 0, []
    for code, name in neighbourhoods:
        score = max((len(p) for p in phrases(name) if _found_in(address_words, p)), default=0)
        if score > best:
            best, found = score, [code]
        elif score and score == best:
            found.append(code)
    return found
