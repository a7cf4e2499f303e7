"""Model cards as terminal text (`mlpoc models show` and `compare`): tables built with
`base.table()`, so every name and label in them stays plain text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.text import Text

from runtime.cli.base import clean, format_metrics, table

BAR_WIDTH = 24


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _change(a: Any, b: Any) -> str:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        delta = b - a
        if isinstance(delta, float):
            return f"{delta:+.4f}" if delta else "="
        return f"{delta:+d}" if delta else "="
    return "=" if a == b else "changed"


def _when(stamp: str) -> str:
    """A stored timestamp to the second, UTC."""
    return stamp.replace("T", " ")[:19] + " UTC"


def _heading(version: dict[str, Any]) -> str:
    card = version.get("card") or {}
    return (
        f"{version['model']} v{version['version']} ({card.get('task') or 'no card'}), "
        f"trained {version['created_at']}"
        + (f" by job {version['job_id']}" if version.get("job_id") else "")
    )


def show(version: dict[str, Any]) -> RenderableType:
    """One version's card."""
    card = version.get("card")
    lines: list[RenderableType] = [Text(clean(_heading(version)))]
    if not card:
        lines.append(Text("No model card: this version was trained before cards were kept."))
        return Group(*lines)
    dataset = card.get("dataset") or {}
    rows = card.get("rows") or {}
    lines += [
        Text(
            clean(
                f"dataset {dataset.get('name', '?')}: snapshot {dataset.get('key', '?')} "
                f"(sha256 {str(dataset.get('sha256', ''))[:12]}), "
                f"{rows.get('training')} rows for training, {rows.get('evaluation')} held out"
            )
        ),
        Text(clean(f"metrics: {format_metrics(card.get('metrics'))}")),
        Text(clean(f"params: {format_metrics(card.get('params'))}")),
    ]
    if card.get("note"):
        lines.append(Text(clean(card["note"])))
    if card.get("classification"):
        lines += _classification(card["classification"])
    if card.get("regression"):
        lines.append(_residuals([("", card["regression"])]))
    if card.get("importance"):
        lines.append(_importance(card["importance"]))
    return Group(*lines)


def _classification(found: dict[str, Any], title: str = "") -> list[RenderableType]:
    per_class = table(
        f"{title}per class (held-out rows)",
        ["class", "precision", "recall", "f1", "support"],
        [
            (
                c["class"],
                _number(c["precision"]),
                _number(c["recall"]),
                _number(c["f1"]),
                c["support"],
            )
            for c in found["per_class"]
        ],
    )
    classes = found["classes"]
    matrix = table(
        f"{title}confusion matrix (rows: true, columns: predicted)",
        ["true \\ predicted", *classes],
        [(c, *row) for c, row in zip(classes, found["confusion_matrix"], strict=True)],
    )
    shown: list[RenderableType] = [per_class, matrix]
    if found.get("classes_total", len(classes)) > len(classes):
        shown.append(
            Text(f"(the {len(classes)} most frequent of {found['classes_total']} classes)")
        )
    return shown


def _residuals(cards: Sequence[tuple[str, dict[str, Any]]]) -> RenderableType:
    names = list(cards[0][1]["residuals"])
    return table(
        "residuals (true - predicted) on the held-out rows",
        ["", *(label or "value" for label, _ in cards)],
        [(name, *(_number(r["residuals"].get(name)) for _, r in cards)) for name in names],
    )


def _importance(found: dict[str, Any]) -> RenderableType:
    features = found["features"]
    top = max((f["mean"] for f in features), default=0.0)
    return table(
        f"permutation importance: drop in {found['metric']} when shuffled "
        f"({found['repeats']} repeats on {found['rows']} held-out rows; top {len(features)} "
        f"of {found['features_total']})",
        ["feature", "mean", "std", ""],
        [
            (f["name"], _number(f["mean"]), _number(f["std"]), _bar(f["mean"], top))
            for f in features
        ],
    )


