"""Formatting a Plan or drift findings: text, Markdown and JSON. Renderers decide nothing."""
