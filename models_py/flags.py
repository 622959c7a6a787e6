"""How a yes/no setting given as a dbt var is read, in one place.

``--vars '{segment_retrain: true}'`` arrives as a bool, ``--vars 'segment_retrain: "yes"'`` or
an environment variable as text; the CLI (which decides whether to start the training child
early) and the segment model (which decides whether to train) must read the same value the
same way, or the CLI would prepare a training that the model then skips.
"""

from __future__ import annotations

TRUE_WORDS = ("true", "1", "yes")


def is_true(value: object) -> bool:
    """True for True, 1 and the words in ``TRUE_WORDS`` (any case, spaces around); else
    False (False, None, '', 'no', ...)."""
    return str(value if value is not None else "").strip().lower() in TRUE_WORDS
