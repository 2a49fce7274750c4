"""The password rule, one owner for every place a password is chosen: the staffer's own change,
an administrator's reset on the staff screen, `wuguan create-admin`.

Length alone lets `aaaaaaaaaa` through; zxcvbn estimates how many guesses a password takes and
must score at least `WUGUAN_PASSWORD_MIN_SCORE` (3 of 4: "safely unguessable" against an online
attack with throttling), and the account's own username or display name may not be in it.
"""
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 72  # zxcvbn's own limit; a longer one would only be slower to hash
RULE = _l("至少 10 个字符，不能含用户名或姓名，也不能是常见词、键盘序列、重复或日期这类容易猜中的组合；"
          "建议用几个不相关的词或一句话。")


def problems(password, username="", display_name=""):
    """Messages in Chinese saying why `password` may not be used; empty when it may."""
    if len(password) < MIN_LENGTH:
        return [_("密码至少需要 %(n)s 个字符", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("密码不能超过 %(n)s 个字符", n=MAX_LENGTH)]
    lowered = password.lower()
    own = [n.strip().lower() for n in (username, display_name) if n and len(n.strip()) >= 2]
    if any(name in lowered for name in own):
        return [_("密码不能包含用户名或姓名")]
    if zxcvbn(password, user_inputs=own)["score"] < current_app.config["WUGUAN_PASSWORD_MIN_SCORE"]:
        return [_("密码太容易被猜中，请换一个更长、更不规则的密码")]
    return []
