"""``dls report ASSIGNMENT``: one self-contained HTML page about a graded batch, for the instructor.

Built from what ``dls grade`` recorded (``.dls/grade/<assignment>/<student>.json``, one per
submission) and the assignment's source notebooks (exercise names and points). Sections:

1. summary: submissions, mean / median score, how many got full marks or nothing;
2. score distribution (histogram);
3. per-exercise pass rates (full marks / partial / none, mean points);
4. the most common failing checks (grouped by test cell and message, with who hit them);
5. per-submission grading time (histogram, median / p95, the slowest);
6. flagged submissions (time limits, memory kills, crashes, tampering attempts, output floods) with
   the grader's note for each;
7. every submission, one row each (click a column head to sort).

No network, no external file: styles, the charts (inline SVG) and the small sort script are in the
page, so it can be mailed, archived or opened offline.
"""

from __future__ import annotations

import html
import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from . import notebooks
from .grade import results_dir

# what a note says -> the flag it raises (first match wins per note; a submission may get several flags)
FLAGS = [
    ("timeout", re.compile(r"time limit|CPU limit|did not return in time", re.I)),
    ("memory", re.compile(r"memory limit", re.I)),
    ("processes", re.compile(r"process limit", re.I)),
    ("output flood", re.compile(r"output limit|output flood", re.I)),
    ("crash", re.compile(r"killed by SIG|exited with code|crashed the student's process|sandbox died", re.I)),
    ("tampering", re.compile(r"test cell .* (was edited|appears \d+ times|is missing)|claims to be a test cell|"
                             r"protocol violation|turned into a", re.I)),
    ("unreadable", re.compile(r"not valid notebook JSON|not a Jupyter notebook|nbformat .* is not 4|is missing \(submitted",
                              re.I)),
    ("grader error", re.compile(r"grader error|not graded", re.I)),
]
# cell errors in the sandbox that show a student reaching for what is not theirs
TAMPER_ERRORS = re.compile(r"PermissionError|Permission denied|Read-only file system|Network is unreachable|"
                           r"Temporary failure in name resolution|gradebook|source_notebooks", re.I)


def load(course, assignment: str) -> list[dict]:
    folder = results_dir(course, assignment)
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            res = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(res, dict) and res.get("assignment") == assignment and "notebooks" in res:
            out.append(res)
    return out


def exercise_map(course, assignment: str) -> tuple[dict[tuple[str, str], str], dict[str, float]]:
    """(notebook, grade_id) -> exercise, and each exercise's points, from the source notebooks."""
    cell_to_ex, points = {}, {}
    for name, nb in course.validate_sources(assignment).items():
        for ex, entry in notebooks.exercises(nb).items():
            points[ex] = entry["points"]
            for cell in entry["tests"]:
                cell_to_ex[(name, cell.metadata["nbgrader"]["grade_id"])] = ex
    return cell_to_ex, points


def flags(res: dict) -> list[tuple[str, str]]:
    """[(flag, the note that raised it)] for one result."""
    found: list[tuple[str, str]] = []
    texts = list(res.get("notes", []))
    for nb in res.get("notebooks", {}).values():
        texts += nb.get("notes", [])
        texts += [f"{cell}: {err}" for cell, err in nb.get("cell_errors", {}).items()
                  if TAMPER_ERRORS.search(str(err))]
    seen = set()
    for text in texts:
        for flag, pattern in FLAGS:
            if pattern.search(text):
                if (flag, text) not in seen:
                    seen.add((flag, text))
                    found.append((flag, text))
                break
        else:
            if TAMPER_ERRORS.search(text):
                found.append(("tampering", text))
    return found


def _message(failure: str) -> str:
    """A failure message grouped with its kin: numbers and addresses blurred, first line only."""
    first = failure.strip().splitlines()[0] if failure.strip() else "failed"
    first = re.sub(r"0x[0-9a-f]+", "0x…", first)
    first = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", first)
    return first[:220]


