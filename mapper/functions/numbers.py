"""Library functions on numbers and money: parsing, exact decimal arithmetic, rounding, minor units."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache

from .describe import show
from .errors import FunctionError
from .library import NUMBER_OR_NULL, NUMBER_VALUE, integer, library
from .specs import Expects, param

_NUMBER_TEXT = Expects("number_text")

# Enough digits for any sum or product of two doubles' decimal forms.
_DECIMAL = Context(prec=800, Emax=100_000, Emin=-100_000)


def as_decimal(value: float) -> Decimal:
    """A number as written: 1.005 is Decimal("1.005"), not the binary double's expansion."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _to_float(function: str, number: Decimal) -> float:
    result = float(number)
    if math.isinf(result):
        raise FunctionError(function, f"the result {number:.6g} is too large for a JSON number")
    return result


def check_finite(function: str, value: float) -> None:
    """Refuse infinities and NaN (JSON has none; Python reads 1e999 as infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FunctionError(function, f"cannot compute with {show(value)}")


#: The most digits of an integer: Python reads and writes no longer one as text (``sys.int_info``), so
#: no function makes one, whatever the payload says.
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits
_TOO_LARGE = 10 ** MAX_INTEGER_DIGITS


def _too_many_digits(function: str, value: object) -> FunctionError:
    return FunctionError(function, f"{show(value)} gives an integer of more than {MAX_INTEGER_DIGITS:,} digits")


def _bounded_integer(function: str, number: int, value: object) -> int:
    """``number``, computed from ``value``, unless it has more than ``MAX_INTEGER_DIGITS`` digits."""
    if -_TOO_LARGE < number < _TOO_LARGE:
        return number
    raise _too_many_digits(function, value)


def _digits(function: str, text: str, value: object) -> int:
    """The integer written in ``text`` (digits, maybe a sign), read from ``value``."""
    if len(text.lstrip("+-0")) > MAX_INTEGER_DIGITS:
        raise _too_many_digits(function, value)
    return int(text)


def _separator_class(separator: str) -> str:
    # A space as thousands separator also accepts the no-break spaces that
    # formatted French or Swiss numbers use.
    return "[ \u00a0\u202f]" if separator == " " else re.escape(separator)


@lru_cache(maxsize=64)
def _number_pattern(decimal_separator: str, thousands_separator: str) -> re.Pattern[str]:
    grouped = (rf"[0-9]{{1,3}}(?:{_separator_class(thousands_separator)}[0-9]{{3}})+|" if thousands_separator
               else "")
    return re.compile(rf"(?P<sign>[-+]?)(?P<integer>{grouped}[0-9]+)?"
                      rf"(?:{re.escape(decimal_separator)}(?P<fraction>[0-9]+))?"
                      r"(?:[eE](?P<exponent>[-+]?[0-9]+))?")


def _check_separators(decimal_separator: str, thousands_separator: str) -> None:
    if len(decimal_separator) != 1 or decimal_separator in "0123456789+-eE":
        raise FunctionError("parse_number", f"the decimal separator must be one character other than a digit, "
                                            f"sign or exponent, not {show(decimal_separator)}")
    if len(thousands_separator) > 1 or (thousands_separator and thousands_separator in "0123456789+-eE"):
        raise FunctionError("parse_number", f"the thousands separator must be one character (or empty for none) "
                                            f"other than a digit, sign or exponent, not {show(thousands_separator)}")
    if decimal_separator == thousands_separator:
        raise FunctionError("parse_number", f"the decimal and thousands separators are both "
                                            f"{show(decimal_separator)}")


@library("parse_number", [param("value", "string", "number", "null", expects=_NUMBER_TEXT),
                           param("decimal_separator", "string", optional=True),
                           param("thousands_separator", "string", optional=True)], NUMBER_OR_NULL)
def _parse_number(value: str | float | None, decimal_separator: str = ".",
                  thousands_separator: str = ",") -> int | float | None:
    """The number written in the string; an int when it has no fraction or exponent."""
    if value is None or not isinstance(value, str):
        return value
    _check_separators(decimal_separator, thousands_separator)
    match = _number_pattern(decimal_separator, thousands_separator).fullmatch(value.strip())
    if match is None or not (match["integer"] or match["fraction"]):
        thousands = f"thousands separator {show(thousands_separator)}" if thousands_separator else \
            "no thousands separator"
        raise FunctionError("parse_number", f"cannot read {show(value)} as a number "
                                            f"(decimal separator {show(decimal_separator)}, {thousands})")
    integer = re.sub(r"[^0-9]", "", match["integer"] or "0")
    if match["fraction"] is None and match["exponent"] is None:
        return _digits("parse_number", match["sign"] + integer, value)
    text = f"{match['sign']}{integer}.{match['fraction'] or '0'}e{match['exponent'] or '0'}"
    number = float(text)
    if not math.isfinite(number) or Decimal(repr(number)) != Decimal(text):
        raise FunctionError("parse_number", f"{show(value)} has more digits than a JSON number keeps")
    return number


_INTEGER_TEXT = re.compile(r"([-+]?[0-9]+)(?:\.0*)?")
_DECIMAL_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@library("to_integer", [param("value", "string", "number", "null", expects=_NUMBER_TEXT)], NUMBER_OR_NULL)
def _to_integer(value: str | float | None) -> int | None:
    """The value as an integer, only if nothing is lost ("42", 42.0; not 12.5 or "abc")."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise FunctionError("to_integer", f"{show(value)} is not a whole number")
    match = _INTEGER_TEXT.fullmatch(value.strip())
    if match is not None:
        return _digits("to_integer", match[1], value)
    if _DECIMAL_TEXT.fullmatch(value.strip()):
        raise FunctionError("to_integer", f"{show(value)} is not a whole number")
    raise FunctionError("to_integer", f"cannot read {show(value)} as an integer")


