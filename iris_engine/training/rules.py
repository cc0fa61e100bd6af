"""A course version's pass rules: attendance (a share of its active minutes) and, where the
course has a knowledge check, the pass mark."""

from __future__ import annotations

from iris_engine.training.models import Course

__all__ = ["passes"]


def passes(course: Course, minutes_present: int, score: int | None) -> bool:
    """Whether a learner present ``minutes_present`` minutes, with ``score`` (percent), passes.
    Compared in whole numbers: 80% of 180 minutes is 144, and 144 passes."""
    attended = minutes_present * 100 >= course.attendance_threshold * course.active_minutes
    if course.pass_mark is None:
        return attended
    return attended and score is not None and score >= course.pass_mark
