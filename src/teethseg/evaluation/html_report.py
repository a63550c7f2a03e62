"""The report as one self-contained HTML file: inline CSS, pictures as data URIs, figures as
inline SVG, and every number also in a JSON block (``<script id="teethseg-data">``) so that
programs read back exactly what people see. Nothing is fetched when it is opened."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from teethseg.io.files import atomic_path
from teethseg.io.shown_names import shown_name

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1320px;margin:0 auto;padding:18px 26px 40px}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}.sub{color:#5a6473;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:#5a6473;font-size:12px}
table{border-collapse:collapse;background:#fff;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d5d9e0;padding:3px 9px;text-align:right}th{background:#eef1f5;font-weight:600}
td.l,th.l{text-align:left}.better{color:#1a7f37}.worse{color:#c0392b}
.row{display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start}
.images{display:grid;gap:6px 8px;align-items:start;margin-bottom:14px}
.images figure{margin:0}.images img{width:100%;height:auto;display:block;border-radius:3px}
.images figcaption{font-size:12px;color:#5a6473}.imgname{font-weight:600;grid-column:1/-1;margin-top:10px}
.legend span{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 4px -2px 12px}
svg.chart text{font-size:11px;fill:#1d2430}svg.chart .svg-title{font-size:12px;font-weight:600}
svg.chart .fdi{font-weight:600;font-size:12px}svg.chart .tick{fill:#5a6473}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;background:#fff;border:1px solid #d5d9e0;padding:8px 12px;border-radius:6px}
dt{color:#5a6473}dd{margin:0;font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
"""


def lookup(data: dict[str, Any], path: list[str]) -> Any:
    """The value at a key path of nested dicts and lists (list positions as decimal strings;
    None when absent)."""
    for key in path:
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None
    return data


def fmt(value: Any, kind: str = "score") -> str:
    """A number as shown: scores with 4 decimals, fractions as %, distances with 2, counts plain."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or kind == "count":
        return str(value)
    if kind == "percent":
        return f"{100 * value:.1f} %"
    if kind == "distance":
        return f"{value:.2f}"
    if kind == "signed":
        return f"{value:+.4f}"
    return f"{value:.4f}"


def cell(data: dict[str, Any], path: list[str], kind: str = "score", extra: str = "") -> str:
    """A table cell showing the value at ``path``, which it names (``data-key``) with its exact
    value (``data-value``), so tests and scripts can read the table back."""
    value = lookup(data, path)
    key = escape(json.dumps(path), quote=True)
    return f'<td data-key="{key}" data-value="{escape(json.dumps(value), quote=True)}"{extra}>{fmt(value, kind)}</td>'


def table(head: list[str], rows: list[str]) -> str:
    heads = "".join(f'<th{" class=l" if i == 0 else ""}>{escape(h)}</th>' for i, h in enumerate(head))
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def row(label: str, cells: str) -> str:
    return f'<tr><td class="l">{escape(label)}</td>{cells}</tr>'


def card(label: str, value: str) -> str:
    return f'<div class="card"><b>{value}</b><span>{escape(label)}</span></div>'


def definitions(items: list[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in items) + "</dl>"


def page(title: str, subtitle: str, body: str, data: dict[str, Any]) -> str:
    """The whole document. The JSON block escapes ``</`` so no value can end the script early."""
    payload = json.dumps(data, allow_nan=False, sort_keys=True).replace("</", "<\\/")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body><main>"
            f"<h1>{escape(title)}</h1><p class=sub>{escape(subtitle)}</p>{body}</main>\n"
            f'<script type="application/json" id="teethseg-data">{payload}</script>\n</body></html>\n')


def write_page(path: str | Path, html: str) -> Path:
    """Write the page whole or not at all; a file name whose bytes are not UTF-8 shows U+FFFD for them
    (``teethseg.io.shown_names``), as in the figures."""
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_text(shown_name(html), encoding="utf-8")
    return path


def read_data(path: str | Path) -> dict[str, Any]:
    """The JSON block of a report written by :func:`page`."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.index('<script type="application/json" id="teethseg-data">')
    start = text.index(">", start) + 1
    return json.loads(text[start:text.index("</script>", start)].replace("<\\/", "</"))