#: round()'s modes: the name a rule passes -> the decimal rounding it means.
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


@library("round", [NUMBER_VALUE, param("digits", "number", optional=True), param("mode", "string", optional=True)],
         NUMBER_OR_NULL)
def _round(value: float | None, digits: float = 0, mode: str = "half_up") -> int | float | None:
    """The number rounded to ``digits`` decimals, as written, half away from zero ("half_up": 1.005 -> 1.01)
    or half to even ("half_even", Python's round: 2.5 -> 2)."""
    if value is None:
        return None
    places = integer("round", "digits", digits)
    rounding = _ROUNDING.get(mode)
    if rounding is None:
        raise FunctionError("round", f"the mode must be {' or '.join(map(show, _ROUNDING))}, not {show(mode)}")
    check_finite("round", value)
    if isinstance(value, int) and places >= 0:
        return value
    number = as_decimal(value)
    exponent = number.as_tuple().exponent
    if places > 0 and isinstance(exponent, int) and exponent >= -places:
        return value  # already has no more than `places` decimals
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=_DECIMAL)
    except InvalidOperation:
        raise FunctionError("round", f"cannot round to {places} digits") from None
    return int(rounded) if places <= 0 else _to_float("round", rounded)


def _arithmetic(function: str, a: float, b: float,
                exact: Callable[[int, int], int], decimal: Callable[[Decimal, Decimal], Decimal]) -> int | float:
    if type(a) is int and type(b) is int:
        return exact(a, b)
    check_finite(function, a)
    check_finite(function, b)
    return _to_float(function, decimal(as_decimal(a), as_decimal(b)))


_OPERANDS = [param("a", "number", "null"), param("b", "number", "null")]


@library("add", _OPERANDS, NUMBER_OR_NULL, int_operator="+")
def _add(a: float | None, b: float | None) -> int | float | None:
    """a + b, in decimal: add(0.1, 0.2) is 0.3."""
    if a is None or b is None:
        return None
    return _arithmetic("add", a, b, int.__add__, _DECIMAL.add)


