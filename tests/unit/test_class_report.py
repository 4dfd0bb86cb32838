"""The class report's charts, drawn as SVG text: what they count and what they show."""

import re

from toolkit.class_report import bar_chart, histogram


def test_the_histogram_counts_each_bin_and_its_last_bin_holds_the_top_edge():
    svg = histogram("scores", [0, 4.9, 5, 50, 95, 100, 100], [0, 5, 50, 95, 100], "blue")
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights == [100.0, 50.0, 50.0, 150.0]      # 2, 1, 1, 3: the tallest 150 high
    labels = re.findall(r'y="([\d.]+)" text-anchor="middle">([\d.]+)</text>', svg)
    above = [text for y, text in labels if float(y) < 190]    # above the bars: counts
    below = [text for y, text in labels if float(y) > 190]    # under them: the edges
    assert above == ["2", "1", "1", "3"] and below == ["0", "5", "50", "95", "100"]


def test_a_bar_chart_escapes_its_labels_and_writes_each_value():
    svg = bar_chart("rates", [("<script>x</script>", 50), ("plain", 100)], 100, "green", "%")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    assert ">50%</text>" in svg and ">100%</text>" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[1] == 2 * widths[0]
