"""Pinyin keys for name search ("zhangsan", "zs" both find 张三)."""
from pypinyin import Style, lazy_pinyin


def pinyin_keys(name):
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    return "".join(syllables).lower(), "".join(s[0] for s in syllables if s).lower()
