"""Plots of the review statistics, drawn on the server as SVG, shown as `data:` images.

matplotlib styles its SVG inline (a <style> element and style attributes), which the page's
Content-Security-Policy forbids in the page itself; inside an image they are the image's own.

matplotlib's object-oriented Figure API, no pyplot: no global figure registry, nothing to close,
no GUI backend. matplotlib is imported on the first drawing only (0.5-1 s), so
processes that load the URLconf without drawing anything do not pay for it. Text stays text
(`svg.fonttype = none`), so the browser renders it, Chinese usernames included.
"""

import base64
import functools
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FIGSIZE = (5.0, 3.2)
ACCEPT_COLOUR = "#2e7d32"
REJECT_COLOUR = "#c62828"
BAR_COLOUR = "#1f3a5f"
ACCENT_COLOUR = "#e07a24"
MUTED_COLOUR = "#6b7280"
MARGINS = {"left": 0.11, "right": 0.97, "bottom": 0.14, "top": 0.84}
STYLE = {
    "svg.fonttype": "none",
    "text.parse_math": False,  # a "$" in a username or criterion key is not TeX
    "font.family": ["Noto Sans CJK SC", "DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@functools.cache
def _figure_class() -> "type[Figure]":
    """Import matplotlib and set the style, once per process; the settings are process-wide
    (matplotlib reads them while saving), and this module is their only user."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(STYLE)
    return Figure


def _new_figure(*, columns: int = 1, fit_labels: bool = False) -> tuple["Figure", list["Axes"]]:
    """A figure of FIGSIZE with `columns` axes side by side. Fixed margins suit labels of a
    known length; `fit_labels` makes room for names of any length (constrained layout, which
    about doubles the drawing time)."""
    figure = _figure_class()(figsize=FIGSIZE, layout="constrained" if fit_labels else None)
    if not fit_labels:
        figure.subplots_adjust(**MARGINS)
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)


def _to_svg(figure: "Figure") -> str:
    """The figure as an <svg> element, without the XML declaration, doctype or date."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def data_uri(svg: str) -> str:
    """An SVG as the src of an <img>."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _empty(title: str, sentence: str) -> str:
    figure, (axes,) = _new_figure()
    axes.set_title(title)
    axes.set_axis_off()
    axes.text(0.5, 0.5, sentence, ha="center", va="center", color=MUTED_COLOUR, wrap=True)
    return _to_svg(figure)


def _title_and_legend(axes: "Axes", title: str) -> None:
    """The title on top and the legend in one row between it and the plot, over no data."""
    axes.set_title(title, pad=16)
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=4,
        fontsize=7,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.5,
        columnspacing=1.2,
    )


def _label(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def auto_vs_human_svg(
    points: Sequence[Mapping], *, threshold: float, suggested: float | None = None
) -> str:
    """Auto score against the mean human overall per evaluated run, accepted and rejected
    runs marked apart; a solid line at the current threshold, a dashed one at the suggested."""
    title = "Auto score vs human overall"
    if not points:
        return _empty(title, "No evaluations yet")
    figure, (axes,) = _new_figure()
    for accepted, marker, colour, name in (
        (True, "o", ACCEPT_COLOUR, "human accept"),
        (False, "x", REJECT_COLOUR, "human reject"),
    ):
        chosen = [point for point in points if point["accept"] is accepted]
        axes.scatter(
            [point["auto"] for point in chosen],
            [point["human"] for point in chosen],
            marker=marker,
            s=18,
            color=colour,
            alpha=0.75,
            label=f"{name} ({len(chosen)})",
        )
    axes.axvline(threshold, color=BAR_COLOUR, linewidth=1.2, label=f"threshold {threshold:g}")
    if suggested is not None and suggested != threshold:
        axes.axvline(
            suggested, color=ACCENT_COLOUR, linestyle="--", label=f"suggested {suggested:g}"
        )
    axes.set(xlim=(-0.3, 10.3), ylim=(0.5, 10.5), xlabel="auto score", ylabel="human overall")
    _title_and_legend(axes, title)
    return _to_svg(figure)


def overall_histogram_svg(overalls: Sequence[float], *, pass_mark: float) -> str:
    """How the evaluators' overall scores spread over 1-10, one bar per whole score, with a
    dashed line at the step's human pass mark."""
    title = "Human overall scores"
    if not overalls:
        return _empty(title, "No evaluations yet")
    figure, (axes,) = _new_figure()
    axes.hist(overalls, bins=[edge + 0.5 for edge in range(11)], color=BAR_COLOUR, rwidth=0.85)
    axes.axvline(pass_mark, color=ACCENT_COLOUR, linestyle="--", label=f"pass mark {pass_mark:g}")
    axes.set_xticks(range(1, 11))
    axes.set(xlim=(0.4, 10.6), xlabel="overall", ylabel="evaluations")
    axes.yaxis.get_major_locator().set_params(integer=True)
    _title_and_legend(axes, f"{title} (n={len(overalls)})")
    return _to_svg(figure)


def threshold_history_svg(
    history: Sequence[Mapping], *, current: float, now: datetime | None = None
) -> str:
    """The step's threshold over time: a step line through every change (oldest first),
    manual changes as squares, calibrations as circles, extended to `now` at the current value."""
    title = "Threshold history"
    if not history:
        return _empty(title, f"No threshold changes yet (current threshold {current:g})")
    from matplotlib import dates

    figure, (axes,) = _new_figure()
    times = [history[0]["created_at"], *(change["created_at"] for change in history)]
    values = [history[0]["old"], *(change["new"] for change in history)]
    if now is not None:
        times.append(now)
        values.append(current)
    axes.step(times, values, where="post", color=BAR_COLOUR, linewidth=1.2)
    for reason, marker, colour in (
        ("manual", "s", ACCENT_COLOUR),
        ("calibration", "o", ACCEPT_COLOUR),
    ):
        chosen = [change for change in history if change["reason"] == reason]
        axes.scatter(
            [change["created_at"] for change in chosen],
            [change["new"] for change in chosen],
            marker=marker,
            color=colour,
            zorder=3,
            label=f"{reason} ({len(chosen)})",
        )
    locator = dates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    axes.set(ylim=(0, 10.3), ylabel="threshold")
    _title_and_legend(axes, f"{title} (now {current:g})")
    return _to_svg(figure)


def agreement_svg(*, criteria: Mapping[str, float | None], overall: float | None) -> str:
    """Krippendorff's alpha per criterion and on the overall score; an undefined alpha is an
    empty slot labelled n/a."""
    title = "Agreement between evaluators (Krippendorff's alpha)"
    if not criteria and overall is None:
        return _empty(title, "No item has two evaluations yet")
    figure, (axes,) = _new_figure(fit_labels=True)
    names = [*criteria, "overall"]
    alphas = [*criteria.values(), overall]
    heights = [alpha or 0.0 for alpha in alphas]
    colours = [BAR_COLOUR] * len(criteria) + [ACCENT_COLOUR]
    bars = axes.bar(range(len(names)), heights, color=colours, width=0.65)
    axes.bar_label(bars, labels=[_label(alpha) for alpha in alphas], padding=2, fontsize=7)
    axes.axhline(0, color=MUTED_COLOUR, linewidth=0.8)
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes.set(ylim=(min(0.0, *heights) - 0.1, 1.1), ylabel="alpha")
    axes.set_title(title)
    return _to_svg(figure)


def throughput_svg(rows: Sequence[Mapping]) -> str:
    """Items per hour of review time and median seconds per item, one bar per evaluator."""
    title = "Throughput"
    if not rows:
        return _empty(title, "No evaluations yet")
    figure, axes_pair = _new_figure(columns=2, fit_labels=True)
    names = [row["username"] for row in rows]
    positions = range(len(rows))
    for axes, key, heading, digits in (
        (axes_pair[0], "items_per_hour", "items per hour", 1),
        (axes_pair[1], "median_seconds", "median seconds per item", 0),
    ):
        values = [row[key] for row in rows]
        bars = axes.barh(positions, [value or 0 for value in values], color=BAR_COLOUR)
        axes.bar_label(bars, labels=[_label(v, digits) for v in values], padding=2, fontsize=7)
        axes.set_yticks(positions, names)
        axes.invert_yaxis()
        axes.margins(x=0.25)
        axes.set_title(heading)
    axes_pair[1].tick_params(labelleft=False)
    figure.suptitle(title, fontsize=9)
    return _to_svg(figure)
