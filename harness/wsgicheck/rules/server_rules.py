"""Server rules: what a server does with the app (close, framing, start_response...).

They live in seven modules, by what they look at; importing this one registers them all:

* :mod:`.server_calls`: invoking the app, start_response, the iterable and its close();
* :mod:`.server_start_response`: what start_response checks, and exc_info;
* :mod:`.server_file_wrapper`: wsgi.file_wrapper;
* :mod:`.server_streams`: wsgi.input and wsgi.errors;
* :mod:`.server_head`: the head on the wire (Date, the app's fields kept, framing) and the
  answer to an app that failed;
* :mod:`.server_body`: the body on the wire (Content-Length, write(), bytes unchanged, no
  body for HEAD/204/304);
* :mod:`.server_probe`: what only ``wsgicheck probe``'s client sees (a block held back,
  100 Continue, what a file wrapper sent).

Every one reads evidence, not its source (:mod:`.server_evidence`): wsgicheck's own
transports, :func:`wsgicheck.validator` under a foreign server, or a probe. A rule whose
evidence an exchange lacks does not apply to it (skipped, not passed).
"""

from __future__ import annotations

# isort: off
# Registration order is report order: the calls first, the wire last.
from . import server_calls, server_start_response, server_file_wrapper
from . import server_streams, server_head, server_body, server_probe

# isort: on

MODULES = (
    server_calls,
    server_start_response,
    server_file_wrapper,
    server_streams,
    server_head,
    server_body,
    server_probe,
)
