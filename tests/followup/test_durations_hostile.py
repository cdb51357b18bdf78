"""Any string as a duration is a Duration (at most 100 years) or the user's error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.durations import MAX_DURATION, DurationError, parse_duration
from followup.errors import UserError

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet="0123456789.", min_size=1, max_size=400),
)
units = st.sampled_from(["days", "d", "business days", "bdays", "weeks", "w", "h", "min", "m", ""])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.builds("{} {}".format, numbers, units)))
def test_any_string_is_a_duration_or_a_user_error(text: str) -> None:
    try:
        d = parse_duration(text)
    except DurationError as e:
        assert isinstance(e, UserError) and isinstance(e, ValueError)
        assert len(e.problems) == 1 and "\n" not in e.problems[0] and len(e.problems[0]) < 200
        return
    assert timedelta(0) <= d.delta <= MAX_DURATION


@pytest.mark.parametrize(
    ("text", "delta"),
    [("3 business days", timedelta(days=3)), ("2d", timedelta(days=2)),
     ("12h", timedelta(hours=12)), ("36525 days", MAX_DURATION)],
)  # fmt: skip
def test_ordinary_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text).delta == delta


@pytest.mark.parametrize("text", ["36526 days", "9999999 weeks", "1" * 500 + " days", "٣ days"])
def test_out_of_range_or_foreign_digits_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)
