"""Built-in functions an app may register (``app.function(http_request)``) and compose.

None runs unless the app registers it: a worker serves only the functions its app
lists, so a client cannot invoke, say, the HTTP function the app never exposed.
"""

from functions.builtins.email import SendEmailInput, SendEmailOutput, send_email
from functions.builtins.http import HttpRequest, HttpResponse, http_request
from functions.builtins.items import WriteItemInput, WriteItemOutput, write_item

__all__ = [
    "HttpRequest",
    "HttpResponse",
    "SendEmailInput",
    "SendEmailOutput",
    "WriteItemInput",
    "WriteItemOutput",
    "http_request",
    "send_email",
    "write_item",
]
