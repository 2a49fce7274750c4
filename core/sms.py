"""Text messages to members' mobiles: one provider adapter behind settings, Alibaba Cloud SMS's `SendSms`.

Without `WUGUAN_SMS_PROVIDER` a message is written into the instance folder (`sms/<outbox id>.txt`),
readable and sent nowhere, as the embedded mail is. A provider's refusal raises `SmsError` with its
error code, so the outbox retries and finally shows the code to staff. Whatever a template put in
it, a full 身份证 number never leaves in a text message: it is masked before the message is built.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from pathlib import Path
import urllib.error
import urllib.parse
import urllib.request
import uuid

from flask import current_app

from . import privacy

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TIMEOUT_SECONDS = 30


class SmsError(RuntimeError):
    """The provider refused the message; `code` is the provider's own error code."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


def text(message):
    """The one text a member receives: subject and body on one line, 身份证 numbers masked."""
    content = " ".join(f"{message.subject}：{message.body}".split())
    return privacy.mask_id_numbers(content)


def sms_folder():
    return Path(current_app.instance_path) / "sms"


def send_sms(message):
    """The configured provider, or a file per outbox row for the embedded default."""
    provider = current_app.config.get("WUGUAN_SMS_PROVIDER")
    if not provider:
        folder = sms_folder()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{message.outbox_id}.txt"
        partial = target.with_suffix(".txt.part")
        partial.write_text(f"To: {message.recipient}\n\n{text(message)}\n", encoding="utf-8")
        os.replace(partial, target)
        return
    if provider not in PROVIDERS:
        raise ValueError(f"WUGUAN_SMS_PROVIDER={provider!r} is not one of {', '.join(PROVIDERS)}")
    PROVIDERS[provider](message)


def read_sms(outbox_id):
    """The text the embedded default wrote for an outbox row, or None."""
    path = sms_folder() / f"{int(outbox_id)}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


# -- Alibaba Cloud SMS (dysmsapi 2017-05-25), RPC signature version 1.0 --------------------------------
def _encode(value):
    """RFC 3986 percent-encoding as the RPC signature wants it (space %20, * %2A, ~ kept)."""
    return urllib.parse.quote(str(value), safe="~")


def aliyun_signature(method, params, secret):
    """Base64 HMAC-SHA1, keyed by the secret and "&", of METHOD&%2F&encoded(sorted, encoded query)."""
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_encode('/')}&{_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_params(message, config, now=None, nonce=None):
    """SendSms's parameters: the approved template `WUGUAN_SMS_TEMPLATE_CODE` gets the text as ${content}."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return {
        "AccessKeyId": config["WUGUAN_SMS_ACCESS_KEY_ID"],
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": str(message.outbox_id),
        "PhoneNumbers": message.recipient,
        "RegionId": "cn-hangzhou",
        "SignName": config["WUGUAN_SMS_SIGN_NAME"],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": config["WUGUAN_SMS_TEMPLATE_CODE"],
        "TemplateParam": json.dumps({"content": text(message)}, ensure_ascii=False),
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }


def send_aliyun(message):
    config = current_app.config
    missing = [k for k in ("WUGUAN_SMS_ACCESS_KEY_ID", "WUGUAN_SMS_ACCESS_KEY_SECRET", "WUGUAN_SMS_SIGN_NAME",
                           "WUGUAN_SMS_TEMPLATE_CODE") if not config.get(k)]
    if missing:
        raise ValueError(f"SMS provider aliyun needs {', '.join(missing)}")
    params = aliyun_params(message, config)
    params["Signature"] = aliyun_signature("POST", params, config["WUGUAN_SMS_ACCESS_KEY_SECRET"])
    request = urllib.request.Request(config.get("WUGUAN_SMS_ENDPOINT") or ALIYUN_ENDPOINT,
                                     data=urllib.parse.urlencode(params).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read()
    except urllib.error.HTTPError as exc:  # signature and parameter errors come as 4xx with a JSON body
        answer = exc.read()
    try:
        result = json.loads(answer)
    except ValueError:
        raise SmsError("BadResponse", answer[:200].decode("utf-8", "replace")) from None
    if result.get("Code") != "OK":
        raise SmsError(result.get("Code", "Unknown"), result.get("Message", ""))


PROVIDERS = {"aliyun": send_aliyun}
