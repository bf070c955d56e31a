"""Run the component provider host: ``python -m pulumi_kubevirt.package`` (what PulumiPlugin.yaml starts)."""

import sys

from pulumi_kubevirt.package.host import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
