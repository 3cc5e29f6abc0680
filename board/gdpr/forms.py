from board.forms import RetentionFields, TavlanForm


class WallRetentionForm(RetentionFields, TavlanForm):
    """A wall's retention period and what happens when it is over."""
