"""The one error the media library raises."""

from cctui.errors import CctuiError


class MediaError(CctuiError):
    """A media step that cannot be done; the message tells a creator what is wrong and with which file."""