@library("subtract", _OPERANDS, NUMBER_OR_NULL, int_operator="-")
def _subtract(a: float | None, b: float | None) -> int | float | None:
    """a - b, in decimal."""
    if a is None or b is None:
        return None
    return _arithmetic("subtract", a, b, int.__sub__, _DECIMAL.subtract)


@library("multiply", _OPERANDS, NUMBER_OR_NULL, int_operator="*")
def _multiply(a: float | None, b: float | None) -> int | float | None:
    """a * b, in decimal: multiply(1.1, 3) is 3.3."""
    if a is None or b is None:
        return None
    return _arithmetic("multiply", a, b, int.__mul__, _DECIMAL.multiply)


_QUOTIENT = Context(prec=40)


@library("divide", _OPERANDS, NUMBER_OR_NULL)
def _divide(a: float | None, b: float | None) -> int | float | None:
    """a / b; an int when both are ints and b divides a; an error when b is zero."""
    if a is None or b is None:
        return None
    if b == 0:
        raise FunctionError("divide", f"cannot divide {show(a)} by zero")
    if type(a) is int and type(b) is int:
        return a // b if a % b == 0 else a / b
    check_finite("divide", a)
    check_finite("divide", b)
    return _to_float("divide", _QUOTIENT.divide(as_decimal(a), as_decimal(b)))


# ISO 4217 minor units (exponents): every code with a minor unit in List One (the
# maintenance agency's current-currency table, as amended to 2025), plus ANG, CUC, HRK,
# SLL and ZWL, withdrawn recently and still met in data. BGN stays: Bulgaria's move to
# the euro (2026) leaves years of records written in it.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys([
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ], 0),
    **dict.fromkeys([
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
    ], 3),
    **dict.fromkeys([
        "CLF", "UYW",
    ], 4),
    **dict.fromkeys([
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
        "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
        "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
        "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
        "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS",
        "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD",
        "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
        "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD",
        "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP",
        "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
        "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
        "ZWL",
    ], 2),
}


# Stripe's amounts (docs.stripe.com/currencies, "Zero-decimal", "Three-decimal" and "Special
# cases"; support.stripe.com on fractional ISK, 2023): where its API counts otherwise than ISO 4217.
# ISK stays two-decimal in the API (100 is 1 króna) but takes whole krónur only; MGA is zero-decimal;
# the three-decimal currencies take amounts whose last digit is 0 (5.124 KWD is sent as 5120).
# HUF and TWD are two-decimal for charges, as in ISO 4217 (only their payouts are whole units).
_STRIPE_EXPONENTS: dict[str, int] = {"ISK": 2, "MGA": 0}
_STRIPE_STEPS: dict[str, int] = {"ISK": 100, **dict.fromkeys(["BHD", "JOD", "KWD", "OMR", "TND"], 10)}
_CONVENTIONS = ("iso4217", "stripe")


def _minor_unit(function: str, currency: str, convention: str = "iso4217") -> int:
    code = currency.strip().upper()
    if convention not in _CONVENTIONS:
        raise FunctionError(function, f"the convention must be {' or '.join(map(show, _CONVENTIONS))}, "
                                      f"not {show(convention)}")
    try:
        iso = _MINOR_UNITS[code]
    except KeyError:
        raise FunctionError(function, f"unknown currency {show(currency)} "
                                      "(expected an ISO 4217 code with a minor unit, such as \"USD\")") from None
    return _STRIPE_EXPONENTS.get(code, iso) if convention == "stripe" else iso


_AMOUNT_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CURRENCY = param("currency", "string", expects=Expects("currency"))


_EXACT_BELOW = 2.0 ** 36  # the fast route of to_minor_units() for |amount| below it (4 decimals at most)
_MINOR_SCALES = {code: 10 ** exponent for code, exponent in _MINOR_UNITS.items()}  # 10**exponent, computed once


_CONVENTION = param("convention", "string", optional=True)


@library("to_minor_units", [param("amount", "number", "string", "null", expects=_NUMBER_TEXT), _CURRENCY,
                            _CONVENTION], NUMBER_OR_NULL)
