"""One self-contained HTML page: figures inlined as base64 data URIs, numbers as tables.

Blocks in, a string out; no external assets, scripts or fonts, so the page opens offline
and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from typing import Any

STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
figure { margin: 0.5em 0 1.5em; } figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
"""


@dataclass(frozen=True)
class Figure:
    caption: str
    data: bytes  # PNG or GIF file contents


@dataclass(frozen=True)
class Table:
    caption: str
    rows: list[tuple[Any, ...]]
    header: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Preformatted:
    caption: str
    text: str


@dataclass
class Section:
    heading: str
    blocks: list[Figure | Table | Preformatted] = field(default_factory=list)


def mime_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    raise ValueError("figures must be PNG or GIF files")


def data_uri(data: bytes) -> str:
    return f"data:{mime_type(data)};base64,{base64.b64encode(data).decode('ascii')}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return html.escape(json.dumps(value))
    return html.escape(str(value))


def _block(block: Figure | Table | Preformatted) -> str:
    caption = html.escape(block.caption)
    if isinstance(block, Figure):
        return (f'<figure><img src="{data_uri(block.data)}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>")
    if isinstance(block, Table):
        head = ""
        if block.header:
            head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in block.header) + "</tr>"
        body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                       for row in block.rows)
        return f"<p>{caption}</p><table>{head}{body}</table>"
    return f"<p>{caption}</p><pre>{html.escape(block.text)}</pre>"


def render_report(title: str, sections: list[Section], *, subtitle: str = "") -> str:
    """The page as one HTML string."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f"<p>{html.escape(subtitle)}</p>")
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts.extend(_block(b) for b in section.blocks)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def flatten(doc: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested JSON -> (dotted key, value) rows for a table."""
    if isinstance(doc, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in doc.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return rows
    return [(prefix, doc)]
