"""The one error the media library raises."""


class MediaError(Exception):
    """A media step that cannot be done; the message tells a creator what is wrong and with which file."""
