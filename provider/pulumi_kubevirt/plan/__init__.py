"""The plan engine: desired manifests x live state x cluster facts -> Plan -> text, Markdown or JSON.

Public API: ``planner.make_plan``, ``drift.detect_drift``, ``model`` (Action, Impact, FieldChange, PlanError,
ResourcePlan, Plan, DriftFinding), ``gate`` (the disruption policy: ``kubevirt:disruption`` and ``--fail-on``,
judged the same for ``pulumi preview`` and ``kvplan plan``), ``render_text``, ``render_markdown``,
``render_json``. Everything here is pure; ``state.LiveState`` is what the live reader hands in.
"""
