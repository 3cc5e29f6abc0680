"""The login session cookie: Secure whenever the request came over HTTPS."""
from flask import request
from flask.sessions import SecureCookieSessionInterface


class SecureSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        # Behind a TLS-terminating proxy, request.is_secure is right once ProxyFix is on
        # (TAVLAN_BEHIND_PROXY=1). SESSION_COOKIE_SECURE forces it on regardless.
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
