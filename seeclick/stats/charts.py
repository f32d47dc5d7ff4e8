"""Small charts drawn as SVG on the server: no script, readable by a screen reader through its table."""

from markupsafe import Markup, escape


def weekly_line(points: list[tuple[str, float | None]], unit: float = 86400, width: int = 640, height: int = 200,
                label: str = "", unit_label: str = "") -> Markup:
    """A line of values (e.g. median days to close) over weeks; gaps where a week has none."""
    values = [v / unit for _, v in points if v is not None]
    if not values:
        return Markup("")
    top = max(values) * 1.15 or 1
    left, bottom, right, top_pad = 44, 28, 8, 8
    step = (width - left - right) / max(1, len(points) - 1)

    def y(value):
        return top_pad + (height - top_pad - bottom) * (1 - value / top)

    segments, current = [], []
    for i, (_, v) in enumerate(points):
        if v is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{left + i * step:.1f},{y(v / unit):.1f}")
    if current:
        segments.append(current)
    lines = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="#1d4ed8" stroke-width="2.5"/>'
                    for s in segments)
    dots = "".join(f'<circle cx="{left + i * step:.1f}" cy="{y(v / unit):.1f}" r="3" fill="#1d4ed8"/>'
                   for i, (_, v) in enumerate(points) if v is not None)
    ticks = "".join(
        f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e5e7eb"/>'
        f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" fill="#4b5563">{t:g}</text>'
        for t in _ticks(top))
    first, last = escape(points[0][0]), escape(points[-1][0])
    axis = (f'<text x="{left}" y="{height - 8}" font-size="11" fill="#4b5563">{first}</text>'
            f'<text x="{width - right}" y="{height - 8}" font-size="11" fill="#4b5563" text-anchor="end">{last}</text>')
    axis += f'<text x="4" y="{top_pad + 10}" font-size="11" fill="#4b5563">{escape(unit_label)}</text>'
    return Markup(f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
                  f'class="chart" preserveAspectRatio="none">{ticks}{lines}{dots}{axis}</svg>')


def _ticks(top: float) -> list[float]:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100):
        if top / step <= 5:
            return [step * i for i in range(0, int(top / step) + 1)]
    return [0, top]
