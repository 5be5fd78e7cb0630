"""Schemathesis hooks for `make test`'s run against the functions under `cargo lambda watch`.

The emulator cannot carry a request body that is not valid UTF-8: it answers such a request
with its own 500 before any function runs. On AWS, API Gateway and function URLs deliver such
a body base64-encoded, and the functions answer it with a 400, which the end-to-end tests check
through the lambda_http entry point (tests/e2e/availability.rs). So only those bodies are left
out here; every other generated request, valid or not, is sent.
"""

import json

import schemathesis


def _is_utf8(body):
    try:
        if isinstance(body, (bytes, bytearray)):
            bytes(body).decode("utf-8")
        elif isinstance(body, str):
            body.encode("utf-8")
        else:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, TypeError, ValueError):
        return False
    return True


@schemathesis.hook
def filter_body(ctx, body):
    return _is_utf8(body)
