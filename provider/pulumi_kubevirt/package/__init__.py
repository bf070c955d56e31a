"""The components as a Pulumi component package, for TypeScript, Go, C#, Java and YAML programs.

Pulumi's Python component provider host (``pulumi.provider.experimental``) infers the package schema from
the type annotations of the hosted components' ``args``: :mod:`.args` declares them as ``TypedDict``s, and
:mod:`.components` converts what the host passes (plain dicts of Inputs) to the spec's frozen dataclasses and
builds the Python components under a hosted one. Python programs keep using :mod:`pulumi_kubevirt.components`.
"""
