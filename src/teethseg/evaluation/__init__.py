"""Scoring beyond pixel overlap, and the HTML report people read: boundary metrics, groups,
worst images, model comparison."""