def summarize(course, assignment: str) -> dict:
    """Everything the page shows, as plain data (also what the tests check)."""
    results = load(course, assignment)
    cell_to_ex, points = exercise_map(course, assignment)
    max_total = sum(points.values())
    rows, per_ex = [], {ex: {"full": 0, "partial": 0, "none": 0, "sum": 0.0} for ex in points}
    failing: dict[tuple[str, str], list[str]] = defaultdict(list)
    flagged = []
    for res in results:
        student = res["student"]
        ex_scores = {ex: 0.0 for ex in points}
        for nb_name, nb in res["notebooks"].items():
            for gid, cell in nb.get("cells", {}).items():
                ex = cell_to_ex.get((nb_name, gid))
                if ex is not None:
                    ex_scores[ex] += float(cell.get("score", 0))
                if cell.get("failure") and float(cell.get("score", 0)) < float(cell.get("points", 0)):
                    failing[(gid, _message(cell["failure"]))].append(student)
        for ex, got in ex_scores.items():
            pe = per_ex[ex]
            pe["sum"] += got
            pe["full" if got >= points[ex] else "partial" if got > 0 else "none"] += 1
        f = flags(res)
        if f:
            flagged.append({"student": student, "flags": sorted({k for k, _ in f}), "notes": [n for _, n in f]})
        rows.append({"student": student, "score": float(res.get("score", 0)), "exercises": ex_scores,
                     "seconds": float(res.get("seconds", 0)), "worker": res.get("worker", ""),
                     "flags": sorted({k for k, _ in f})})
    n = len(rows)
    scores = [r["score"] for r in rows]
    secs = sorted(r["seconds"] for r in rows)
    exercises = []
    for ex, pe in per_ex.items():
        exercises.append({"exercise": ex, "points": points[ex], "full": pe["full"], "partial": pe["partial"],
                          "none": pe["none"], "pass_rate": pe["full"] / n if n else 0.0,
                          "mean": pe["sum"] / n if n else 0.0})
    common = sorted(({"check": gid, "message": msg, "count": len(who), "students": sorted(who)}
                     for (gid, msg), who in failing.items()), key=lambda d: (-d["count"], d["check"]))
    return {
        "assignment": assignment, "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "n": n, "max": max_total,
        "mean": statistics.fmean(scores) if scores else 0.0,
        "median": statistics.median(scores) if scores else 0.0,
        "full_marks": sum(s >= max_total for s in scores) if n else 0,
        "zero": sum(s == 0 for s in scores),
        "seconds_median": statistics.median(secs) if secs else 0.0,
        "seconds_p95": secs[min(len(secs) - 1, int(round(0.95 * (len(secs) - 1))))] if secs else 0.0,
        "seconds_total": sum(secs),
        "exercises": exercises, "common_failures": common[:15], "flagged": flagged,
        "rows": sorted(rows, key=lambda r: r["student"]),
    }


