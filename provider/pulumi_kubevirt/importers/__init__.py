"""Bringing existing VMs under management.

Sources (Kubernetes manifests or a live cluster, OVF/OVA, vSphere JSON, pulumi-vsphere state) become fleet
config or a Python program, with a report of what every source field became.
"""
