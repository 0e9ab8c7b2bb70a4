import enum

__all__ = ["ConsumeResult", "TransactionResolution"]


class ConsumeResult(enum.Enum):
    """What a push consumer's listener decided about a message."""

    SUCCESS = "SUCCESS"
    """Consumed: the message is acknowledged."""
    FAILURE = "FAILURE"
    """Not consumed: the message is delivered again later (after the group's retry delay)."""


class TransactionResolution(enum.Enum):
    """A transaction checker's answer about a half message."""

    COMMIT = "COMMIT"
    """Make the message visible to consumers."""
    ROLLBACK = "ROLLBACK"
    """Drop the message."""
    UNKNOWN = "UNKNOWN"
    """Not known yet: the broker asks again later."""
