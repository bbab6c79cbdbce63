"""Which children a nursery takes on a day: from an age in months, within school-year classes.

The city's scheme takes children from 4 months old until they start school
(生後4か月以上の未就学児); a nursery may take only some classes. A class (歳児クラス) is
counted as Japanese schools count it: the children born from 2 April of one year to
1 April of the next are one year, and in the fiscal year (April to March) that a day
falls in, a child is in class `fiscal year - (their year's first calendar year) - 1`;
class 6 is the first year of school. A child born within the fiscal year counts as
class 0.
"""

from __future__ import annotations

import datetime as dt

from domain.config import Ages


def fiscal_year(day: dt.date) -> int:
    """The calendar year the fiscal year of `day` begins in (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def school_year(birth: dt.date) -> int:
    """The year a child's school cohort is named by: born 2 April Y to 1 April Y+1 -> Y."""
    return birth.year if birth > dt.date(birth.year, 4, 1) else birth.year - 1


def klass(birth: dt.date, day: dt.date) -> int:
    """The class (歳児クラス) a child born on `birth` is in on `day`."""
    return max(0, fiscal_year(day) - school_year(birth) - 1)


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it has fewer days)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def first_day(ages: Ages, birth: dt.date) -> dt.date:
    """The first day the child is old enough and in a class the nursery takes."""
    old_enough = months_later(birth, ages.min_months)
    first_class_from = dt.date(school_year(birth) + ages.first_class + 1, 4, 1)
    return max(old_enough, first_class_from if ages.first_class > 0 else old_enough)


def last_day(ages: Ages, birth: dt.date) -> dt.date:
    """The last day the child is in a class the nursery takes (31 March of its last class)."""
    return dt.date(school_year(birth) + ages.last_class + 2, 3, 31)


def takes(ages: Ages, birth: dt.date, day: dt.date) -> bool:
    return first_day(ages, birth) <= day <= last_day(ages, birth)
