"""The rule table: every platform rule a user can break through our spec, with its upstream source.

Each row says what the platform (the API server, KubeVirt's or CDI's webhook, a CNI plugin, cloud-init)
refuses, where in the upstream code that happens, whether the outcome depends on the cluster's settings, and
which of our checks catches it first. ``docs/validation-rules.md`` is :func:`rules_markdown` of this table
(``python scripts/validation-rules-doc.py`` writes it; a test keeps the two in step); every row has a test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Resource(enum.StrEnum):
    """What the user writes the rule against (the docs group rows by it)."""

    METADATA = "Names, labels and annotations"
    VIRTUAL_MACHINE = "VirtualMachine"
    CLOUD_INIT = "Cloud-init content"
    DISK = "Disk"
    NETWORK = "Network"
    SERVICE = "Service"
    SECRET = "Secret"
    MIGRATION_POLICY = "MigrationPolicy"
    CLONE = "VirtualMachineClone"
    POOL = "VirtualMachinePool"


class Setting(enum.StrEnum):
    """A cluster setting a rule's outcome depends on (read from the KubeVirt CR or the API server)."""

    ROLLOUT_STRATEGY = "KubeVirt spec.configuration.vmRolloutStrategy"
    EMULATED_MACHINES = "KubeVirt spec.configuration.architectureConfiguration.<arch>.emulatedMachines"
    ARCHITECTURE = "KubeVirt spec.configuration.architectureConfiguration.defaultArchitecture"
    NODE_PORT_RANGE = "kube-apiserver --service-node-port-range"


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where the rule lives: repository, tag, file and function."""

    repo: str
    tag: str
    file: str
    function: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: ``id`` (stable, used by tests and docs), the rule, its source, our check."""

    id: str
    resource: Resource
    rule: str
    source: Upstream
    check: str
    depends_on: tuple[Setting, ...] = ()

    @property
    def cluster_dependent(self) -> bool:
        return bool(self.depends_on)


KUBEVIRT = "kubevirt/kubevirt"
KUBEVIRT_TAG = "v1.9.0"
CDI = "kubevirt/containerized-data-importer"
CDI_TAG = "v1.66.0"
KUBERNETES = "kubernetes/kubernetes"
KUBERNETES_TAG = "v1.34.0"
CNI_PLUGINS = "containernetworking/plugins"
CNI_PLUGINS_TAG = "v1.9.1"
SRIOV_CNI = "k8snetworkplumbingwg/sriov-cni"
SRIOV_CNI_TAG = "v2.10.0"
WHEREABOUTS = "k8snetworkplumbingwg/whereabouts"
WHEREABOUTS_TAG = "v0.9.4"
CLOUD_INIT = "canonical/cloud-init"
CLOUD_INIT_TAG = "25.3"

_VMI_ADMITTER = "pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go"
_VMS_ADMITTER = "pkg/virt-api/webhooks/validating-webhook/admitters/vms-admitter.go"
_DISKS_ADMITTER = "pkg/storage/admitters/disks.go"
_HOTPLUG_ADMITTER = "pkg/storage/admitters/storagehotplug.go"
_NET_ADMITTER = "pkg/network/admitter"
_DV_WEBHOOK = "pkg/apiserver/webhooks/datavolume-validate.go"
_CDI_UTIL = "pkg/apiserver/webhooks/util.go"
_APIMACHINERY_VALIDATION = "staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go"
_CORE_VALIDATION = "pkg/apis/core/validation/validation.go"
_ADMITTERS = "pkg/virt-api/webhooks/validating-webhook/admitters/"
_MIGRATION_POLICY_ADMITTER = _ADMITTERS + "migrationpolicy-admitter.go"
_CLONE_ADMITTER = _ADMITTERS + "vmclone-admitter.go"
_POOL_ADMITTER = _ADMITTERS + "vmpool-admitter.go"


def _kv(file: str, function: str) -> Upstream:
    return Upstream(KUBEVIRT, KUBEVIRT_TAG, file, function)


def _cdi(file: str, function: str) -> Upstream:
    return Upstream(CDI, CDI_TAG, file, function)


def _k8s(file: str, function: str) -> Upstream:
    return Upstream(KUBERNETES, KUBERNETES_TAG, file, function)


