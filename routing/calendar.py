"""The working calendar (工作日): official holiday schedules with make-up days (调休), time limits.

Adding working days is O(1): a prefix count of working days per date ordinal is precomputed.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from routing.statutory import COMPENSATORY, FESTIVALS, statutory_days_off, statutory_holidays

OFFICIAL_SCHEDULES_PATH = Path(__file__).parent / "data" / "official_schedules.json"

SHANGHAI = ZoneInfo("Asia/Shanghai")

WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# chinese_calendar names its holidays in English; clerks read Chinese.
_PACKAGE_NAME_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# Every name a holiday or make-up day of a schedule may carry (joined by 、 when festivals meet).
KNOWN_HOLIDAY_NAMES = FESTIVALS | frozenset(_PACKAGE_NAME_ZH.values())

DayReason = Literal["weekday", "weekend", "holiday", "makeup_workday"]

_MICROSECOND = timedelta(microseconds=1)


class CalendarNotCovered(ValueError):
    """A date outside the years the calendar knows: never guessed."""


class ScheduleError(ValueError):
    """An official schedule that cannot be loaded as given."""


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's holidays and make-up working days; `provisional` when computed, not published."""

    year: int
    holidays: Mapping[date, str]
    makeup_workdays: Mapping[date, str]
    provisional: bool = False

    @classmethod
    def from_json_dict(cls, year: int, d: Mapping[str, Any]) -> YearSchedule:
        """Parse `{"holidays": {"2027-01-01": "元旦"}, "makeup_workdays": {...}}` for `year`."""
        unknown = set(d) - {"holidays", "makeup_workdays"}
        if unknown:
            raise ScheduleError(f"{year} 年放假安排含未知字段：{'、'.join(sorted(unknown))}")
        holidays = _parse_days(year, d.get("holidays", {}), "holidays")
        makeup = _parse_days(year, d.get("makeup_workdays", {}), "makeup_workdays")
        both = sorted(set(holidays) & set(makeup))
        if both:
            raise ScheduleError(f"{year} 年放假安排中 {both[0].isoformat()} 既是假日又是调休工作日")
        if not holidays:
            raise ScheduleError(f"{year} 年放假安排没有任何假日")
        return cls(year=year, holidays=holidays, makeup_workdays=makeup)

    def to_json_dict(self) -> dict[str, dict[str, str]]:
        """The inverse of `from_json_dict`."""
        return {
            "holidays": {d.isoformat(): n for d, n in sorted(self.holidays.items())},
            "makeup_workdays": {d.isoformat(): n for d, n in sorted(self.makeup_workdays.items())},
        }


def schedule_problems(schedule: YearSchedule) -> list[str]:
    """What in a published schedule contradicts what is certain (Chinese, one line each):
    make-up working days fall on weekends, no statutory holiday is a working day, and every
    name is a known festival's."""
    problems: list[str] = []

    def described(day: date, name: str) -> str:
        return f"{day.isoformat()}（{WEEKDAY_ZH[day.weekday()]}，{name}）"

    for day, name in sorted(schedule.makeup_workdays.items()):
        if day.weekday() < 5:
            problems.append(
                f"调休上班日 {described(day, name)} 不是周末：调休上班日只能是周六或周日"
            )
    for day, name in statutory_holidays(schedule.year).items():
        # A statutory day on a weekend rests anyway unless made a working day; published
        # data sometimes leaves such a day out (chinesecalendar's 2012-06-23, 端午节).
        if day not in schedule.holidays and (day.weekday() < 5 or day in schedule.makeup_workdays):
            problems.append(f"法定节假日 {described(day, name)} 不在假日中，会被算作工作日")
    for key, days in (("假日", schedule.holidays), ("调休上班日", schedule.makeup_workdays)):
        for day, name in sorted(days.items()):
            unknown = [
                part
                for part in re.split(r"[、,，]", name)
                if part.strip() not in KNOWN_HOLIDAY_NAMES
            ]
            if unknown:
                problems.append(
                    f"{key} {described(day, name)} 的节日名称 {'、'.join(unknown)} 不是已知节日"
                    f"（{'、'.join(sorted(FESTIVALS))}）"
                )
    return problems


