"""Offline tooling beside the question path: evaluation, ablation, golden answers, feedback export."""