RULES: tuple[Rule, ...] = (
    # --- Names, labels and annotations (Kubernetes) ------------------------------------------------------
    Rule(
        "k8s-name-dns-label",
        Resource.METADATA,
        "Namespaces and the names of VMs, disks, networks, NICs and CD-ROMs are RFC 1123 labels: at most 63 "
        "lowercase letters, digits and '-', starting and ending with a letter or digit (a VM name is also "
        "the value of the pulumi-kubevirt/vm label, a namespace name is a label by definition).",
        _k8s(_APIMACHINERY_VALIDATION, "IsDNS1123Label"),
        "common.name_problems",
    ),
    Rule(
        "k8s-object-name-subdomain",
        Resource.METADATA,
        "References to other objects (Secret, PVC, StorageClass, instancetype and preference names) are DNS "
        "subdomains: at most 253 characters of lowercase letters, digits, '-' and '.'.",
        _k8s(_APIMACHINERY_VALIDATION, "IsDNS1123Subdomain"),
        "common.subdomain_problems",
    ),
    Rule(
        "k8s-label-key",
        Resource.METADATA,
        "Label and annotation keys are qualified names: an optional DNS-subdomain prefix and '/', then at "
        "most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
        _k8s(_APIMACHINERY_VALIDATION, "IsQualifiedName"),
        "common.key_problems",
    ),
    Rule(
        "k8s-label-value",
        Resource.METADATA,
        "Label values (labels, node_selector) are at most 63 letters, digits, '-', '_' or '.', starting and "
        "ending with a letter or digit, or empty.",
        _k8s(_APIMACHINERY_VALIDATION, "IsValidLabelValue"),
        "common.label_problems",
    ),
    Rule(
        "k8s-annotations-size",
        Resource.METADATA,
        "The keys and values of an object's annotations add up to at most 256 KiB.",
        _k8s("staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go", "ValidateAnnotationsSize"),
        "common.annotation_problems",
    ),
    # --- VirtualMachine (KubeVirt) -------------------------------------------------------------------------
    Rule(
        "k8s-toleration",
        Resource.VIRTUAL_MACHINE,
        "A toleration has known fields of the right types; its operator is Exists or Equal (Exists takes no "
        "value, no key needs Exists); its effect is NoSchedule, PreferNoSchedule or NoExecute; "
        "tolerationSeconds needs NoExecute.",
        _k8s(_CORE_VALIDATION, "ValidateTolerations"),
        "vm.toleration_problems",
    ),
    Rule(
        "kv-memory-required",
        Resource.VIRTUAL_MACHINE,
        "A VM needs memory: an instancetype, memory.guest or a memory request.",
        _kv(_VMI_ADMITTER, "ValidateVirtualMachineInstanceMandatoryFields"),
        "vm.sizing_problems",
    ),
    Rule(
        "kv-instancetype-conflict",
        Resource.VIRTUAL_MACHINE,
        "A VM with an instancetype may not also set what the instancetype provides (CPU topology, guest "
        "memory, CPU and memory requests and limits).",
        _kv("pkg/instancetype/apply/vmi.go", "ApplyToVMI (applyCPU, applyMemory conflicts)"),
        "vm.sizing_problems",
    ),
    Rule(
        "kv-infer-from-volume",
        Resource.VIRTUAL_MACHINE,
        "An instancetype or preference inferred from the root disk needs a root disk, and (unless its "
        "failure policy is Ignore) an image whose labels can name it: a DataSource or a cloned PVC.",
        _kv("pkg/instancetype/infer/volume.go", "fromVolumes; fromDataVolumeSpec"),
        "vm.inference_problems",
    ),
    Rule(
        "kv-infer-ignore-memory",
        Resource.VIRTUAL_MACHINE,
        "An instancetype inferred with failure policy Ignore needs memory as the fallback: a failed "
        "inference clears the instancetype, a successful one clears domain.memory.",
        _kv("pkg/instancetype/infer/handler.go", "Instancetype"),
        "vm.sizing_problems",
    ),
    Rule(
        "kv-quantity",
        Resource.VIRTUAL_MACHINE,
        "Memory sizes and resource requests and limits are Kubernetes quantities (20Gi, 500M, 1500m).",
        _k8s("staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go", "ParseQuantity"),
        "common.quantity_problems",
    ),
    Rule(
        "kv-memory-request-min",
        Resource.VIRTUAL_MACHINE,
        "A memory request is at least 1M.",
        _kv(_VMI_ADMITTER, "validateMemoryRequestsNegativeOrNull"),
        "vm.resources_problems",
    ),
    Rule(
        "kv-request-within-limit",
        Resource.VIRTUAL_MACHINE,
        "A CPU or memory request is not greater than its limit.",
        _kv(_VMI_ADMITTER, "validateCpuRequestDoesNotExceedLimit, validateMemoryLimitsNegativeOrNull"),
        "vm.resources_problems",
    ),
    Rule(
        "kv-guest-within-memory-limit",
        Resource.VIRTUAL_MACHINE,
        "Under the Stage rollout strategy, memory.guest is not greater than resources.limits.memory "
        "(LiveUpdate skips this check).",
        _kv(_VMI_ADMITTER, "validateGuestMemoryLimit"),
        "cluster.check_vms",
        (Setting.ROLLOUT_STRATEGY,),
    ),
    Rule(
        "kv-cpu-positive",
        Resource.VIRTUAL_MACHINE,
        "CPU sockets, cores and threads are positive counts.",
        _kv("staging/src/kubevirt.io/api/core/v1/schema.go", "CPU (uint32 fields; zero means unset)"),
        "vm.cpu_problems",
    ),
    Rule(
        "kv-cpu-max-sockets",
        Resource.VIRTUAL_MACHINE,
        "cpu.sockets is not greater than cpu.maxSockets (the CPU hot-plug ceiling).",
        _kv(_VMI_ADMITTER, "validateCPUHotplug"),
        "vm.cpu_problems",
    ),
    Rule(
        "kv-dedicated-cpu-threads",
        Resource.VIRTUAL_MACHINE,
        "With dedicated CPU placement a VM has at most 2 threads per core.",
        _kv(_VMI_ADMITTER, "validateThreadCountOnDedicatedCPUPlacement"),
        "vm.cpu_problems",
    ),
    Rule(
        "kv-dedicated-cpu-resources",
        Resource.VIRTUAL_MACHINE,
        "With dedicated CPU placement, CPU requests and limits are whole numbers and equal, and the memory "
        "request equals the memory limit.",
        _kv(
            _VMI_ADMITTER,
            "validateCPURequestIsInteger, validateCPULimitIsInteger, validateRequestEqualsLimitOnDedicatedCPU"
            "Placement, validateMemoryRequestsAndLimits",
        ),
        "vm.resources_problems",
    ),
    Rule(
        "kv-memory-hotplug-max",
        Resource.VIRTUAL_MACHINE,
        "memory.guest is not greater than memory.maxGuest.",
        _kv("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory"),
        "vm.memory_problems",
    ),
    Rule(
        "kv-memory-hotplug-min",
        Resource.VIRTUAL_MACHINE,
        "Under the LiveUpdate rollout strategy (the default since KubeVirt v1.6), a VM with memory.maxGuest "
        "has at least 1Gi of guest memory.",
        _kv("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory (requiredMinGuestMemory)"),
        "cluster.check_vms",
        (Setting.ROLLOUT_STRATEGY,),
    ),
    Rule(
        "kv-memory-hotplug-alignment",
        Resource.VIRTUAL_MACHINE,
        "Under the LiveUpdate rollout strategy, memory.guest and memory.maxGuest of a hot-pluggable VM are "
        "multiples of 2Mi (the hot-plug block size).",
        _kv("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory (HotplugBlockAlignmentBytes)"),
        "cluster.check_vms",
        (Setting.ROLLOUT_STRATEGY,),
    ),
    Rule(
        "kv-memory-hotplug-arch",
        Resource.VIRTUAL_MACHINE,
        "Under the LiveUpdate rollout strategy, memory hot-plug (memory.maxGuest) is available only to amd64 "
        "VMs; a VM without an architecture gets the cluster's default architecture.",
        _kv("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory"),
        "cluster.check_vms",
        (Setting.ROLLOUT_STRATEGY, Setting.ARCHITECTURE),
    ),
    Rule(
        "kv-machine-type",
        Resource.VIRTUAL_MACHINE,
        "machine_type matches one of the cluster's emulated machines (amd64 default: q35*, pc-q35*).",
        _kv(_VMI_ADMITTER, "validateEmulatedMachine"),
        "cluster.check_vms",
        (Setting.EMULATED_MACHINES, Setting.ARCHITECTURE),
    ),
    Rule(
        "kv-secure-boot-efi",
        Resource.VIRTUAL_MACHINE,
        "Secure boot and a persistent EFI store need EFI firmware (and SMM, which the compiler enables).",
        _kv(_VMI_ADMITTER, "validateDomainSpec, validateFirmware"),
        "vm.firmware_problems",
    ),
    Rule(
        "kv-hostname-dns-label",
        Resource.VIRTUAL_MACHINE,
        "hostname is an RFC 1123 label.",
        _kv(_VMI_ADMITTER, "validateHostNameNotConformingToDNSLabelRules"),
        "vm.validate_vm",
    ),
    Rule(
        "kv-disk-name-unique",
        Resource.VIRTUAL_MACHINE,
        "Disk, CD-ROM and volume names are unique within a VM (the root disk and cloud-init take 'root' and "
        "'cloudinit').",
        _kv(_DISKS_ADMITTER, "validateDiskName; " + _VMI_ADMITTER + " validateVolumes"),
        "vm.device_problems",
    ),
    Rule(
        "kv-boot-order",
        Resource.VIRTUAL_MACHINE,
        "A boot order is greater than zero and no two devices share one.",
        _kv(_VMI_ADMITTER, "validateBootOrder; " + _DISKS_ADMITTER + " validateBootOrderValue"),
        "vm.device_problems",
    ),
    Rule(
        "kv-sata-read-only",
        Resource.VIRTUAL_MACHINE,
        "A SATA hard disk cannot be read-only (SATA CD-ROMs are always read-only).",
        _kv(_DISKS_ADMITTER, "validateBusSupport"),
        "vm.attachment_problems",
    ),
    Rule(
        "kv-cdrom-bus",
        Resource.VIRTUAL_MACHINE,
        "A CD-ROM is on the sata or scsi bus, never virtio.",
        _kv(_DISKS_ADMITTER, "validateBusSupport"),
        "CdromBus vocabulary (schema enum)",
    ),
    Rule(
        "kv-hotplug-bus",
        Resource.VIRTUAL_MACHINE,
        "A hot-pluggable disk is on the virtio or scsi bus.",
        _kv(_HOTPLUG_ADMITTER, "ValidateHotplugDiskConfiguration"),
        "vm.attachment_problems",
    ),
    Rule(
        "kv-hotplug-no-boot",
        Resource.VIRTUAL_MACHINE,
        "A hot-pluggable disk is not a boot device. KubeVirt accepts a boot order on it (it checks only that "
        "the order is above zero) but attaches the disk after the guest has started, so the guest cannot "
        "boot from it: a failure at run time, refused here.",
        _kv(_HOTPLUG_ADMITTER, "ValidateHotplugDiskConfiguration (boot order > 0 only)"),
        "vm.attachment_problems",
    ),
    Rule(
        "kv-iface-name-unique",
        Resource.VIRTUAL_MACHINE,
        "NIC names are unique, and each NIC has its own network.",
        _kv(_NET_ADMITTER + "/netiface.go", "validateInterfaceNameUnique, validateNetworkNameUnique"),
        "vm.nic_problems",
    ),
    Rule(
        "kv-single-pod-network",
        Resource.VIRTUAL_MACHINE,
        "At most one NIC uses the pod network.",
        _kv(_NET_ADMITTER + "/netsource.go", "validateSinglePodNetwork"),
        "vm.nic_problems",
    ),
    Rule(
        "kv-masquerade-pod-only",
        Resource.VIRTUAL_MACHINE,
        "The masquerade binding works only on the pod network.",
        _kv(_NET_ADMITTER + "/binding.go", "validateMasqueradeBinding"),
        "vm.nic_problems",
    ),
    Rule(
        "kv-masquerade-reserved-mac",
        Resource.VIRTUAL_MACHINE,
        "A masquerade NIC may not use 02:00:00:00:00:00, the MAC of the in-pod bridge.",
        _kv(_NET_ADMITTER + "/binding.go", "validateMasqueradeBinding (link.IsReserved)"),
        "vm.nic_problems",
    ),
    Rule(
        "kv-mac-address",
        Resource.VIRTUAL_MACHINE,
        "A fixed MAC address is six colon- or dash-separated hex pairs.",
        _kv(_NET_ADMITTER + "/netiface.go", "validateMacAddress (link.ValidateMacAddress)"),
        "vm.nic_problems",
    ),
    Rule(
        "kv-forward-port",
        Resource.VIRTUAL_MACHINE,
        "A forwarded port is 1 to 65535, TCP or UDP (not SCTP), and a port name is a valid, unique IANA "
        "service name.",
        _kv(
            _NET_ADMITTER + "/netiface.go",
            "validateForwardPortInRange, validateForwardPortProtocol, validateForwardPortsName",
        ),
        "vm.nic_problems",
    ),
    Rule(
        "kv-ssh-cloud-init-volume",
        Resource.VIRTUAL_MACHINE,
        "SSH keys propagated by cloud-init need a noCloud or configDrive volume (the VM's cloud_init).",
        _kv(_VMI_ADMITTER, "validateAccessCredentials"),
        "vm.ssh_problems",
    ),
    Rule(
        "kv-ssh-agent-users",
        Resource.VIRTUAL_MACHINE,
        "SSH keys propagated by the guest agent need at least one user.",
        _kv(_VMI_ADMITTER, "validateAccessCredentials"),
        "vm.ssh_problems",
    ),
    # --- Cloud-init content ----------------------------------------------------------------------------
    Rule(
        "ci-user-data-yaml",
        Resource.CLOUD_INIT,
        "User data that starts with #cloud-config is a YAML mapping; anything else makes cloud-init skip it "
        "at boot (the VM starts unconfigured).",
        Upstream(CLOUD_INIT, CLOUD_INIT_TAG, "cloudinit/handlers/cloud_config.py", "CloudConfigPartHandler"),
        "content.user_data_problems",
    ),
    Rule(
        "ci-network-config",
        Resource.CLOUD_INIT,
        "Network data is YAML with version 1 (a 'config' list of typed entries) or version 2 (ethernets, "
        "bonds, bridges, vlans mappings); anything else is not applied at boot.",
        Upstream(CLOUD_INIT, CLOUD_INIT_TAG, "cloudinit/net/network_state.py", "parse_net_config_data"),
        "content.network_data_problems",
    ),
    # --- Disk (CDI and Kubernetes) ---------------------------------------------------------------------
    Rule(
        "cdi-size-min",
        Resource.DISK,
        "A DataVolume's size is at least 1MiB.",
        _cdi(_DV_WEBHOOK, "validateStorageSize"),
        "disk.size_problems",
    ),
    Rule(
        "k8s-pvc-size-positive",
        Resource.DISK,
        "A PersistentVolumeClaim's storage request is greater than zero.",
        _k8s(_CORE_VALIDATION, "ValidatePersistentVolumeClaimSpec"),
        "common.quantity_problems",
    ),
    Rule(
        "cdi-one-source",
        Resource.DISK,
        "A DataVolume has exactly one source.",
        _cdi(_DV_WEBHOOK + "; " + _CDI_UTIL, "validateDataVolumeSpec; validateNumberOfSources"),
        "disk.validate_disk",
    ),
    Rule(
        "cdi-http-url",
        Resource.DISK,
        "An HTTP source URL is an absolute URL with the scheme http, https or gs.",
        _cdi(_CDI_UTIL, "validateSourceURL"),
        "disk.image_url_problems",
    ),
    Rule(
        "cdi-registry-url",
        Resource.DISK,
        "A registry source URL has the scheme docker:// or oci-archive://.",
        _cdi(_CDI_UTIL, "validateDataVolumeSourceRegistry"),
        "disk.image_url_problems",
    ),
    Rule(
        "cdi-pvc-source",
        Resource.DISK,
        "A PVC clone source names a namespace and a claim.",
        _cdi(_DV_WEBHOOK, "validateDataVolumeSpec (source PVC)"),
        "disk.validate_disk",
    ),
    Rule(
        "cdi-source-ref",
        Resource.DISK,
        "A DataSource source (sourceRef of kind DataSource) names the DataSource; its namespace, when "
        "given, is a namespace name.",
        _cdi(_DV_WEBHOOK, "validateSourceRef"),
        "disk.data_source_problems",
    ),
    Rule(
        "k8s-pvc-access-modes",
        Resource.DISK,
        "Access modes are listed once each, and ReadWriteOncePod is not combined with another mode.",
        _k8s(_CORE_VALIDATION, "ValidatePersistentVolumeClaimSpec, ValidatePersistentVolumeSpec accessModes"),
        "disk.access_mode_problems",
    ),
    # --- Network (CNI plugins) -------------------------------------------------------------------------
    Rule(
        "cni-vlan-range",
        Resource.NETWORK,
        "A VLAN ID is 0 to 4094 (0 means untagged).",
        Upstream(CNI_PLUGINS, CNI_PLUGINS_TAG, "plugins/main/bridge/bridge.go", "loadNetConf"),
        "network.validate_network",
    ),
    Rule(
        "cni-interface-name",
        Resource.NETWORK,
        "A Linux bridge or macvlan master is an interface name: 1 to 15 characters, no '/', ':' or "
        "whitespace, not '.' or '..'; the plugin cannot create or find anything else.",
        Upstream(
            CNI_PLUGINS,
            CNI_PLUGINS_TAG,
            "plugins/main/bridge/bridge.go ensureBridge; plugins/main/macvlan/macvlan.go",
            "createMacvlan (netlink; Linux net/core/dev.c dev_valid_name)",
        ),
        "network.interface_name_problems",
    ),
    Rule(
        "cni-macvlan-mode",
        Resource.NETWORK,
        "A macvlan mode is bridge, private, vepa or passthru.",
        Upstream(CNI_PLUGINS, CNI_PLUGINS_TAG, "plugins/main/macvlan/macvlan.go", "modeFromString"),
        "MacvlanMode vocabulary (schema enum)",
    ),
    Rule(
        "cni-static-ipam",
        Resource.NETWORK,
        "Static IPAM addresses are in CIDR notation, and the gateway and route gateways are IP addresses.",
        Upstream(CNI_PLUGINS, CNI_PLUGINS_TAG, "plugins/ipam/static/main.go", "LoadIPAMConfig"),
        "network.ipam_problems",
    ),
    Rule(
        "whereabouts-range",
        Resource.NETWORK,
        "Whereabouts needs a range in CIDR notation, and each excluded range is in CIDR notation.",
        Upstream(WHEREABOUTS, WHEREABOUTS_TAG, "pkg/config/config.go", "LoadIPAMConfig"),
        "network.ipam_problems",
    ),
    Rule(
        "sriov-vlan-range",
        Resource.NETWORK,
        "An SR-IOV VLAN ID is 0 to 4094.",
        Upstream(SRIOV_CNI, SRIOV_CNI_TAG, "pkg/config/config.go", "LoadConf"),
        "network.validate_network",
    ),
    # --- Service (Kubernetes) --------------------------------------------------------------------------
    Rule(
        "k8s-service-name",
        Resource.SERVICE,
        "A Service's name (the VM's name) is an RFC 1035 label: it starts with a letter.",
        _k8s(_CORE_VALIDATION, "ValidateServiceName (IsDNS1035Label)"),
        "vm.validate_vm",
    ),
    Rule(
        "k8s-service-port-name",
        Resource.SERVICE,
        "A Service port name is a unique IANA service name: at most 15 lowercase letters, digits and '-', "
        "with a letter.",
        _k8s(_CORE_VALIDATION, "validateServicePort (IsValidPortName)"),
        "vm.service_problems",
    ),
    Rule(
        "k8s-service-port-unique",
        Resource.SERVICE,
        "No two ports of a Service have the same port number and protocol.",
        _k8s(_CORE_VALIDATION, "ValidateService (duplicate ports)"),
        "vm.service_problems",
    ),
    Rule(
        "k8s-service-port-range",
        Resource.SERVICE,
        "Service ports and target ports are 1 to 65535.",
        _k8s(_CORE_VALIDATION, "validateServicePort"),
        "vm.service_problems",
    ),
    Rule(
        "k8s-node-port-type",
        Resource.SERVICE,
        "A node port needs a NodePort or LoadBalancer Service.",
        _k8s(_CORE_VALIDATION, "ValidateService (nodePort on ClusterIP)"),
        "vm.service_problems",
    ),
    Rule(
        "k8s-node-port-range",
        Resource.SERVICE,
        "A node port lies in the API server's node port range (default 30000-32767).",
        _k8s("pkg/registry/core/service/portallocator/allocator.go", "Allocate (ErrNotInRange)"),
        "cluster.check_vms",
        (Setting.NODE_PORT_RANGE,),
    ),
    Rule(
        "k8s-node-port-unique",
        Resource.SERVICE,
        "A node port is used once per cluster (per protocol within one Service).",
        _k8s(
            _CORE_VALIDATION + "; pkg/registry/core/service/portallocator/allocator.go",
            "ValidateService (duplicate nodePort); Allocate (ErrAllocated)",
        ),
        "references.validate_fleet",
    ),
    # --- Secret (Kubernetes) ---------------------------------------------------------------------------
    Rule(
        "k8s-secret-size",
        Resource.SECRET,
        "A Secret (cloud-init user and network data) holds at most 1 MiB.",
        _k8s(_CORE_VALIDATION, "ValidateSecret (MaxSecretSize)"),
        "vm.cloud_init_problems",
    ),
    # --- Migration policies, clones, pools (KubeVirt) ----------------------------------------------------
    Rule(
        "kv-migration-policy-bandwidth",
        Resource.MIGRATION_POLICY,
        "bandwidth_per_migration is a quantity (bytes per second) and not negative.",
        _kv(_MIGRATION_POLICY_ADMITTER, "MigrationPolicyAdmitter.Admit (bandwidthPerMigration)"),
        "mobility.validate_migration_policy",
    ),
    Rule(
        "kv-migration-policy-timeout",
        Resource.MIGRATION_POLICY,
        "completion_timeout_per_gib is a whole number of seconds, not negative.",
        _kv(_MIGRATION_POLICY_ADMITTER, "MigrationPolicyAdmitter.Admit (completionTimeoutPerGiB)"),
        "mobility.validate_migration_policy",
    ),
    Rule(
        "kv-clone-target-not-source",
        Resource.CLONE,
        "A clone of a VM cannot name the source VM as its target.",
        _kv(_CLONE_ADMITTER, "validateTarget"),
        "mobility.validate_clone",
    ),
    Rule(
        "kv-clone-mac-address",
        Resource.CLONE,
        "Each MAC address in new_mac_addresses is six colon- or dash-separated hex pairs.",
        _kv(_CLONE_ADMITTER, "validateNewMacAddresses (link.ValidateMacAddress)"),
        "mobility.validate_clone",
    ),
    Rule(
        "kv-pool-max-unavailable",
        Resource.POOL,
        "max_unavailable is a count greater than 0 or a percentage from 1% to 100%.",
        _kv(_POOL_ADMITTER, "ValidateVMPoolSpec (maxUnavailable)"),
        "mobility.validate_pool",
    ),
    Rule(
        "kv-pool-no-shared-disk",
        Resource.POOL,
        "A pool's VM has no disks of its own (root_disk, disks): KubeVirt gives each member its own copy "
        "only of dataVolumeTemplates, so every member would attach the same disk.",
        _kv("pkg/virt-controller/watch/pool/pool.go", "indexVMSpec"),
        "mobility.validate_pool",
    ),
)

