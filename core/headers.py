"""Security headers on every response: no injected script runs, no other site frames a page.

Core's and the plugins' templates load scripts from files only; the few inline scripts of
Flask-Admin's own templates carry this request's nonce (`Admin(csp_nonce_generator=nonce)`),
so no other <script> runs. Flask-Admin's templates also use inline event handlers (the
delete confirmation, `onclick="return faHelpers.safeConfirm(...)"`), so handler attributes
stay allowed (`script-src-attr`); without them a delete would skip its confirmation.
Styles stay allowed inline (Flask-Admin's widgets set them).
HTTPS is the proxy's business: HSTS is sent only when `WUGUAN_HTTPS` says the site is
served over it, and nothing here redirects.
"""
import secrets

from flask import g

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "script-src-elem 'self' 'nonce-{nonce}'",
    "script-src-attr 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def nonce():
    """This request's script nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app):
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", POLICY.format(nonce=nonce()))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("WUGUAN_HTTPS"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
