"""Counts and durations in words, for the messages of an import and a sync."""

# Nouns whose plural is not the noun and an "s".
PLURALS = {"spacecraft": "spacecraft", "retry": "retries", "status": "statuses"}


def plural_of(noun):
    if noun in PLURALS:
        return PLURALS[noun]
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"  # family, agency
    return noun + "s"


def count(number, noun):
    """``number`` and ``noun``, in the plural unless it is one: "1 page", "1,200 pages"."""
    return f"{number:,} {noun if number == 1 else plural_of(noun)}"


def seconds(value):
    """A duration for people: 0.25s, 42s, 3m 05s, 1h 02m."""
    if value < 10:
        return f"{value:.2f}s" if value < 1 else f"{value:.1f}s"
    value = round(value)
    if value < 60:
        return f"{value}s"
    if value < 3600:
        return f"{value // 60}m {value % 60:02d}s"
    return f"{value // 3600}h {value % 3600 // 60:02d}m"