_INTRO = """# Validation rules

Every rule of the platform that something written through pulumi-kubevirt can break, with where it lives
upstream and which of our checks catches it before anything reaches the cluster. Generated from
`provider/pulumi_kubevirt/spec/validate/rules.py` by `python scripts/validation-rules-doc.py`; do not edit by
hand. Each row has a test in `tests/unit/test_validation_rules.py` (the `id` is the test's id).

Rules marked **cluster** depend on a cluster setting: `kvplan plan` checks them against the cluster it reads
(`spec.validate.check_cluster` with the settings of the KubeVirt CR); without a cluster they are warnings.
The same rules run on compiled objects (`spec.validate.objects`, part of `kvplan validate`), which also covers
what a raw patch changes.

Sources are at these versions: KubeVirt v1.9.0, CDI v1.66.0, containernetworking/plugins v1.9.1, sriov-cni
v2.10.0, whereabouts v0.9.4, cloud-init 26.2. The Kubernetes rows (`pkg/apis/core/validation`, apimachinery
validation) are long-standing rules cited at the v1.34 release line.
"""


def rules_markdown() -> str:
    """``docs/validation-rules.md``: the table grouped by resource, with sources."""
    lines = [_INTRO]
    for resource in Resource:
        rows = [r for r in RULES if r.resource is resource]
        if not rows:
            continue
        lines += [f"## {resource.value}", "", "| id | rule | upstream | our check |", "|---|---|---|---|"]
        for row in rows:
            depends = f" **cluster**: {', '.join(s.value for s in row.depends_on)}." if row.depends_on else ""
            where = f"{row.source.repo}@{row.source.tag} `{row.source.file}` {row.source.function}"
            lines.append(f"| `{row.id}` | {row.rule}{depends} | {where} | `{row.check}` |")
        lines.append("")
    return "\n".join(lines)