# ---------------------------------------------------------------------------------------------
# rendering

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:2px solid #e3e7ef}
.sub{color:#5b6476}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{background:#f4f6fa;border-radius:8px;padding:.7rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #e3e7ef;vertical-align:top}th{background:#f4f6fa;cursor:pointer;user-select:none}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;height:.8rem;background:#3b7ddd;border-radius:2px;vertical-align:middle}
.flag{display:inline-block;background:#fde8e8;color:#9b1c1c;border-radius:4px;padding:0 .35rem;margin:0 .2rem .2rem 0;
font-size:.85rem}.flag.timeout{background:#fff3d6;color:#8a5a00}.flag.tampering{background:#ede4ff;color:#5521b5}
code{background:#f4f6fa;padding:0 .25rem;border-radius:3px;font-size:.88rem;word-break:break-word}
svg text{font:11px system-ui,sans-serif;fill:#5b6476}
"""

SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
document.body.dataset.ready = 'yes';
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def histogram_svg(values: list[float], lo: float, hi: float, bins: int, label: str, unit: str = "",
                  width: int = 640, height: int = 190) -> str:
    """A histogram as inline SVG: one bar per bin, count above each bar, axis labels below."""
    if hi <= lo:
        hi = lo + 1.0
    counts = [0] * bins
    for v in values:
        i = int((v - lo) / (hi - lo) * bins)
        counts[min(max(i, 0), bins - 1)] += 1
    top = max(counts) or 1
    left, bottom, plot_h = 30, 34, height - 54
    bw = (width - left - 10) / bins
    parts = [f'<svg role="img" aria-label="{_e(label)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, c in enumerate(counts):
        h = plot_h * c / top
        x = left + i * bw
        y = height - bottom - h
        a, b = lo + (hi - lo) * i / bins, lo + (hi - lo) * (i + 1) / bins
        parts.append(f'<rect class="bin" x="{x + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                     f'fill="#3b7ddd" data-count="{c}"><title>{a:g}–{b:g}{unit}: {c}</title></rect>')
        if c:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{c}</text>')
    for i in range(0, bins + 1, max(1, bins // 8)):
        x = left + i * bw
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                     f'{lo + (hi - lo) * i / bins:.3g}</text>')
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#9aa3b5"/>')
    parts.append(f'<text x="{(width + left) / 2:.0f}" y="{height - 4}" text-anchor="middle">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render(s: dict) -> str:
    n = s["n"] or 1
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
           f"<title>{_e(s['assignment'])}: grading report</title><style>{CSS}</style></head><body>"]
    out.append(f"<h1>{_e(s['assignment'])}: grading report</h1>"
               f"<p class='sub'>dls grade results, {s['n']} submission(s), generated {s['generated']}</p>")
    cards = [("submissions", s["n"]), ("mean score", f"{s['mean']:.1f} / {s['max']:g}"),
             ("median score", f"{s['median']:g}"), ("full marks", s["full_marks"]), ("zero", s["zero"]),
             ("flagged", len(s["flagged"])),
             ("median s / submission", f"{s['seconds_median']:.1f}"), ("p95 s / submission", f"{s['seconds_p95']:.1f}")]
    out.append("<div class='cards' id='summary'>" + "".join(
        f"<div class='card'><b>{_e(v)}</b>{_e(k)}</div>" for k, v in cards) + "</div>")

    out.append("<h2 id='distribution'>Score distribution</h2>")
    out.append(histogram_svg([r["score"] for r in s["rows"]], 0, s["max"], int(min(20, max(1, s["max"]))),
                             f"total score (out of {s['max']:g})"))

    out.append("<h2 id='exercises'>Per-exercise pass rates</h2><table class='sortable'><thead><tr>"
               "<th>exercise</th><th>points</th><th>full marks</th><th>partial</th><th>none</th>"
               "<th>pass rate</th><th>mean points</th></tr></thead><tbody>")
    for e in s["exercises"]:
        out.append(f"<tr><td>{_e(e['exercise'])}</td><td class='num'>{e['points']:g}</td>"
                   f"<td class='num'>{e['full']}</td><td class='num'>{e['partial']}</td><td class='num'>{e['none']}</td>"
                   f"<td data-v='{e['pass_rate']:.4f}'><span class='bar' style='width:{120 * e['pass_rate']:.0f}px'></span> "
                   f"{100 * e['pass_rate']:.0f}%</td><td class='num'>{e['mean']:.2f}</td></tr>")
    out.append("</tbody></table>")

    out.append("<h2 id='failures'>Most common failing checks</h2>")
    if s["common_failures"]:
        out.append("<table><thead><tr><th>test cell</th><th>submissions</th><th>message</th><th>who</th></tr>"
                   "</thead><tbody>")
        for f in s["common_failures"]:
            who = ", ".join(f["students"][:6]) + (f" and {len(f['students']) - 6} more" if len(f["students"]) > 6 else "")
            out.append(f"<tr><td><code>{_e(f['check'])}</code></td><td class='num'>{f['count']} "
                       f"({100 * f['count'] / n:.0f}%)</td><td><code>{_e(f['message'])}</code></td><td>{_e(who)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No check failed.</p>")

    out.append("<h2 id='timing'>Time per submission</h2>"
               f"<p>median {s['seconds_median']:.1f} s, p95 {s['seconds_p95']:.1f} s, "
               f"{s['seconds_total'] / 60:.1f} min of grading in all (worker time, sandbox included)</p>")
    secs = [r["seconds"] for r in s["rows"]]
    out.append(histogram_svg(secs, 0, max(secs + [1.0]) * 1.05, 16, "seconds per submission", " s"))
    slow = sorted(s["rows"], key=lambda r: -r["seconds"])[:5]
    out.append("<p>Slowest: " + ", ".join(f"{_e(r['student'])} ({r['seconds']:.1f} s)" for r in slow) + "</p>")

    out.append(f"<h2 id='flagged'>Flagged submissions ({len(s['flagged'])})</h2>")
    if s["flagged"]:
        out.append("<table><thead><tr><th>student</th><th>flags</th><th>notes</th></tr></thead><tbody>")
        for f in s["flagged"]:
            tags = "".join(f"<span class='flag {_e(k.split()[0])}'>{_e(k)}</span>" for k in f["flags"])
            notes = "<br>".join(_e(x[:400]) for x in f["notes"][:6])
            out.append(f"<tr class='flagged-row' data-student='{_e(f['student'])}'><td>{_e(f['student'])}</td>"
                       f"<td>{tags}</td><td>{notes}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>Nothing flagged.</p>")

    exs = [e["exercise"] for e in s["exercises"]]
    out.append("<h2 id='submissions'>All submissions</h2><table class='sortable' id='all'><thead><tr><th>student</th>"
               "<th>score</th>" + "".join(f"<th>{_e(x)}</th>" for x in exs) +
               "<th>seconds</th><th>flags</th></tr></thead><tbody>")
    for r in s["rows"]:
        out.append(f"<tr><td>{_e(r['student'])}</td><td class='num'>{r['score']:g}</td>" +
                   "".join(f"<td class='num'>{r['exercises'][x]:g}</td>" for x in exs) +
                   f"<td class='num'>{r['seconds']:.1f}</td><td>{_e(', '.join(r['flags']))}</td></tr>")
    out.append("</tbody></table>")
    out.append(f"<script>{SORT_JS}</script></body></html>")
    return "\n".join(out)


def write(course, assignment: str, out: Path | None = None) -> tuple[Path, dict]:
    s = summarize(course, assignment)
    path = Path(out) if out else course.root / ".dls" / "reports" / f"{assignment}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(s), encoding="utf-8")
    tmp.replace(path)
    return path, s
