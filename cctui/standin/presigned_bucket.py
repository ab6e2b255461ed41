"""Leonardo's init-image upload: `POST /init-image` hands out an S3-style presigned POST form,
and `POST /_bucket/upload` (the form's `url`) plays the bucket that receives it.

The form's `fields` (a JSON *string*, as Leonardo sends it) carry `key`, `Content-Type`,
`bucket`, `X-Amz-*` and a base64 `Policy` signed with an HMAC. The bucket answers `204` with an
empty body, and refuses like S3 would, with an XML `<Error>` body:

- 403 `AccessDenied` when an `Authorization` header is sent (presigned forms carry their own
  signature; the Leonardo key must never go to the bucket);
- 403 when a field of the form is missing, altered, or an unexpected extra field is sent
  (fields after the `file` part are ignored, as S3 does, so `file` must come last);
- 403 "Policy expired" when the form is older than `StandIn.upload_expiry_seconds` (120 s);
- 403 when the file is not a real png / jpeg / webp image (a stand-in check: Leonardo would fail
  later when it processes the image);
- 400 without a `file` part, or when the body is not multipart/form-data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from .errors import RouteError, leonardo_invalid
from .http_layer import BadRequestBody, Request, Response
from .media_factory import image_info

if TYPE_CHECKING:
    from .http_server import Router
    from .server import StandIn

BUCKET = "standin-leonardo-uploads"
USER_ID = "5d7b6c1e-0000-4000-8000-standin00001"
EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
IMAGE_FORMATS = {"png", "jpeg", "webp"}
UPLOAD_PATH = "/_bucket/upload"


def register(router: "Router", leonardo_prefix: str) -> None:
    router.add("POST", leonardo_prefix + "/init-image", init_image)
    router.add("POST", UPLOAD_PATH, upload)


def s3_error(status: int, code: str, message: str) -> RouteError:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId><HostId>standin</HostId></Error>")
    return RouteError(Response.raw(status, body.encode("utf-8"), "application/xml"))


def _sign(secret: str, policy: str) -> str:
    return hmac.new(secret.encode("utf-8"), policy.encode("ascii"), hashlib.sha256).hexdigest()


def init_image(srv: "StandIn", req: Request) -> Response:
    body = req.json()
    extension = body.get("extension") if isinstance(body, dict) else None
    if not isinstance(extension, str) or extension.lower() not in EXTENSIONS:
        raise leonardo_invalid(f"extension must be one of {', '.join(EXTENSIONS)}; got {extension!r}",
                               "$.extension")
    extension = extension.lower()
    image_id = str(uuid.uuid4())
    key = f"{USER_ID}/initImages/{image_id}.{extension}"
    now = time.time()
    expires = now + srv.upload_expiry_seconds
    stamp = datetime.fromtimestamp(now, timezone.utc)
    expiration = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    credential = f"STANDINACCESSKEY/{stamp:%Y%m%d}/us-east-1/s3/aws4_request"
    conditions: list[Any] = [{"Content-Type": EXTENSIONS[extension]}, {"bucket": BUCKET},
                             {"X-Amz-Algorithm": "AWS4-HMAC-SHA256"}, {"X-Amz-Credential": credential},
                             {"X-Amz-Date": f"{stamp:%Y%m%dT%H%M%SZ}"}, {"key": key},
                             ["content-length-range", 1, 20 * 1024 * 1024]]
    policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
    fields = {"Content-Type": EXTENSIONS[extension], "bucket": BUCKET, "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
              "X-Amz-Credential": credential, "X-Amz-Date": f"{stamp:%Y%m%dT%H%M%SZ}", "key": key,
              "Policy": policy, "X-Amz-Signature": _sign(srv.state.secret, policy)}
    srv.state.add_init_image({"id": image_id, "key": key, "extension": extension, "created": now,
                              "expires": expires, "fields": fields, "uploaded": False, "file": None})
    return Response.json(200, {"uploadInitImage": {
        "__typename": "UploadInitImageOutput", "id": image_id, "fields": json.dumps(fields), "key": key,
        "url": req.base_url + UPLOAD_PATH}})


def _lookup(fields: dict[str, str], name: str) -> str | None:
    for key, value in fields.items():
        if key.lower() == name.lower():
            return value
    return None


def upload(srv: "StandIn", req: Request) -> Response:
    if req.header("authorization"):
        raise s3_error(403, "AccessDenied", "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                                            "parameter, Signature query string parameter or the Authorization "
                                            "header should be specified")
    try:
        parts = req.parts()
    except BadRequestBody as exc:
        raise s3_error(400, "MalformedPOSTRequest", f"The body of your POST request is not well-formed "
                                                    f"multipart/form-data. ({exc})") from None
    fields: dict[str, str] = {}
    file_part = None
    for part in parts:
        if part.name == "file":
            file_part = part
            break  # S3 ignores every field after the file
        fields[part.name] = part.text
    if file_part is None:
        raise s3_error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    key = _lookup(fields, "key")
    if key is None:
        raise s3_error(403, "AccessDenied", "Bucket POST must contain a field named 'key'.  If it is specified, "
                                            "please check the order of the fields.")
    record = srv.state.init_image_by_key(key)
    if record is None:
        raise s3_error(403, "AccessDenied", f'Invalid according to Policy: Policy Condition failed: '
                                            f'["eq", "$key", "{key}"]')
    expected: dict[str, str] = record["fields"]
    for name, value in expected.items():
        got = _lookup(fields, name)
        if got is None:
            raise s3_error(403, "AccessDenied", f"Bucket POST must contain a field named '{name}'.  If it is "
                                                "specified, please check the order of the fields.")
        if name in ("Policy", "X-Amz-Signature"):
            if not hmac.compare_digest(_sign(srv.state.secret, _lookup(fields, "Policy") or ""),
                                       _lookup(fields, "X-Amz-Signature") or ""):
                raise s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                                                             "the signature you provided.")
        if got != value:
            raise s3_error(403, "AccessDenied", f'Invalid according to Policy: Policy Condition failed: '
                                                f'["eq", "${name}", "{value}"]')
    extra = [name for name in fields if _lookup(expected, name) is None]
    if extra:
        raise s3_error(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    if time.time() > float(record["expires"]):
        raise s3_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    info = image_info(file_part.data)
    if info is None or info[0] not in IMAGE_FORMATS:
        raise s3_error(403, "AccessDenied", "Invalid according to Policy: the uploaded file is not a png, jpeg or "
                                            "webp image (stand-in check).")
    path = srv.state.inputs_dir / "leonardo" / f"{record['id']}.{record['extension']}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(file_part.data)
    srv.state.update_init_image(record["id"], uploaded=True, file=str(path.relative_to(srv.data_dir)),
                                width=info[1][0], height=info[1][1])
    etag = hashlib.md5(file_part.data).hexdigest()  # noqa: S324 - an S3 ETag, not security
    return Response(204, b"", {"etag": f'"{etag}"', "location": f"{req.base_url}{UPLOAD_PATH}/{key}"})
