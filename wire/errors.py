"""Protocol errors: a code for programs and a Chinese message for tellers and customers."""


class ProtocolError(ValueError):
    """A message that does not follow the wire protocol.

    Attributes:
        code: stable machine-readable code (``malformed_json``, ``too_large``, ``invalid_message``...).
        message: explanation in Chinese, safe to show to a teller or customer.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
