"""How a class logs in to the course's JupyterHub.

* Workshop mode (:class:`WorkshopAuthenticator`): opening the link is enough. Each visitor becomes
  a new temporary user (jupyterhub-tmpauthenticator). The teacher signs in at ``/hub/teacher``
  with the teacher password and is an admin.
* Class-password mode: JupyterHub's own ``SharedPasswordAuthenticator``: students type any name
  and the class password; the teacher types the teacher name and the teacher password.
"""

from __future__ import annotations

from html import escape
from secrets import compare_digest
from typing import Any
from urllib.parse import quote

from jupyterhub.handlers.login import LoginHandler
from jupyterhub.utils import url_path_join
from tmpauthenticator import TmpAuthenticateHandler, TmpAuthenticator
from traitlets import Unicode

_TEACHER_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Teacher sign-in</title></head><body><main>
<h1>Teacher sign-in</h1><p>{message}</p>
<form method="post" action="?next={admin}">{xsrf}
<input type="hidden" name="username" value="{teacher}">
<label>Teacher password <input type="password" name="password" autofocus></label>
<button type="submit">Sign in</button></form></main></body></html>"""


class TeacherLoginHandler(LoginHandler):
    """``/hub/teacher``: a password form for the teacher; its POST is JupyterHub's own login."""

    async def get(self):
        self.finish(self._form(""))

    async def _render(self, login_error=None, username=None):
        # LoginHandler.post renders this on a wrong password (with status 403)
        return self._form(login_error or "")

    def _form(self, message: str) -> str:
        # signed in, the teacher lands on the admin page (the class's servers), not a server
        admin = quote(url_path_join(self.hub.base_url, "admin"), safe="/")
        return _TEACHER_FORM.format(
            message=escape(message), xsrf=self.xsrf_form_html(), admin=escape(admin),
            teacher=escape(self.authenticator.teacher_name),
        )  # fmt: skip


class WorkshopAuthenticator(TmpAuthenticator):
    """Temporary users for students; the teacher (an admin) by password at ``/hub/teacher``."""

    teacher_name = Unicode("teacher", help="The teacher's user name (an admin).").tag(config=True)
    teacher_password = Unicode(
        "", help="The teacher's password; empty: nobody signs in as the teacher."
    ).tag(config=True)

    async def authenticate(self, handler, data: dict[str, Any] | None):
        if data is None:  # /hub/tmplogin: every visitor a new temporary student
            return await super().authenticate(handler, data)
        if (
            self.teacher_password
            and data.get("username") == self.teacher_name
            and compare_digest(str(data.get("password", "")), self.teacher_password)
        ):
            return {"name": self.teacher_name, "admin": True}
        return None

    def get_handlers(self, app):
        return [("/tmplogin", TmpAuthenticateHandler), ("/teacher", TeacherLoginHandler)]
