"""Platform facts: each KubeVirt, CDI and Kubernetes behaviour the product relies on, written once, as data.

Every row carries the rule, the reason and the upstream source (repository, file, function, pinned version).
``spec`` (validation), ``compile`` (apply order), ``plan`` (policy, normalisation) and ``components``
(``replace_on_changes``, ``protect``) read from here; nothing else writes these facts down. The audit that
checked each row against the upstream code is ``docs/platform-facts.md``.

- ``impact``: the vocabulary (what a change does to a running guest)
- ``live_update``: the policy rows (what is live-updatable, and how)
- ``immutable``: what forces a replacement
- ``platform``: what the API server and KubeVirt write themselves
- ``kubevirt``: rollout strategy, workload updates, feature gates, hot-plug limits
- ``quantities``: keys compared as quantities
- ``kinds``: apply order and the kinds that hold data
- ``eviction``: what a node drain does to a running VMI, by eviction strategy and migratability
- ``pattern``, ``source``: how rows name paths and upstream code
"""
