"""Write a deterministic, synthetic, contract-valid demo snapshot (fictional schools and children only).

The demo is for people (trying the dashboard) and benchmarks (``--children 100000`` is about 100 million
attendance rows). Everything is drawn from one seeded numpy ``Generator`` tree, so the same arguments give
byte-identical Parquet files; nothing depends on the wall clock. Attendance is generated and streamed to
disk in chunks of children, so memory stays flat however many children are asked for.

The shape of the data follows the programme: seven fictional schools in Leigh, Atherton and Tyldesley;
children identified in cohorts from September 2024 and enrolled a few weeks later; a baseline academic year
of attendance before enrolment with high, clustered absence that improves gradually on the programme;
referrals (mental health the most common, falling after enrolment), suspensions in secondary years and a
few permanent exclusions; SDQ, wellbeing and attainment assessments at baseline, every six months and exit.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_access.contract import TABLE_FILES, arrow_schema
from data_access.demo_children import (
    _ABSENCE_EPISODE_CODES,
    _C,
    CALENDAR_START,
    CHUNK_CHILDREN,
    CODE_VOCAB,
    DEMO_SCHOOLS,
    EXIT_REASONS_DRAWN,
    MEASURES_DRAWN,
    PARQUET_OPTIONS,
    REASONS_DRAWN,
    REFERRAL_AFTER,
    REFERRAL_RATE,
    REFERRAL_SERVICE,
    REVIEWS_MAX,
    ROW_GROUP_ROWS,
    SEN_DRAWN,
    SERVICES_DRAWN,
    SEXES_DRAWN,
    WAVES_DRAWN,
    BoolArray,
    IntArray,
    _academic_year_of,
    _Children,
    _draw_children,
    _draw_events,
    _draw_exclusions,
    _epoch_days,
    _Events,
    _expand,
    _poisson_days,
    _Segments,
    _segments,
    school_days,
)
from data_access.manifest import write_manifest
from data_access.periods import easter_sunday

__all__ = ["DEMO_SCHOOLS", "easter_sunday", "school_days", "write_demo_snapshot"]


def _attendance_chunk(
    rng: np.random.Generator,
    kids: _Children,
    rows: slice,
    calendar: IntArray,
    closures: BoolArray,
    events: _Events,
    child_ids: pa.Array,
) -> pa.Table:
    """Attendance rows (two sessions a school day) for the children in ``rows``, sorted by child then date."""
    first, end = kids.first_day[rows], kids.end_day[rows]
    n_days = np.maximum(end - first, 0)
    owner, position = _expand(n_days)
    day_index = first[owner] + position
    day = calendar[day_index]
    total = owner.size
    child_end = (np.cumsum(n_days))[owner]  # one past the child's last day, as a chunk position

    # Daily absence probability: the child's baseline propensity, higher in winter, falling gradually over
    # the first year on the programme by the child's own response.
    enrolled = kids.enrolled[rows][owner]
    on_programme = (enrolled >= 0) & (day >= enrolled)
    ramp = np.clip((day - enrolled) / 365.0, 0.0, 1.0)
    factor = np.where(on_programme, 1.0 - kids.response[rows][owner] * ramp, 1.0)
    season = 1.0 + 0.18 * np.cos(2.0 * np.pi * ((day - 15) % 365.25) / 365.25)
    p_day = np.clip(kids.absence[rows][owner] * season * factor, 0.0, 0.97)

    # Clustered absence: episodes start with probability q a day and last a geometric number of days, so
    # that the share of days covered is about p_day (1 - exp(-q * mean length)).
    mean_length = kids.episode_length[rows][owner]
    q = np.minimum(-np.log1p(-p_day) / mean_length, 1.0)
    starts = np.flatnonzero(rng.random(total) < q)
    lengths = rng.geometric(1.0 / mean_length[starts])
    stops = np.minimum(starts + lengths, child_end[starts])
    cover = np.cumsum(np.bincount(starts, minlength=total + 1) - np.bincount(stops, minlength=total + 1))[
        :total
    ]
    absent_day = cover > 0

    # One code per episode (illness runs stay illness), carried forward over the days it covers.
    unauth = rng.random(starts.size) < kids.unauthorised[rows][owner[starts]]
    auth_codes, auth_p, unauth_codes, unauth_p = _ABSENCE_EPISODE_CODES
    episode_code = np.where(
        unauth,
        np.array([_C[c] for c in unauth_codes])[rng.choice(3, size=starts.size, p=unauth_p)],
        np.array([_C[c] for c in auth_codes])[rng.choice(3, size=starts.size, p=auth_p)],
    ).astype(np.uint8)
    latest = np.full(total, -1, np.int64)
    latest[starts] = np.arange(starts.size)
    latest = np.maximum.accumulate(latest)
    day_code = episode_code[np.maximum(latest, 0)] if starts.size else np.zeros(total, np.uint8)

    codes = np.empty(2 * total, np.uint8)
    am, pm = codes[0::2], codes[1::2]
    am[:] = np.where(rng.random(total) < kids.late[rows][owner], _C["L"], _C["/"])
    pm[:] = _C["\\"]
    rare = rng.random(total)
    am[rare < 0.002] = _C["B"]
    # An absent day is usually both sessions; sometimes only the morning or the afternoon.
    part = rng.random(total)
    am[absent_day & (part < 0.93)] = day_code[absent_day & (part < 0.93)]
    pm_absent = absent_day & ((part < 0.87) | (part >= 0.93))
    pm[pm_absent] = day_code[pm_absent]
    # Appointments and late-after-registers on otherwise present days.
    single = ~absent_day & (rng.random(total) < 0.06 * kids.absence[rows][owner] + 0.002)
    am[single] = np.where(rng.random(int(single.sum())) < 0.7, _C["M"], _C["U"])

    # Not possible sessions: whole-school closures, and the odd transport failure or off-roll session.
    closed = closures[kids.school[rows][owner], day_index]
    rare2 = rng.random(total)
    for code, mask in (
        (_C["Y1"], rare2 < 0.0008),
        (_C["X"], (rare2 >= 0.0008) & (rare2 < 0.0011)),
        (_C["#"], closed),
    ):
        am[mask] = code
        pm[mask] = code

    # Suspension and exclusion sessions are recorded as E (excluded, authorised), from the AM session on.
    lo_event, hi_event = np.searchsorted(events.child, [rows.start, rows.stop])
    event_child = events.child[lo_event:hi_event] - rows.start
    if event_child.size:
        chunk_start = np.cumsum(n_days) - n_days
        start_pos = 2 * (chunk_start[event_child] + events.day_index[lo_event:hi_event] - first[event_child])
        stop_pos = 2 * (chunk_start[event_child] + n_days[event_child])
        which, step = _expand(events.sessions[lo_event:hi_event])
        pos = start_pos[which] + step
        codes[pos[pos < stop_pos[which]]] = _C["E"]

    session_owner = np.repeat(owner, 2)
    dates = np.repeat(day, 2).astype(np.int32).astype("datetime64[D]")
    return pa.Table.from_arrays(
        [
            pc.take(child_ids, pa.array(session_owner.astype(np.int32))),
            pa.array(dates, type=pa.date32()),
            pc.take(pa.array(["AM", "PM"]), pa.array(np.tile(np.arange(2, dtype=np.int8), total))),
            pc.take(pa.array(list(CODE_VOCAB)), pa.array(codes)),
        ],
        schema=arrow_schema("attendance"),
    )


def _dates(days: IntArray, null: BoolArray | None = None) -> pa.Array:
    values = np.asarray(days, np.int64).astype(np.int32).astype("datetime64[D]")
    return pa.array(values, type=pa.date32(), mask=null)


def _strings(vocab: tuple[str, ...], index: IntArray, null: BoolArray | None = None) -> pa.Array:
    values = pc.take(pa.array(list(vocab)), pa.array(np.maximum(index, 0).astype(np.int32)))
    if null is None:
        return values
    return pc.if_else(pa.array(null), pa.nulls(len(values), pa.string()), values)


def _ids(prefix: str, count: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{n:0{width}d}" for n in range(1, count + 1)], type=pa.string())


def _referrals(
    rng: np.random.Generator, kids: _Children, segments: _Segments, calendar: IntArray, child_ids: pa.Array
) -> pa.Table:
    """Referrals at about 0.6 a child a year; mental health the most common, and falling after enrolment."""
    lo, split, hi = segments
    heterogeneity = rng.gamma(2.0, 0.5, kids.school.size)
    parts = []
    for reason_index in range(len(REASONS_DRAWN)):
        for start, stop, multiplier in ((lo, split, 1.0), (split, hi, REFERRAL_AFTER[reason_index])):
            child, day_index = _poisson_days(
                rng, heterogeneity * REFERRAL_RATE[reason_index] * multiplier, start, stop
            )
            parts.append((child, day_index, np.full(child.size, reason_index)))
    child = np.concatenate([p[0] for p in parts])
    day_index = np.concatenate([p[1] for p in parts])
    reason = np.concatenate([p[2] for p in parts])
    cumulative = np.cumsum(REFERRAL_SERVICE, axis=1)
    service = np.minimum((rng.random(child.size)[:, None] > cumulative[reason]).sum(axis=1), 5)
    order = np.lexsort((reason, day_index, child))
    child, day_index, reason, service = child[order], day_index[order], reason[order], service[order]
    return pa.Table.from_arrays(
        [
            _ids("REF", child.size, 7),
            child_ids.take(pa.array(child)),
            _dates(calendar[day_index]),
            _strings(SERVICES_DRAWN, service),
            _strings(REASONS_DRAWN, reason),
        ],
        schema=arrow_schema("referrals"),
    )


def _assessments(
    rng: np.random.Generator, kids: _Children, calendar: IntArray, snapshot: int, child_ids: pa.Array
) -> pa.Table:
    """Baseline, six-monthly review and exit scores for every enrolled child, improving on average."""
    n = kids.school.size
    enrolled = kids.enrolled
    is_enrolled = enrolled >= 0
    end = np.where(kids.exit >= 0, kids.exit, snapshot)
    baseline_index = np.searchsorted(calendar, np.maximum(enrolled, 0)) + rng.integers(0, 10, n)
    baseline = calendar[np.minimum(baseline_index, calendar.size - 1)]
    wave_dates = [baseline]
    wave_valid = [is_enrolled & (baseline <= np.minimum(end, snapshot))]
    wave_kind = [0]
    for k in range(1, REVIEWS_MAX + 1):
        review_index = np.searchsorted(calendar, enrolled + 182 * k + rng.integers(-10, 11, n))
        review = calendar[np.minimum(review_index, calendar.size - 1)]
        wave_dates.append(review)
        wave_valid.append(wave_valid[0] & (review < end) & (review <= snapshot) & (review > baseline))
        wave_kind.append(1)
    completed = (kids.exit_reason == 0) & wave_valid[0] & (kids.exit > baseline)
    wave_dates.append(kids.exit)
    wave_valid.append(completed)
    wave_kind.append(2)

    dates = np.stack(wave_dates, axis=1)
    valid = np.stack(wave_valid, axis=1)
    kinds = np.broadcast_to(np.array(wave_kind), dates.shape)
    child, wave = np.nonzero(valid)
    when = dates[child, wave]
    kind = kinds[child, wave]
    ramp = np.clip((when - enrolled[child]) / 365.0, 0.0, 1.2)

    # Per child: a baseline level and a change after a year per measure (better response, more change).
    z = kids.response_z
    specs = (  # mean, sd, change mean, change sd, noise sd, low, high, response sign
        (17.0, 6.0, -3.9, 3.3, 1.5, 0.0, 40.0, -1.0),
        (5.2, 2.2, 1.1, 1.6, 0.8, 0.0, 10.0, 1.0),
        (40.0, 8.0, 3.0, 4.5, 2.5, 12.0, 60.0, 1.0),
    )
    columns_child, columns_date, columns_wave, columns_measure, columns_score = [], [], [], [], []
    for measure_index, name in enumerate(MEASURES_DRAWN):
        if measure_index < 3:
            mean, sd, change, change_sd, noise, low, high, sign = specs[measure_index]
            level = rng.normal(mean, sd, n)
            delta = change + sign * 0.3 * change_sd * z + rng.normal(0.0, change_sd * 0.95, n)
        else:
            low, high, noise = 1.0, 4.0, 0.25
            level = 1.0 + rng.choice(4, size=n, p=[0.35, 0.45, 0.17, 0.03]) + rng.uniform(-0.45, 0.45, n)
            delta = 0.35 + 0.1 * z + rng.normal(0.0, 0.4, n)
        score = level[child] + delta[child] * ramp + rng.normal(0.0, noise, child.size)
        score = np.clip(np.rint(score), low, high)
        keep = (kind == 0) | (rng.random(child.size) >= 0.03)
        if name.startswith("sdq"):
            keep |= kind == 2
        columns_child.append(child[keep])
        columns_date.append(when[keep])
        columns_wave.append(kind[keep])
        columns_measure.append(np.full(int(keep.sum()), measure_index))
        columns_score.append(score[keep])
    child = np.concatenate(columns_child)
    when = np.concatenate(columns_date)
    wave = np.concatenate(columns_wave)
    measure = np.concatenate(columns_measure)
    score = np.concatenate(columns_score)
    order = np.lexsort((measure, wave, when, child))
    return pa.Table.from_arrays(
        [
            child_ids.take(pa.array(child[order])),
            _dates(when[order]),
            _strings(WAVES_DRAWN, wave[order]),
            _strings(MEASURES_DRAWN, measure[order]),
            pa.array(score[order].astype(np.float64), type=pa.float64()),
        ],
        schema=arrow_schema("assessments"),
    )


def _closures(rng: np.random.Generator, calendar: IntArray) -> BoolArray:
    """One whole-school closure day (code #) per school per academic year."""
    closures = np.zeros((len(DEMO_SCHOOLS), calendar.size), np.bool_)
    years = _academic_year_of(calendar)
    for year in np.unique(years):
        in_year = np.flatnonzero(years == year)
        closures[np.arange(len(DEMO_SCHOOLS)), rng.choice(in_year, size=len(DEMO_SCHOOLS))] = True
    return closures


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, **PARQUET_OPTIONS)