def _bar(value: float, top: float) -> str:
    if top <= 0 or value <= 0:
        return ""
    return "#" * max(1, round(BAR_WIDTH * value / top))


def compare(a: dict[str, Any], b: dict[str, Any]) -> RenderableType:
    """Two versions side by side: what they were trained on, how they did, what they use."""
    ca, cb = a.get("card") or {}, b.get("card") or {}
    va, vb = f"v{a['version']}", f"v{b['version']}"
    ta, tb = (v["trainer"].rpartition(":")[2] for v in (a, b))
    rows: list[tuple[Any, ...]] = [
        ("created", _when(a["created_at"]), _when(b["created_at"]), ""),
        ("trainer", ta, tb, _change(ta, tb)),
    ]
    da, db = a.get("dataset") or {}, b.get("dataset") or {}
    sa, sb = (str(d.get("sha256", ""))[:12] for d in (da, db))
    rows.append(
        ("dataset", da.get("name"), db.get("name"), _change(da.get("name"), db.get("name")))
    )
    rows.append(("snapshot sha256", sa, sb, _change(sa, sb)))
    for key in ("training", "evaluation"):
        x, y = (ca.get("rows") or {}).get(key), (cb.get("rows") or {}).get(key)
        rows.append((f"rows {key}", x, y, _change(x, y)))
    for name in sorted(set(a["metrics"]) | set(b["metrics"])):
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        rows.append((name, _number(x), _number(y), _change(x, y)))
    pa, pb = a.get("params") or {}, b.get("params") or {}
    for name in sorted(set(pa) | set(pb)):
        if pa.get(name) != pb.get(name):
            rows.append((f"param {name}", pa.get(name), pb.get(name), "changed"))
    shown: list[RenderableType] = [
        table(f"{a['model']}: {va} and {vb}", ["", va, vb, "change"], rows)
    ]
    ka, kb = ca.get("classification"), cb.get("classification")
    if ka and kb:
        shown.append(_per_class_f1(ka, kb, va, vb))
        shown.append(
            Columns([*_classification(ka, f"{va} ")[1:], *_classification(kb, f"{vb} ")[1:]])
        )
    if ca.get("regression") and cb.get("regression"):
        shown.append(_residuals([(va, ca["regression"]), (vb, cb["regression"])]))
    ia, ib = ca.get("importance"), cb.get("importance")
    if ia and ib:
        shown.append(_importance_change(ia, ib, va, vb))
    if not (ca and cb):
        missing = ", ".join(v for v, c in ((va, ca), (vb, cb)) if not c)
        shown.append(Text(f"No model card for {missing}: trained before cards were kept."))
    return Group(*shown)


def _per_class_f1(ka: dict[str, Any], kb: dict[str, Any], va: str, vb: str) -> RenderableType:
    fa = {c["class"]: c["f1"] for c in ka["per_class"]}
    fb = {c["class"]: c["f1"] for c in kb["per_class"]}
    classes = list(dict.fromkeys([*ka["classes"], *kb["classes"]]))
    return table(
        "f1 per class",
        ["class", va, vb, "change"],
        [
            (c, _number(fa.get(c)), _number(fb.get(c)), _change(fa.get(c), fb.get(c)))
            for c in classes
        ],
    )


def _importance_change(ia: dict[str, Any], ib: dict[str, Any], va: str, vb: str) -> RenderableType:
    ma = {f["name"]: f["mean"] for f in ia["features"]}
    mb = {f["name"]: f["mean"] for f in ib["features"]}
    names = sorted(set(ma) | set(mb), key=lambda n: -max(ma.get(n, 0.0), mb.get(n, 0.0)))
    return table(
        f"permutation importance (drop in {ib['metric']})",
        ["feature", va, vb, "change"],
        [(n, _number(ma.get(n)), _number(mb.get(n)), _change(ma.get(n), mb.get(n))) for n in names],
    )
