"""Stripe's amounts, as its API counts them (docs.stripe.com/currencies), in the function and the schema.

``to_minor_units(amount, currency, 'stripe')`` follows Stripe where it differs from ISO 4217: ISK in
hundredths of whole krónur, MGA whole, the three-decimal currencies rounded to a last digit of 0. The
PaymentIntent target schema holds the same rules, so a wrong rule is still caught by validation.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mapper
from mapper.functions import FunctionError, build_function_table
from mapper.validation import RecordValidator

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / "mappings" / "shopify-order-to-payment-intent.yaml"
TABLE = build_function_table()


@pytest.mark.parametrize(
    ("amount", "currency", "stripe", "iso"),
    [
        ("19.99", "USD", 1999, 1999),
        (1500, "ISK", 150000, 1500),          # ISK stays two-decimal in Stripe's API: 100 is 1 króna
        ("1500.00", "isk", 150000, 1500),
        (5.124, "KWD", 5120, 5124),           # the last digit must be 0: to the nearest ten
        ("5.125", "KWD", 5130, 5125),         # half away from zero
        (-5.125, "KWD", -5130, -5125),
        ("24.750", "BHD", 24750, 24750),
        ("1.001", "OMR", 1000, 1001),
        ("0.995", "TND", 1000, 995),
        ("7.5", "JOD", 7500, 7500),
        (1000, "JPY", 1000, 1000),
        (185000, "UGX", 185000, 185000),      # zero-decimal in both
        (300, "MGA", 300, 30000),             # zero-decimal in Stripe's list, two decimals in ISO 4217
        ("12990.50", "HUF", 1299050, 1299050),  # HUF and TWD are two-decimal for charges
        ("499.99", "TWD", 49999, 49999),
        (None, "ISK", None, None),
    ],
)
def test_to_minor_units_counts_as_stripe_does(amount: Any, currency: str, stripe: int | None, iso: int | None) -> None:
    assert TABLE.call_function("to_minor_units", [amount, currency, "stripe"]) == stripe
    assert TABLE.call_function("to_minor_units", [amount, currency, "iso4217"]) == iso
    assert TABLE.call_function("to_minor_units", [amount, currency]) == iso


@pytest.mark.parametrize(
    ("amount", "currency", "convention", "message"),
    [
        (1500.5, "ISK", "stripe", "to_minor_units(): 1500.5 has more decimal places than ISK allows (no decimal places)"),
        ("12.5", "MGA", "stripe", 'to_minor_units(): "12.5" has more decimal places than MGA allows (no decimal places)'),
        ("19.999", "USD", "stripe", 'to_minor_units(): "19.999" has more decimal places than USD allows (2 decimal places)'),
        (1, "USD", "paypal", 'to_minor_units(): the convention must be "iso4217" or "stripe", not "paypal"'),
    ],
)
def test_what_stripe_cannot_take_is_an_error(amount: Any, currency: str, convention: str, message: str) -> None:
    with pytest.raises(FunctionError) as raised:
        TABLE.call_function("to_minor_units", [amount, currency, convention])
    assert str(raised.value) == message


@given(st.integers(-10**9, 10**9), st.sampled_from(["ISK", "USD", "JPY", "MGA", "HUF", "UGX"]))
def test_from_minor_units_undoes_the_stripe_count(whole: int, currency: str) -> None:
    minor = TABLE.call_function("to_minor_units", [whole, currency, "stripe"])
    assert TABLE.call_function("from_minor_units", [minor, currency, "stripe"]) == whole


@given(st.decimals(Decimal("-1000"), Decimal("1000"), places=3), st.sampled_from(["BHD", "JOD", "KWD", "OMR", "TND"]))
def test_three_decimal_amounts_end_in_zero_and_stay_within_five_thousandths(amount: Decimal, currency: str) -> None:
    minor = TABLE.call_function("to_minor_units", [str(amount), currency, "stripe"])
    assert minor % 10 == 0
    assert abs(Decimal(minor) - amount * 1000) <= 5


def _order_output(name: str) -> dict[str, Any]:
    folder = MAPPING.with_suffix(".fixtures")
    output: dict[str, Any] = json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))
    return output


def _with(record: dict[str, Any], currency: str, amount: int, unit_cost: int | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    changed["currency"], changed["amount"] = currency, amount
    if unit_cost is not None:
        changed["amount_details"]["line_items"][0]["unit_cost"] = unit_cost
    return changed


@pytest.mark.parametrize(
    ("currency", "amount", "unit_cost", "refused_at"),
    [
        ("isk", 1550, None, ["/amount"]),                 # 15.50 krónur: Stripe takes whole krónur only
        ("isk", 1599000, 1599050, ["/amount_details/line_items/0/unit_cost"]),
        ("kwd", 5124, None, ["/amount"]),                 # the last digit of a KWD amount must be 0
        ("bhd", 5120, 3869, ["/amount_details/line_items/0/unit_cost"]),
        ("isk", 1500, None, []),
        ("kwd", 5120, 3870, []),
        ("usd", 5124, 5124, []),
    ],
)
def test_the_target_schema_refuses_amounts_stripe_refuses(currency: str, amount: int, unit_cost: int | None,
                                                           refused_at: list[str]) -> None:
    validator = RecordValidator(mapper.load(MAPPING).target_schema)
    record = _with(_order_output("icelandic-krona-sent-in-hundredths-isk"), currency, amount, unit_cost)
    violations = validator.violations(record)
    assert ["".join(f"/{part}" for part in violation.path) for violation in violations] == refused_at
    assert all(violation.message.endswith(f"breaks multipleOf {100 if currency == 'isk' else 10}")
               for violation in violations)
