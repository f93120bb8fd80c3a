"""django-axes' login lockout, for logins that come with a request.

Every login over HTTP (the admin's form) carries its request, which axes needs for the
client's address. Code that authenticates without one (a management command, the test
client's `login()`) faces no attacker guessing passwords, so it is not counted.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
