"""The plugin's entry point: host the kubevirt components for every Pulumi language."""

from pulumi.provider.experimental import component_provider_host

from pulumi_kubevirt.package.components import HOSTED, PACKAGE_NAME

if __name__ == "__main__":
    component_provider_host(HOSTED, name=PACKAGE_NAME)  # type: ignore[arg-type]