def check_schedule(schedule: YearSchedule) -> YearSchedule:
    """The schedule, or ScheduleError listing every problem `schedule_problems` finds."""
    problems = schedule_problems(schedule)
    if problems:
        raise ScheduleError(
            f"{schedule.year} 年放假安排与法定节假日不符，未载入：\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
    return schedule


def _parse_days(year: int, raw: object, key: str) -> dict[date, str]:
    if not isinstance(raw, Mapping):
        raise ScheduleError(f"{year} 年放假安排的 {key} 必须是“日期: 名称”的对象")
    days: dict[date, str] = {}
    for text, name in raw.items():
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            raise ScheduleError(
                f"{year} 年放假安排中的日期 {text!r} 不是 YYYY-MM-DD 格式"
            ) from None
        if day.year != year:
            raise ScheduleError(f"{year} 年放假安排中出现了 {day.year} 年的日期 {day.isoformat()}")
        if not isinstance(name, str) or not name:
            raise ScheduleError(f"{year} 年放假安排中 {day.isoformat()} 缺少节日名称")
        days[day] = name
    return days


def _package_schedules() -> dict[int, YearSchedule]:
    holidays: dict[int, dict[date, str]] = {}
    makeup: dict[int, dict[date, str]] = {}
    package_holidays: Mapping[date, str] = chinese_calendar.holidays
    package_workdays: Mapping[date, str] = chinese_calendar.workdays
    for day, name in package_holidays.items():
        holidays.setdefault(day.year, {})[day] = _PACKAGE_NAME_ZH.get(name, name)
    for day, name in package_workdays.items():
        makeup.setdefault(day.year, {})[day] = _PACKAGE_NAME_ZH.get(name, name)
    return {
        year: YearSchedule(
            year, dict(sorted(days.items())), dict(sorted(makeup.get(year, {}).items()))
        )
        for year, days in holidays.items()
    }


def _file_schedules(path: Path) -> dict[int, YearSchedule]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"放假安排文件 {path.name} 不是合法的 JSON：{exc}") from None
    if not isinstance(raw, dict):
        raise ScheduleError(f"放假安排文件 {path.name} 必须是以年份为键的对象")
    schedules: dict[int, YearSchedule] = {}
    for key, value in raw.items():
        if not re.fullmatch(r"[0-9]{4}", str(key)) or not isinstance(value, Mapping):
            raise ScheduleError(f"放假安排文件 {path.name} 中的 {key!r} 不是“年份: 安排”")
        schedules[int(key)] = check_schedule(YearSchedule.from_json_dict(int(key), value))
    return schedules


