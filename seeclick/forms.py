"""Form helpers shared by every domain's forms."""

from wtforms import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]
