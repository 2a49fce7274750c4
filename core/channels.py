"""Delivery channels: email (SMTP, or files in the instance folder), SMS (`core.sms`) and the in-app inbox.

A channel's `send(message)` raises on failure; the outbox retries. Every message
carries a Message-ID made from its outbox row, so a receiver can tell a repeat.
"""
from dataclasses import dataclass, field
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate
import os
from pathlib import Path
import smtplib
import threading
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db
from .contract import Channel
from .plugins import host
from .sms import send_sms


@dataclass(frozen=True)
class Message:
    """What a channel receives: one outbox row, rendered, with its attachments."""
    outbox_id: int
    message_id: str
    channel: str
    recipient: str
    subject: str
    body: str
    attachments: list = field(default_factory=list)  # (filename, mime type, bytes)


def message_id(outbox_id):
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    return f"<wuguan.outbox.{outbox_id}@{domain}>"


def mail_folder():
    return Path(current_app.instance_path) / "mail"


def _email(message):
    """The mail's bytes, with CRLF line ends as SMTP sends them. Built from the compat32 MIME
    classes: the modern `EmailMessage` parses every header it is given, which cost more than
    all the rest of a reminder's delivery."""
    body = MIMEText(message.body, "plain", "utf-8")
    mail = MIMEMultipart(_subparts=[body]) if message.attachments else body
    for filename, mime, data in message.attachments:
        part = MIMEBase(*mime.split("/", 1))
        part.set_payload(data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
        mail.attach(part)
    mail["Message-ID"] = message.message_id
    mail["From"] = current_app.config["MAIL_FROM"]
    mail["To"] = message.recipient
    mail["Subject"] = Header(message.subject, "utf-8")
    mail["Date"] = formatdate(localtime=True)
    return mail.as_bytes(policy=_WIRE)


_WIRE = compat32.clone(linesep="\r\n")


def send_email(message):
    """SMTP when MAIL_SERVER is set; otherwise a .eml file per outbox row, for the embedded default."""
    mail = _email(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = mail_folder()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{message.outbox_id}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(mail)
        os.replace(partial, target)
        return
    _SMTP.send(config["MAIL_FROM"], message.recipient, mail)


class _SmtpConnection(threading.local):
    """One SMTP connection per worker process (and thread), kept open across messages and tasks.

    Connecting, EHLO, STARTTLS and AUTH cost more than sending a reminder. A connection
    idle for a while is asked NOOP before it is trusted again, since servers drop idle
    clients; a send that fails drops the connection, and the outbox retries the message
    later on a new one (never here, so a mail the server may have taken is not repeated).
    """
    IDLE_SECONDS = 5

    smtp = settings = None
    used_at = 0.0

    def send(self, sender, recipient, mail):
        smtp = self._open()
        try:
            smtp.sendmail(sender, [recipient], mail)
        except BaseException:
            self._drop(smtp)
            raise
        self.used_at = time.monotonic()

    def _open(self):
        config = current_app.config
        settings = tuple(config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME",
                                                  "MAIL_PASSWORD"))
        if self.smtp is not None and (settings != self.settings or not self._alive()):
            self._drop(self.smtp)
        if self.smtp is None:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
            try:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            except BaseException:
                smtp.close()
                raise
            self.smtp, self.settings = smtp, settings
        return self.smtp

    def _alive(self):
        if time.monotonic() - self.used_at < self.IDLE_SECONDS:
            return True
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _drop(self, smtp):
        self.smtp = None
        smtp.close()


_SMTP = _SmtpConnection()


def read_mail(outbox_id):
    """The mail the embedded default wrote for an outbox row (for the admin to show), or None."""
    from email import message_from_bytes
    from email.policy import default as email_policy
    path = mail_folder() / f"{int(outbox_id)}.eml"
    return message_from_bytes(path.read_bytes(), policy=email_policy) if path.exists() else None


def send_inbox(message):
    """Into a staffer's inbox (recipient is a username), in the delivery's own transaction."""
    from .models import InboxItem, Staff
    staff_id = db.session.scalar(select(Staff.id).where(Staff.username == message.recipient))
    if staff_id is None:
        raise LookupError(f"no staff user {message.recipient!r}")
    db.session.add(InboxItem(staff_id=staff_id, outbox_id=message.outbox_id, subject=message.subject,
                             body=message.body))


CORE_CHANNELS = [
    Channel(key="email", title=_l("电子邮件"), send=send_email),
    Channel(key="inbox", title=_l("站内消息"), send=send_inbox),
    Channel(key="sms", title=_l("短信"), send=send_sms),
]


def channels():
    """Every channel by key: core's, then the plugins'; a plugin cannot replace core's."""
    found = {c.key: c for c in CORE_CHANNELS}
    for channel in host().collect("wuguan_channels"):
        if not isinstance(channel, Channel):
            raise TypeError(f"wuguan_channels returned {channel!r}, not a Channel")
        found.setdefault(channel.key, channel)
    return found
