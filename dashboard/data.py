"""Cached access to the data layer for the Streamlit side: the snapshot being served and figures by value.

Snapshots are cached by the data layer (by folder and manifest); figures are cached here by
(view name, snapshot id, filters, role, extra arguments), all hashable values, never frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from data_access.snapshots import (
    Snapshot,
    SnapshotError,
    SnapshotState,
    snapshot_root,
    snapshot_state,
)

T = TypeVar("T")
logger = logging.getLogger(__name__)
_STATE_TTL_SECONDS = 30.0
_FIGURE_CACHE_SIZE = 2048

_state_lock = threading.Lock()
_state_cache: dict[str, tuple[float, SnapshotState]] = {}
_figures: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_figures_lock = threading.Lock()
_DERIVED_CACHE_SIZE = 1024
_derived: OrderedDict[tuple[Hashable, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
_derived_lock = threading.Lock()


def current_state(root: Path | None = None) -> SnapshotState:
    """The root's snapshot state, re-checked at most every 30 seconds so a newly published snapshot is seen."""
    root = root or snapshot_root()
    key = str(root)
    now = time.monotonic()
    with _state_lock:
        cached = _state_cache.get(key)
        if cached and now - cached[0] < _STATE_TTL_SECONDS:
            return cached[1]
    state = snapshot_state(root)
    with _state_lock:
        _state_cache[key] = (now, state)
    return state


def refresh_state() -> None:
    """Forget the cached snapshot state (after a publish, or in tests)."""
    with _state_lock:
        _state_cache.clear()


def cached(view: Callable[..., T], snapshot: Snapshot, *args: Hashable, **kwargs: Hashable) -> T:
    """Call ``view(snapshot, *args, **kwargs)`` once per distinct (view, snapshot id, arguments) and reuse it.

    The arguments are the filters, the role and small values (periods, dates), all hashable, so a filter
    change that returns to an earlier view is served from memory.
    """
    key = (view.__module__, view.__qualname__, snapshot.id, args, tuple(sorted(kwargs.items())))
    with _figures_lock:
        if key in _figures:
            _figures.move_to_end(key)
            return _figures[key]  # type: ignore[no-any-return]
    try:
        value = view(snapshot, *args, **kwargs)
    except Exception as error:
        if not snapshot.unchanged():  # a file went missing or was replaced while being served
            raise SnapshotError(f"The snapshot {snapshot.folder.name} could not be read: {error}") from error
        # The data are as validated: this is a fault in the code. It stays an error (shown and logged), and the
        # snapshot stays served.
        logger.exception("%s failed on snapshot %s", view.__qualname__, snapshot.id)
        raise
    with _figures_lock:
        _figures[key] = value
        while len(_figures) > _FIGURE_CACHE_SIZE:
            _figures.popitem(last=False)
    return value


def _key_part(value: Any) -> Hashable:
    """A value as part of a cache key: itself when hashable, a tuple for a list, else its identity."""
    if isinstance(value, list | tuple):
        return tuple(_key_part(item) for item in value)
    if isinstance(value, dict):
        return ("dict", tuple((k, _key_part(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value  # type: ignore[no-any-return]


def derived(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` once per (fn, arguments): a page's shaping of cached figures for a chart or a
    table (a long form, comparator lines, the funnel's points), not redone on a rerun that changed nothing.

    Frames and tables are matched by identity: figures come from ``cached``, so a rerun passes the same
    objects again. The entry keeps its arguments alive, so an id in a key cannot be reused by another object
    while the entry exists. Pass only objects from ``cached`` (a frame made on the page is new every rerun).
    """
    key = (fn.__module__, fn.__qualname__, _key_part(args), _key_part(sorted(kwargs.items())))
    with _derived_lock:
        if key in _derived:
            _derived.move_to_end(key)
            return _derived[key][1]  # type: ignore[no-any-return]
    value = fn(*args, **kwargs)
    with _derived_lock:
        _derived[key] = ((*args, *kwargs.values()), value)
        while len(_derived) > _DERIVED_CACHE_SIZE:
            _derived.popitem(last=False)
    return value


def clear_figures() -> None:
    """Forget every cached figure (and what pages derived from them)."""
    with _figures_lock:
        _figures.clear()
    with _derived_lock:
        _derived.clear()
