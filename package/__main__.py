"""The plugin's entry point: host the kubevirt components for every Pulumi language."""

import sys

from pulumi_kubevirt.package.host import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
