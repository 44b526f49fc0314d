"""``render_mode="rgb_array"``: the student's course so far as an image.

One frame shows, by course week: VLE clicks (bars), the classifier's P(success)
(line), assessment scores / 100 (dots), the interventions delivered (letters above
the weeks) and, in the title, the student, the week and the tutor hours used. Drawn
with matplotlib's Agg canvas (no display needed); matplotlib is imported on the
first frame only.
"""

from __future__ import annotations

import numpy as np

from studentgym.simulators.batch import SIMULATED_FEATURES
from studentgym.simulators.interventions import MARKS

FRAME_SIZE = (600, 400)
"""Width and height of a frame, pixels."""
_DPI = 100
_LEGEND = "interventions: S study skills, N nudge, P practice, R referral, C call"
_RED, _BLUE = "#d62728", "#08519c"
_CLICKS, _SUBMISSIONS, _SCORE = (
    SIMULATED_FEATURES.index(name) for name in ("clicks_last_week", "submissions", "score_last")
)


class CourseHistory:
    """What happened to one student week by week, for drawing.

    Arrays over weeks ``0 .. n_weeks``: NaN where not reached (scores: where nothing
    was submitted), action 0 where none was delivered.
    """

    def __init__(self, n_weeks: int) -> None:
        self.n_weeks = n_weeks
        self.clicks = np.full(n_weeks + 1, np.nan)
        self.p_success = np.full(n_weeks + 1, np.nan)
        self.score = np.full(n_weeks + 1, np.nan)
        self.action = np.zeros(n_weeks + 1, dtype=np.int64)
        self._submissions = 0.0

    def record(self, week: int, features: np.ndarray, p_success: float, action: int) -> None:
        """The student after ``week`` weeks: ``features`` in ``SIMULATED_FEATURES`` order,
        ``action`` the intervention delivered in the step that led here (0 if none)."""
        week = min(week, self.n_weeks)
        self.clicks[week] = features[_CLICKS]
        self.p_success[week] = p_success
        self.action[week] = action
        if features[_SUBMISSIONS] > self._submissions:  # a new submission this week
            self.score[week] = features[_SCORE]
        self._submissions = features[_SUBMISSIONS]


def draw_course(history: CourseHistory, title: str) -> np.ndarray:
    """The frame for ``history``: ``(400, 600, 3)`` uint8 RGB."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = FRAME_SIZE
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    canvas = FigureCanvasAgg(figure)
    clicks_axis = figure.add_axes((0.1, 0.16, 0.78, 0.68))
    weeks = np.arange(history.n_weeks + 1)
    clicks = np.nan_to_num(history.clicks)
    clicks_axis.bar(weeks, clicks, color="#9ecae1", width=0.8)
    clicks_axis.set(xlim=(-0.5, history.n_weeks + 0.5), ylim=(0, max(clicks.max(), 1) * 1.1))
    clicks_axis.set_xlabel("course week")
    clicks_axis.set_ylabel("VLE clicks (bars)")
    above = clicks_axis.get_xaxis_transform()  # x in weeks, y in axes fractions
    for week in np.flatnonzero(history.action):
        mark = MARKS[history.action[week]]
        clicks_axis.text(week, 1.02, mark, transform=above, ha="center", color=_RED, fontsize=8)
    chance_axis = clicks_axis.twinx()
    chance_axis.plot(weeks, history.p_success, "-o", color=_BLUE, lw=2, ms=3, label="P(success)")
    chance_axis.plot(weeks, history.score / 100, "o", color="#ff7f0e", ms=4, label="score / 100")
    chance_axis.set_ylim(0, 1)
    chance_axis.legend(loc="upper right", fontsize=7, frameon=False)
    figure.text(0.5, 0.02, _LEGEND, ha="center", fontsize=7, color=_RED)
    figure.suptitle(title, fontsize=9)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
