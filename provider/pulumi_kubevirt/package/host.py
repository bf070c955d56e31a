"""The plugin's provider: Pulumi's component provider host, with our users' mistakes as property errors.

The host wraps any exception a component's constructor raises in ``ComponentInitError`` and sends its text
with the Python traceback. A user's mistake is not a bug: a :class:`KubevirtValidationError` becomes Pulumi's
``InputPropertiesError`` instead, which the host sends as an INVALID_ARGUMENT status with one property error
per problem, at the property path the program wrote (schema names, ``nics[0].macAddress``), and no traceback.
"""

import dataclasses
import sys

import pulumi
from pulumi.provider import main
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from pulumi_kubevirt.components import KubevirtValidationError
from pulumi_kubevirt.components.compiled_component import ARGS_PATH
from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import render_error
from pulumi_kubevirt.package.components import HOSTED, PACKAGE_NAME


def schema_path(path: str) -> str:
    """``args.nics[0].mac_address`` as a program in another language wrote it: ``nics[0].macAddress``."""
    try:
        segments = paths.parse_path(path)
    except ValueError:
        return path
    if segments[:1] == (paths.Key(ARGS_PATH),):
        segments = segments[1:]
    return paths.format_path(
        paths.Key(camel_case(segment.key)) if isinstance(segment, paths.Key) else segment
        for segment in segments
    )


class KubevirtComponentProvider(ComponentProvider):  # type: ignore[misc]
    """The stock component provider, whose construct reports validation problems as property errors."""

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)  # type: ignore[no-any-return]
        except ComponentInitError as error:
            if not isinstance(error.inner, KubevirtValidationError):
                raise
            problems = [dataclasses.replace(p, path=schema_path(p.path)) for p in error.inner.problems]
            raise pulumi.InputPropertiesError(
                render_error(error.inner.title, problems),
                [{"property_path": p.path, "reason": p.sentences()} for p in problems],
            ) from None


def serve(args: list[str]) -> None:
    """Serve the hosted components (``args``: what Pulumi passes a plugin, the engine's address)."""
    main(KubevirtComponentProvider(HOSTED, PACKAGE_NAME, None, "0.0.0"), args)


if __name__ == "__main__":
    serve(sys.argv[1:])
