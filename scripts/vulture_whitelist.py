"""Names vulture reports as unused that are used, by a caller it cannot see (``bash scripts/dev test``).

Only real false positives belong here, each with the reason. Vulture matches by name, so each line names
the attribute once; ``_`` stands for any object.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# --- called by a framework, by name or through a base class ----------------------------------------------
_.__getattr__  # module __getattr__ (PEP 562): pulumi_kubevirt.VirtualMachine etc. resolve lazily through it
_.ignore_aliases  # PyYAML's Dumper hook: the canonical dumper overrides it to never write anchors
_._internal_init  # pulumi-kubernetes calls it from CustomResource.__init__ (ObservedCustomResource keeps status)
_.new_resource  # pulumi.runtime.mocks.Mocks hook: the mock runtime calls it for every registration
_.Log  # pulumi's mock engine calls Log(request) for each pulumi.log message (tests/cluster/test_preview.py)
_.do_GET  # http.server calls do_<METHOD> on the handler (the flaky proxy in tests/cluster/test_live.py)
_.log_message  # http.server hook, silenced in the flaky proxy
_.daemon_threads  # socketserver.ThreadingMixIn reads it: request threads do not block interpreter exit
_.pytest_addoption  # pytest hook (tests/conftest.py)
_.pytest_collection_modifyitems  # pytest hook (tests/conftest.py)
_.exc_type  # the context-manager protocol fixes __exit__'s signature (devcluster ControlPlane)
_.traceback  # the context-manager protocol fixes __exit__'s signature (devcluster ControlPlane)

# --- set on a third-party object that reads them ---------------------------------------------------------
_.ssl_ca_cert  # kubernetes.client.Configuration reads it when it opens a connection
_.api_key  # kubernetes.client.Configuration reads it for the Authorization header

# --- published by name -----------------------------------------------------------------------------------
# Component outputs: CompiledComponent sets each from the _outputs() mapping (setattr) and registers it as a
# stack-visible output; users read them as attributes (vm.service_cluster_ip).
_.vm_statuses
_.service_cluster_ip
_.policy_name  # MigrationPolicy
_.target_name  # VirtualMachineClone
_.pool_name  # VirtualMachinePool
# PlanSummary counters are read by field name (PlanSummary.headlines, the report renderers, the plan JSON).
_.live_migrations
_.deleted

# --- closed vocabularies -----------------------------------------------------------------------------------
# StrEnum members that user input reaches by value (NetworkType("bridge"), from config or the typed API)
# and that no code names: the JSON Schemas list the same values (tests/unit/test_schema_enum_parity.py).
_.PRIVATE  # MacvlanMode
_.VEPA  # MacvlanMode
_.PASSTHRU  # MacvlanMode
_.READ_WRITE_ONCE  # AccessMode
_.READ_WRITE_MANY  # AccessMode
_.READ_ONLY_MANY  # AccessMode
_.READ_WRITE_ONCE_POD  # AccessMode
_.FILESYSTEM  # VolumeMode
_.POD  # PullMethod
_.NODE  # PullMethod
_.EXTERNAL  # EvictionStrategy
_.SCSI  # DiskBus, CdromBus
_.WRITETHROUGH  # CacheMode
_.WRITEBACK  # CacheMode
_.E1000  # NicModel
_.E1000E  # NicModel
_.IGB  # NicModel
_.NE2K_PCI  # NicModel
_.PCNET  # NicModel
_.RTL8139  # NicModel
_.UDP  # Protocol
_.SCTP  # Protocol
_.LOAD_BALANCER  # ServiceType
_.IF_NOT_PRESENT  # PullPolicy
_.NEVER  # PullPolicy
_.TWO_MI  # HugepageSize
_.ONE_GI  # HugepageSize
_.NONPERSISTENT  # DiskMode (vSphere JSON reaches it by value)
_.UNDOABLE  # DiskMode
_.APPEND  # DiskMode
_.OVF  # SourceKind (kvplan import --from reaches it by value)
_.OVA  # SourceKind
_.VSPHERE  # SourceKind
_.PULUMI_STATE  # SourceKind
_.PAUSED  # PrintableStatus (KubeVirt's whole vocabulary; the wait reads it by value)
_.WAITING_FOR_RECEIVER  # PrintableStatus
_.blank  # DiskSourceArgs (package schema: the component provider host reads TypedDict annotations)
_.upload  # DiskSourceArgs
_.GetRootResource  # the Engine gRPC service the provider host calls (tests/package)
_.SetRootResource  # the Engine gRPC service
