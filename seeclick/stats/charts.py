"""Small charts drawn as SVG on the server: no script, readable by a screen reader through its table.

Drawn 400 units wide with text of 15 units, so that on a phone 360 pixels wide (a chart about 330
wide) the text is at least 12 pixels high; the page caps the chart's width at 720 pixels.
"""

from markupsafe import Markup, escape

WIDTH, HEIGHT, FONT = 400, 220, 15
LINE = "#1d4ed8"
BAND = "#bfdbfe"


def weekly_line(points: list[tuple[str, float | None, float | None, float | None]], unit: float = 86400,
                label: str = "", unit_label: str = "") -> Markup:
    """A line of values over periods with its 95% band: (period label, value, low, high) in seconds; a gap where a
    period has no value, the band open-ended (to the top) where its upper bound is not known yet."""
    values = [v / unit for _, v, _, _ in points if v is not None]
    if not values:
        return Markup("")
    highs = [h / unit for _, v, _, h in points if v is not None and h is not None]
    top = max(values + highs) * 1.1 or 1
    left, bottom, right, top_pad = 40, 30, 10, 22
    step = (WIDTH - left - right) / max(1, len(points) - 1)

    def x(i):
        return left + i * step

    def y(value):
        return top_pad + (HEIGHT - top_pad - bottom) * (1 - min(value, top) / top)

    band, lines, current = [], [], []
    for i, (_, v, low, high) in enumerate(points):
        if v is None:
            if current:
                lines.append(current)
            current = []
            continue
        current.append((x(i), y(v / unit)))
        band.append((i, y((low if low is not None else v) / unit), y(high / unit) if high is not None else y(top)))
    if current:
        lines.append(current)
    shapes = "".join(
        f'<polygon points="{x(i) - step / 2:.1f},{hi:.1f} {x(i) + step / 2:.1f},{hi:.1f} '
        f'{x(i) + step / 2:.1f},{lo:.1f} {x(i) - step / 2:.1f},{lo:.1f}" fill="{BAND}"/>' for i, lo, hi in band)
    shapes += "".join(f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in s)}" fill="none" '
                      f'stroke="{LINE}" stroke-width="2.5"/>' for s in lines)
    shapes += "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{LINE}"/>' for s in lines for a, b in s)
    ticks = "".join(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e5e7eb"/>'
        f'<text x="{left - 5}" y="{y(t) + 4.5:.1f}" text-anchor="end" font-size="{FONT}" fill="#374151">{t:g}</text>'
        for t in _ticks(top))
    first, last = escape(points[0][0]), escape(points[-1][0])
    axis = (f'<text x="{left}" y="{HEIGHT - 8}" font-size="{FONT}" fill="#374151">{first}</text>'
            f'<text x="{WIDTH - right}" y="{HEIGHT - 8}" font-size="{FONT}" fill="#374151" text-anchor="end">'
            f'{last}</text>'
            f'<text x="4" y="{FONT + 2}" font-size="{FONT}" fill="#374151">{escape(unit_label)}</text>')
    return Markup(f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" class="chart">'
                  f'{ticks}{shapes}{axis}</svg>')


def _ticks(top: float) -> list[float]:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500):
        if top / step <= 5:
            return [step * i for i in range(0, int(top / step) + 1)]
    return [0, top]
