"""Read Arabic and Chinese numerals into exact int/float values.

Chinese numerals go through cn2an ("normal" mode accepts 两 and 三千五). Values are computed
with Decimal so that 1.3 × 万 is exactly 13000, and returned as int when integral.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九"
CN_POWERS = "十百千万亿"
CN_NUMERAL_CHARS = CN_DIGITS + CN_POWERS


def as_number(value: Decimal) -> int | float:
    """int when integral (7.0 → 7), else float (7.01)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def arabic(text: str) -> Decimal | None:
    """'1,234.5' → Decimal('1234.5'); '6 812' → Decimal('6812')."""
    try:
        return Decimal(text.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None


def chinese(text: str) -> Decimal | None:
    """A Chinese numeral as written in running text, or None when it is not a plain count.

    Rejected: numerals with 〇 (year digits such as 二〇二二), digit strings without a power
    word (一一, 二三: not counts), and a bare power word without a leading digit (百, 千万: these
    are only counts with an approximator, which the caller checks before passing "一" + text).
    """
    if "点" in text:
        return _decimal(text)
    if not text or "〇" in text:
        return None
    if len(text) > 1 and not any(ch in CN_POWERS for ch in text):
        return None
    if text[0] in "百千万亿":
        return None
    try:
        value = cn2an.cn2an(text, "normal")
    except Exception:  # noqa: BLE001 - cn2an raises bare ValueError subclasses on odd input
        return None
    return Decimal(value)


def _decimal(text: str) -> Decimal | None:
    """'九十六点五' → 96.5: the part after 点 is read digit by digit."""
    whole, _, frac = text.partition("点")
    if not whole or not frac or any(ch not in CN_DIGITS for ch in frac):
        return None
    head = Decimal(0) if whole in ("零", "〇") else chinese(whole) if len(whole) > 1 else _DIGIT.get(whole)
    if head is None:
        return None
    return head + Decimal("0." + "".join(str(_DIGIT[ch]) for ch in frac))


_DIGIT = {ch: Decimal(i) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": Decimal(0), "两": Decimal(2)}