def load_schedules(
    extra: Mapping[int, YearSchedule] | None = None, path: Path = OFFICIAL_SCHEDULES_PATH
) -> dict[int, YearSchedule]:
    """Official schedules from chinesecalendar, replaced per year by the data file, then `extra`."""
    schedules = _package_schedules()
    schedules.update(_file_schedules(path))
    if extra:
        schedules.update(extra)
    return dict(sorted(schedules.items()))


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Whether a date is a working day, and why."""

    date: date
    working: bool
    reason: DayReason
    holiday_name: str | None
    provisional: bool


@dataclass(frozen=True, slots=True)
class Due:
    """A due time; `explanation` lines are built on demand to keep the hot path lean."""

    due_at: datetime
    provisional: bool
    lines: tuple[str, ...] | Callable[[], tuple[str, ...]] = field(
        default=(), compare=False, repr=False
    )

    @property
    def explanation(self) -> tuple[str, ...]:
        """Chinese lines a clerk can follow to recompute the due time by hand."""
        return self.lines if isinstance(self.lines, tuple) else self.lines()

    def explain(self) -> str:
        """The explanation as one text block."""
        return "\n".join(self.explanation)


def _fmt_day(d: date) -> str:
    return f"{d.isoformat()}（{WEEKDAY_ZH[d.weekday()]}）"


def _fmt_instant(t: datetime) -> str:
    return f"{_fmt_day(t.date())} {t.strftime('%H:%M')}"


def _fmt_duration(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} 小时 {rest} 分钟"
    return f"{hours} 小时" if hours else f"{rest} 分钟"


def _holidays_label(names: Sequence[str]) -> str:
    """How a skipped run names its days off: 国庆节假期; with the compensatory days off of a
    provisional year 劳动节假期及补假, or 劳动节补假 for those days alone."""
    festivals: dict[str, None] = {}
    compensated: dict[str, None] = {}
    for name in names:
        for part in (p.strip() for p in re.split(r"[、,，]", name)):
            if part.endswith(COMPENSATORY):
                compensated[part.removesuffix(COMPENSATORY)] = None
            else:
                festivals[part] = None
    if not compensated:
        return f"{'、'.join(festivals)}假期"
    if not festivals:
        return f"{'、'.join(compensated)}{COMPENSATORY}"
    if compensated.keys() <= festivals.keys():
        return f"{'、'.join(festivals)}假期及{COMPENSATORY}"
    return f"{'、'.join(festivals)}假期及{'、'.join(compensated)}{COMPENSATORY}"


def _require_aware(t: datetime, name: str = "时间") -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} {t.isoformat()} 缺少时区，请传入带时区的 datetime")


class WorkCalendar:
    """Working days and business hours from official schedules plus one provisional year."""

    def __init__(
        self,
        tz: ZoneInfo = SHANGHAI,
        business_hours: Sequence[tuple[time, time]] = (
            (time(9, 0), time(12, 0)),
            (time(13, 30), time(17, 30)),
        ),
        end_of_day: time = time(23, 59, 59),
        schedules: Mapping[int, YearSchedule] | None = None,
    ) -> None:
        self.tz = tz
        self.business_hours = tuple(business_hours)
        self.end_of_day = end_of_day
        self._windows = self._validate_windows(self.business_hours)
        self._day_span = timedelta(seconds=sum(e - s for s, e in self._windows))
        official = dict(load_schedules() if schedules is None else schedules)
        if not official:
            raise ScheduleError("没有任何官方放假安排，无法建立工作日历")
        years = sorted(official)
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        if missing:
            raise ScheduleError(f"官方放假安排年份不连续：缺少 {missing[0]} 年")
        self._first_year = years[0]
        self._last_official_year = years[-1]
        self._provisional_year = self._last_official_year + 1
        provisional = YearSchedule(
            self._provisional_year, statutory_days_off(self._provisional_year), {}, True
        )
        self._schedules: dict[int, YearSchedule] = {**official, self._provisional_year: provisional}
        self._build_index()

    @staticmethod
    def _validate_windows(hours: Sequence[tuple[time, time]]) -> tuple[tuple[int, int], ...]:
        # Windows as seconds after midnight (wall clock), so that sums and offsets are integers.
        windows: list[tuple[int, int]] = []
        previous_end = -1
        for start, end in hours:
            s = start.hour * 3600 + start.minute * 60 + start.second
            e = end.hour * 3600 + end.minute * 60 + end.second
            if start.microsecond or end.microsecond or not previous_end <= s < e:
                raise ValueError("办公时间段必须按时间先后排列、不重叠且开始早于结束")
            windows.append((s, e))
            previous_end = e
        if not windows:
            raise ValueError("至少需要一个办公时间段")
        return tuple(windows)

    def _build_index(self) -> None:
        self._base = date(self._first_year, 1, 1).toordinal()
        self._end = date(self._provisional_year, 12, 31).toordinal()
        self._provisional_from = date(self._provisional_year, 1, 1).toordinal()
        working = bytearray(self._end - self._base + 1)
        ordinals = array("l")
        # prefix[i] = number of working days with ordinal <= base + i
        prefix = array("l", [0]) * len(working)
        count = 0
        for i in range(len(working)):
            info = self._classify(date.fromordinal(self._base + i))
            if info.working:
                working[i] = 1
                ordinals.append(self._base + i)
                count += 1
            prefix[i] = count
        self._working = bytes(working)
        self._ordinals = ordinals
        self._prefix = prefix
        # End-of-day instants of every working day, so a due time is a list lookup.
        self._day_ends = [
            datetime.combine(date.fromordinal(o), self.end_of_day, self.tz) for o in ordinals
        ]
        self._first_provisional_index = prefix[self._provisional_from - self._base - 1]

    def _classify(self, d: date) -> DayInfo:
        schedule = self._schedules[d.year]
        provisional = schedule.provisional
        name = schedule.holidays.get(d)
        if name is not None:
            return DayInfo(d, False, "holiday", name, provisional)
        name = schedule.makeup_workdays.get(d)
        if name is not None:
            return DayInfo(d, True, "makeup_workday", name, provisional)
        if d.weekday() >= 5:
            return DayInfo(d, False, "weekend", None, provisional)
        return DayInfo(d, True, "weekday", None, provisional)

    # ---- coverage ---------------------------------------------------------------------

    @property
    def first_year(self) -> int:
        return self._first_year

    @property
    def last_official_year(self) -> int:
        return self._last_official_year

    @property
    def provisional_year(self) -> int | None:
        return self._provisional_year

    def _not_covered(self, year: int) -> CalendarNotCovered:
        if year < self._first_year:
            return CalendarNotCovered(
                f"工作日历不覆盖 {year} 年：最早只有 {self._first_year} 年的放假安排"
            )
        return CalendarNotCovered(
            f"工作日历不覆盖 {year} 年：国务院放假安排已载入至 {self._last_official_year} 年，"
            f"{self._provisional_year} 年按法定节假日暂定，{year} 年无法计算，"
            "请先载入官方放假安排"
        )

    def _offset(self, d: date) -> int:
        o = d.toordinal()
        if not self._base <= o <= self._end:
            raise self._not_covered(d.year)
        return o - self._base

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            _require_aware(t)
        return t.astimezone(self.tz)

    # ---- days -------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        """Whether `d` is a working day and why."""
        self._offset(d)
        return self._classify(d)

    def is_working_day(self, d: date) -> bool:
        return self._working[self._offset(d)] == 1

    def days(self, from_date: date, to_date: date) -> list[DayInfo]:
        """Every day from `from_date` to `to_date`, both included."""
        self._offset(from_date)
        self._offset(to_date)
        return [
            self._classify(date.fromordinal(o))
            for o in range(from_date.toordinal(), to_date.toordinal() + 1)
        ]

    def _nth_working_after(self, offset: int, n: int) -> int:
        """Ordinal of the n-th working day strictly after base + offset (n >= 1)."""
        index = self._prefix[offset] + n - 1
        if index >= len(self._ordinals):
            raise self._not_covered(self._provisional_year + 1)
        return self._ordinals[index]

    # ---- limits -----------------------------------------------------------------------

    def add_working_days(self, start: datetime, n: int) -> Due:
        """End of the n-th working day after the day of `start` (which never counts)."""
        # The hot path: index arithmetic on precomputed arrays, explanation deferred.
        tz = start.tzinfo
        if tz is not self.tz:
            if tz is None or start.utcoffset() is None:
                _require_aware(start, "起算时间")
            start = start.astimezone(self.tz)
        if n < 1:
            raise ValueError(f"工作日数必须至少为 1，收到 {n}")
        start_day = start.date()
        ordinal = start_day.toordinal()
        if not self._base <= ordinal <= self._end:
            raise self._not_covered(start_day.year)
        index = self._prefix[ordinal - self._base] + n - 1
        if index >= len(self._ordinals):
            raise self._not_covered(self._provisional_year + 1)
        return Due(
            self._day_ends[index],
            index >= self._first_provisional_index,
            lambda: self._explain_working_days(start_day, self._ordinals[index], n),
        )

    def add_working_hours(self, start: datetime, hours: float) -> Due:
        """The instant when `hours` of business time on working days have elapsed after `start`."""
        local = self._local(start)
        if hours <= 0:
            raise ValueError(f"工作小时数必须大于 0，收到 {hours}")
        budget = timedelta(hours=hours)
        target = self._business_before(local) + budget
        due_at = self._instant_at(target)
        return Due(
            due_at,
            due_at.toordinal() >= self._provisional_from,
            lambda: self._explain_working_hours(local, due_at, budget),
        )

    def add_natural_hours(self, start: datetime, hours: float) -> Due:
        """Plain elapsed clock time; no calendar involved, so never provisional."""
        local = self._local(start)
        if hours <= 0:
            raise ValueError(f"自然小时数必须大于 0，收到 {hours}")
        span = timedelta(hours=hours)
        # Elapsed time is absolute: add in UTC so a zone with DST still gets real hours.
        due_at = (local.astimezone(UTC) + span).astimezone(self.tz)
        # The explanation is written only when someone reads it (most due times never are).
        return Due(
            due_at,
            False,
            lambda: (
                f"起算时间 {_fmt_instant(local)}",
                f"按自然时间计 {_fmt_duration(span)}（含夜间、周末和节假日）",
                f"截止 {_fmt_instant(due_at)}",
            ),
        )

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time on working days elapsed from `a` to `b` (zero if `b` is not after `a`)."""
        la, lb = self._local(a), self._local(b)
        if lb <= la:
            return timedelta(0)
        return self._business_before(lb) - self._business_before(la)

    def next_business_time(self, t: datetime) -> datetime:
        """`t` itself inside business hours of a working day, else the next opening."""
        local = self._local(t)
        offset = self._offset(local.date())
        if self._working[offset]:
            second = self._second_of_day(local)
            for s, e in self._windows:
                if second < s:
                    return self._at_second(local.date(), s)
                if s <= second < e:
                    return local
        following = self._nth_working_after(offset, 1)
        return self._at_second(date.fromordinal(following), self._windows[0][0])

    def message_time(self, t: datetime) -> datetime:
        """When a message to people raised at `t` may go: the next business time, or `t` itself
        when that opening lies in a year the calendar does not know. A message is never held
        for a day nobody can name."""
        try:
            return self.next_business_time(t)
        except CalendarNotCovered:
            return t

    # ---- business-time arithmetic -----------------------------------------------------

    @staticmethod
    def _second_of_day(local: datetime) -> float:
        return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6

    def _at_second(self, d: date, second: float) -> datetime:
        whole = int(second)
        micro = round((second - whole) * 1e6)
        clock = time(whole // 3600, whole % 3600 // 60, whole % 60, micro)
        return datetime.combine(d, clock, self.tz)

    def _within_day(self, local: datetime) -> timedelta:
        """Business time elapsed on the day of `local` up to `local` (wall clock)."""
        second = self._second_of_day(local)
        elapsed = 0.0
        for s, e in self._windows:
            if second <= s:
                break
            elapsed += min(second, e) - s
        return timedelta(seconds=elapsed)

    def _business_before(self, local: datetime) -> timedelta:
        """Business time from the calendar's first day up to `local`."""
        offset = self._offset(local.date())
        working_before = self._prefix[offset] - self._working[offset]
        cumulative = self._day_span * working_before
        if self._working[offset]:
            cumulative += self._within_day(local)
        return cumulative

    def _instant_at(self, cumulative: timedelta) -> datetime:
        """The earliest instant at which `cumulative` business time has elapsed (> 0)."""
        # A budget ending exactly at a window's close lands on that close, not the next opening.
        index = (cumulative - _MICROSECOND) // self._day_span
        if index >= len(self._ordinals):
            raise self._not_covered(self._provisional_year + 1)
        remaining = (cumulative - self._day_span * index).total_seconds()
        d = date.fromordinal(self._ordinals[index])
        for s, e in self._windows:
            if remaining <= e - s:
                return self._at_second(d, s + remaining)
            remaining -= e - s
        return self._at_second(d, self._windows[-1][1])  # pragma: no cover - float guard

    # ---- explanations -----------------------------------------------------------------

    def _skipped_runs(self, first: date, last: date) -> Iterator[str]:
        """Lines for holidays skipped and make-up days counted between two dates (inclusive)."""
        run: list[DayInfo] = []
        weekend_days = 0

        def close_run() -> Iterator[str]:
            nonlocal weekend_days
            if not run:
                return
            names = list(dict.fromkeys(i.holiday_name for i in run if i.holiday_name))
            if not names:
                weekend_days += len(run)
            else:
                span = (
                    _fmt_day(run[0].date)
                    if len(run) == 1
                    else f"{run[0].date.isoformat()} 至 {run[-1].date.isoformat()}"
                )
                tag = "（暂定）" if run[0].provisional else ""
                yield f"跳过 {span} {_holidays_label(names)}{tag}"
            run.clear()

        for o in range(first.toordinal(), last.toordinal() + 1):
            info = self._classify(date.fromordinal(o))
            if info.working:
                yield from close_run()
                if info.reason == "makeup_workday":
                    yield f"{_fmt_day(info.date)}为调休工作日（{info.holiday_name}），计入"
            else:
                run.append(info)
        yield from close_run()
        if weekend_days:
            yield f"其间周末 {weekend_days} 天不计"

    def _provisional_note(self, last: date) -> tuple[str, ...]:
        if last.year != self._provisional_year:
            return ()
        return (
            f"{self._provisional_year} 年国务院放假安排尚未公布，按法定节假日（含补假）和周末暂定，"
            "正式安排公布后重新计算",
        )

    def _explain_working_days(self, start_day: date, target: int, n: int) -> tuple[str, ...]:
        due_day = date.fromordinal(target)
        lines = [f"起算日 {_fmt_day(start_day)}不计入"]
        lines.extend(self._skipped_runs(start_day + timedelta(days=1), due_day))
        lines.append(
            f"第 {n} 个工作日 {_fmt_day(due_day)}，截止 {self.end_of_day.strftime('%H:%M:%S')}"
        )
        lines.extend(self._provisional_note(due_day))
        return tuple(lines)

    def _explain_working_hours(
        self, local: datetime, due_at: datetime, budget: timedelta
    ) -> tuple[str, ...]:
        windows = "、".join(
            f"{s.strftime('%H:%M')}-{e.strftime('%H:%M')}" for s, e in self.business_hours
        )
        lines = [
            f"起算时间 {_fmt_instant(local)}",
            f"只计工作日办公时间（{windows}）共 {_fmt_duration(budget)}",
        ]
        if due_at.date() > local.date():
            lines.extend(self._skipped_runs(local.date() + timedelta(days=1), due_at.date()))
        lines.append(f"截止 {_fmt_instant(due_at)}")
        lines.extend(self._provisional_note(due_at.date()))
        return tuple(lines)
