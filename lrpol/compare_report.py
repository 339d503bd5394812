"""A :class:`~lrpol.compare.Comparison` written out: plain text for a terminal, a Markdown
table for a CI job summary, or one JSON object for other tools."""

from __future__ import annotations

import json
import math

from .compare import Comparison, Point


def percent(relative: float) -> str:
    """(new - old) / old as a signed percentage: ``+50%``, ``-25%``, ``0%``, ``+inf%`` (old was 0)."""
    if relative == 0:
        return "0%"
    if math.isinf(relative):
        return "+inf%" if relative > 0 else "-inf%"
    return f"{relative * 100:+.4g}%"


def sentences(result: Comparison) -> list[str]:
    """What the comparison found, in words: the run shape, changed settings and where the curves part."""
    ctx = result.ctx
    old_lr0 = ctx.initial_lr if result.old_lr0 is None else result.old_lr0
    lr0 = f"{ctx.initial_lr:g}" if old_lr0 == ctx.initial_lr else f"{old_lr0:g} -> {ctx.initial_lr:g}"
    lines = [f"run: lr0={lr0} epochs={ctx.total_epochs} steps_per_epoch={ctx.steps_per_epoch} ({len(result.old_curve.lrs)} updates)" + (" (synthetic metric)" if result.synthetic_metric else "")]
    for change in result.shape_changes:
        values = f"old {_setting(change.old)}, new {_setting(change.new)}"
        if change.setting == "learning_rate":
            lines.append(f"the configs start from different lr0: {values}; each curve starts from its own")
        else:
            lines.append(f"the configs set {change.setting} differently: {values}; both curves use {ctx.total_epochs}")
    first, largest = result.first_difference, result.largest_difference
    if first is None or largest is None:
        lines.append("the curves are identical")
    else:
        lines.append(f"the curves differ: first at {_where(first)}")
        lines.append(f"largest relative difference: {percent(largest.relative)} at {_where(largest)}")
    return lines


def text(result: Comparison) -> str:
    lines = [f"old: {result.old.file}: {result.old.described()}", f"new: {result.new.file}: {result.new.described()}", *sentences(result)]
    lines.append(f"{'':<6}{'update':>10}  {'epoch':>6}  {'old lr':>14}  {'new lr':>14}  {'relative':>9}")
    for point in result.points():
        lines.append(f"{point.label:<6}{point.update:>10}  {point.epoch:>6}  {point.old:>14.6e}  {point.new:>14.6e}  {percent(point.relative):>9}")
    return "\n".join(lines) + "\n"


def markdown(result: Comparison) -> str:
    lines = [f"### lrpol diff: `{result.old.file}` → `{result.new.file}`", ""]
    lines += [f"- old: `{result.old.described()}`", f"- new: `{result.new.described()}`"]
    lines += [f"- {sentence}" for sentence in sentences(result)]
    lines += ["", "| | update | epoch | old LR | new LR | relative |", "|---|---:|---:|---:|---:|---:|"]
    for point in result.points():
        lines.append(f"| {point.label} | {point.update} | {point.epoch} | {point.old:.6g} | {point.new:.6g} | {percent(point.relative)} |")
    return "\n".join(lines) + "\n"


def as_json(result: Comparison) -> str:
    ctx = result.ctx

    def point(point: Point | None) -> dict | None:
        if point is None:
            return None
        relative = point.relative
        return {"update": point.update, "epoch": point.epoch, "old": point.old, "new": point.new, "relative": relative if math.isfinite(relative) else None}

    record = {
        "old": {"file": result.old.file, "policy": result.old.described()},
        "new": {"file": result.new.file, "policy": result.new.described()},
        "identical": result.identical,
        "run": {"learning_rate": ctx.initial_lr, "old_learning_rate": ctx.initial_lr if result.old_lr0 is None else result.old_lr0, "epochs": ctx.total_epochs, "steps_per_epoch": ctx.steps_per_epoch, "updates": len(result.old_curve.lrs), "synthetic_metric": result.synthetic_metric},
        "shape_changes": [{"setting": change.setting, "old": change.old, "new": change.new} for change in result.shape_changes],
        "first_difference": point(result.first_difference),
        "largest_difference": point(result.largest_difference),
        "points": {p.label: point(p) for p in result.points()},
    }
    return json.dumps(record, indent=2) + "\n"


FORMATS = {"text": text, "markdown": markdown, "json": as_json}


def _where(point: Point) -> str:
    return f"update {point.update} (epoch {point.epoch}): {point.old:.6e} -> {point.new:.6e}"


def _setting(value: object) -> str:
    return "not set" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