def _to_minor_units(amount: float | str | None, currency: str, convention: str = "iso4217") -> int | None:
    """The amount in the currency's minor units (19.99 USD -> 1999), exactly; an
    error when it has more decimals than the currency has. With ``'stripe'``, as
    Stripe's API counts them (ISK in hundredths of whole krónur, MGA whole, the
    three-decimal currencies rounded to a last digit of 0)."""
    if convention != "iso4217":
        return _stripe_minor_units(amount, currency, convention)
    if type(amount) is float and -_EXACT_BELOW < amount < _EXACT_BELOW:
        # The common case without Decimal: if minor / 10**exponent is the amount again, the
        # amount as written has at most `exponent` decimals and `units` is exactly it in
        # minor units (below 2**36 two such decimals are further apart than the float's
        # precision, so no other decimal reads as the same float).
        scale = _MINOR_SCALES.get(currency)
        if scale is not None:
            units: int = round(amount * scale)
            if units / scale == amount:
                return units
    if amount is None:
        return None
    return _exact_minor_units(amount, currency, _minor_unit("to_minor_units", currency))


def _exact_minor_units(amount: float | str, currency: str, exponent: int) -> int:
    """``amount`` times 10**exponent, exactly; an error when that is not a whole number."""
    if isinstance(amount, str):
        if not _AMOUNT_TEXT.fullmatch(amount.strip()):
            raise FunctionError("to_minor_units", f"cannot read {show(amount)} as an amount "
                                                  "(plain digits with a decimal point; see parse_number())")
        number = Decimal(amount.strip())
    elif type(amount) is int:
        return _bounded_integer("to_minor_units", amount * 10 ** exponent, amount)
    else:
        check_finite("to_minor_units", amount)
        number = as_decimal(amount)
    minor = number.scaleb(exponent, context=_DECIMAL)
    if minor != minor.to_integral_value():
        allowed = f"{exponent} decimal place{'s' if exponent != 1 else ''}" if exponent else "no decimal places"
        raise FunctionError("to_minor_units", f"{show(amount)} has more decimal places than "
                                              f"{currency.strip().upper()} allows ({allowed})")
    if minor.adjusted() >= MAX_INTEGER_DIGITS:
        raise _too_many_digits("to_minor_units", amount)
    return int(minor)


def _stripe_minor_units(amount: float | str | None, currency: str, convention: str) -> int | None:
    exponent = _minor_unit("to_minor_units", currency, convention)
    if amount is None:
        return None
    code = currency.strip().upper()
    step = _STRIPE_STEPS.get(code, 1)
    if step == 1 or code == "ISK":
        # ISK: whole krónur (an error otherwise, as Stripe refuses fractional ones), then hundredths.
        whole = _exact_minor_units(amount, currency, exponent - 2 if code == "ISK" else exponent)
        return whole * step
    # The three-decimal currencies: exact in thousandths, then to the nearest ten, half away from zero.
    thousandths = _exact_minor_units(amount, currency, exponent)
    tens = Decimal(thousandths).scaleb(-1).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(tens) * step


@library("from_minor_units", [param("amount", "number", "null"), _CURRENCY, _CONVENTION], NUMBER_OR_NULL)
def _from_minor_units(amount: float | None, currency: str, convention: str = "iso4217") -> int | float | None:
    """The amount in major units (1999 USD -> 19.99); an int when whole (1900 USD -> 19). With
    ``'stripe'``, from the minor units of Stripe's API (150000 ISK -> 1500)."""
    if amount is None:
        return None
    exponent = _minor_unit("from_minor_units", currency, convention)
    if isinstance(amount, float) and not amount.is_integer():
        raise FunctionError("from_minor_units", f"{show(amount)} is not a whole number of minor units")
    major = Decimal(int(amount)).scaleb(-exponent)
    if major == major.to_integral_value():
        return int(major)
    result = float(major)
    if Decimal(repr(result)) != major:
        raise FunctionError("from_minor_units", f"{show(amount)} {currency.strip().upper()} has more digits "
                                                "than a JSON number keeps")
    return result