def write_demo_snapshot(
    out_root: Path, children: int = 250, seed: int = 2026, snapshot_date: str = "2026-11-20"
) -> Path:
    """Write a synthetic, contract-valid snapshot to ``out_root/<snapshot_date>/`` and return the folder.

    The snapshot is written to a hidden sibling folder first and renamed into place at the end, so a
    half-written demo never looks like a snapshot. The same arguments always give byte-identical files.

    Args:
        out_root: The snapshot root; created when missing.
        children: How many children (at least 1). 250 is the board-sized demo; 100,000 is the benchmark.
        seed: Seed of the random generator.
        snapshot_date: The snapshot's as-of date (YYYY-MM-DD); nothing in the snapshot is dated after it.

    Returns:
        The snapshot folder ``out_root/<snapshot_date>``.

    Raises:
        FileExistsError: The target folder already exists (a snapshot is never overwritten).
        ValueError: ``children`` is below 1, or the date is not a date on or after October 2024.
    """
    if children < 1:
        raise ValueError(f"children must be at least 1, got {children}")
    as_of = date.fromisoformat(snapshot_date)
    out_root = Path(out_root)
    target = out_root / as_of.isoformat()
    if target.exists():
        raise FileExistsError(
            f"{target} already exists; a snapshot is never overwritten (choose another root)"
        )

    snapshot = _epoch_days(as_of)
    calendar = np.array(
        [_epoch_days(d) for d in school_days(CALENDAR_START, as_of + timedelta(days=800))], dtype=np.int64
    )
    streams = np.random.SeedSequence([seed, children]).spawn(8)
    rng_children, rng_exclusions, rng_events, rng_referrals, rng_assessments, rng_closures, *_ = (
        np.random.default_rng(s) for s in streams
    )
    kids = _draw_children(rng_children, children, calendar, snapshot)
    pex_index = _draw_exclusions(rng_exclusions, kids, calendar, snapshot)
    segments = _segments(kids, calendar)
    events = _draw_events(rng_events, kids, segments, pex_index)
    width = max(6, len(str(children)))
    child_ids = pa.array([f"C{n:0{width}d}" for n in range(1, children + 1)], type=pa.string())
    closures = _closures(rng_closures, calendar)

    out_root.mkdir(parents=True, exist_ok=True)
    staging = out_root / f".{as_of.isoformat()}.tmp-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)  # a leftover of an earlier run of this very process id
    staging.mkdir()
    try:
        _write(
            pa.Table.from_arrays(
                [pa.array([s[i] for s in DEMO_SCHOOLS], type=pa.string()) for i in range(4)],
                schema=arrow_schema("schools"),
            ),
            staging / TABLE_FILES["schools"],
        )
        no_enrol, no_exit = kids.enrolled < 0, kids.exit < 0
        _write(
            pa.Table.from_arrays(
                [
                    child_ids,
                    _strings(tuple(s[0] for s in DEMO_SCHOOLS), kids.school),
                    pa.array(kids.year_group.astype(np.int8), type=pa.int8()),
                    _strings(SEXES_DRAWN, kids.sex),
                    pa.array(kids.fsm, type=pa.bool_()),
                    _strings(SEN_DRAWN, kids.sen),
                    _dates(kids.identified),
                    _dates(np.maximum(kids.enrolled, 0), no_enrol),
                    _dates(np.maximum(kids.exit, 0), no_exit),
                    _strings(EXIT_REASONS_DRAWN, kids.exit_reason, no_exit),
                ],
                schema=arrow_schema("children"),
            ),
            staging / TABLE_FILES["children"],
        )
        _write(
            _referrals(rng_referrals, kids, segments, calendar, child_ids), staging / TABLE_FILES["referrals"]
        )
        _write(
            pa.Table.from_arrays(
                [
                    _ids("EVT", events.child.size, 7),
                    child_ids.take(pa.array(events.child)),
                    _dates(calendar[events.day_index]),
                    _strings(("suspension", "permanent_exclusion"), events.kind),
                    pa.array(events.sessions.astype(np.int16), type=pa.int16()),
                ],
                schema=arrow_schema("suspensions"),
            ),
            staging / TABLE_FILES["suspensions"],
        )
        _write(
            _assessments(rng_assessments, kids, calendar, snapshot, child_ids),
            staging / TABLE_FILES["assessments"],
        )

        attendance_streams = np.random.SeedSequence([seed, children, 1]).spawn(-(-children // CHUNK_CHILDREN))
        with pq.ParquetWriter(
            staging / TABLE_FILES["attendance"],
            arrow_schema("attendance"),
            **PARQUET_OPTIONS,
        ) as writer:
            for chunk, stream in enumerate(attendance_streams):
                rows = slice(chunk * CHUNK_CHILDREN, min((chunk + 1) * CHUNK_CHILDREN, children))
                table = _attendance_chunk(
                    np.random.default_rng(stream), kids, rows, calendar, closures, events,
                    child_ids.slice(rows.start, rows.stop - rows.start),
                )  # fmt: skip
                writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
                del table
        write_manifest(staging, as_of.isoformat(), demo=True)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
