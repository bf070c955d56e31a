"""VMware guest OS ids to common-instancetypes preferences and the OS names common-templates use.

Guest ids and their meaning: govmomi vim25/types/enum.go ``VirtualMachineGuestOsIdentifier`` (note the
trap: ``windows9*`` is Windows 10, ``windows9Server64Guest`` is Server 2016, ``windows2019srvNext_64Guest``
is Server 2022 and ``windows2022srvNext_64Guest`` is Server 2025). Preference names: common-instancetypes
v1.7.0 (``../shared/kubevirt/instancetypes``); the Windows preferences without ``.virtio`` prefer SATA disks
and e1000e NICs (e1000 for 2008 and older), the ``.virtio`` ones virtio. ``vm.kubevirt.io/os`` values are
those common-templates put on the VM template (templates/*.tpl.yaml, e.g. ``windows2k19``, ``rhel8``).
OVF descriptors without ``vmw:osType`` give only a CIM id, read through govmomi ovf/cim.go's table.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class OsFamily(enum.StrEnum):
    WINDOWS = "windows"
    LINUX = "linux"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class GuestOs:
    """What KubeVirt should know about a guest: its preference before and after virtio, its OS name."""

    pattern: str
    """A regular expression over the vSphere guest id."""
    description: str
    family: OsFamily
    preference: str | None
    """The preference for the compatible first boot."""
    virtio_preference: str | None
    """The preference once virtio drivers are in the guest (the second step)."""
    template_os: str | None = None
    """``vm.kubevirt.io/os`` as common-templates spell it; ``None`` when they have no template for it."""
    compatible_nic: str = "e1000e"


GUEST_OS_TABLE: tuple[GuestOs, ...] = (
    GuestOs(
        r"windows9(_64)?Guest",
        "Windows 10 (windows9 is Windows 10)",
        OsFamily.WINDOWS,
        "windows.10",
        "windows.10.virtio",
        "windows10",
    ),
    GuestOs(
        r"windows9Server64Guest",
        "Windows Server 2016 (VMware: Windows 10 Server)",
        OsFamily.WINDOWS,
        "windows.2k16",
        "windows.2k16.virtio",
        "windows2k16",
    ),
    GuestOs(
        r"windows11_64Guest", "Windows 11", OsFamily.WINDOWS, "windows.11", "windows.11.virtio", "windows11"
    ),
    GuestOs(
        r"windows2019srv_64Guest",
        "Windows Server 2019",
        OsFamily.WINDOWS,
        "windows.2k19",
        "windows.2k19.virtio",
        "windows2k19",
    ),
    GuestOs(
        r"windows2019srvNext_64Guest",
        "Windows Server 2022 (VMware: 2019 Next)",
        OsFamily.WINDOWS,
        "windows.2k22",
        "windows.2k22.virtio",
        "windows2k22",
    ),
    GuestOs(
        r"windows2022srvNext_64Guest",
        "Windows Server 2025 (VMware: 2022 Next)",
        OsFamily.WINDOWS,
        "windows.2k25",
        "windows.2k25.virtio",
        "windows2k25",
    ),
    GuestOs(
        r"windows8Server64Guest",
        "Windows Server 2012",
        OsFamily.WINDOWS,
        "windows.2k12",
        "windows.2k12.virtio",
    ),
    GuestOs(
        r"windows7Server64Guest",
        "Windows Server 2008 R2",
        OsFamily.WINDOWS,
        "windows.2k8",
        "windows.2k8.virtio",
        compatible_nic="e1000",
    ),
    GuestOs(
        r"winLonghorn(64)?Guest",
        "Windows Server 2008",
        OsFamily.WINDOWS,
        "windows.2k8",
        "windows.2k8.virtio",
        compatible_nic="e1000",
    ),
    GuestOs(
        r"windows7(_64)?Guest",
        "Windows 7",
        OsFamily.WINDOWS,
        "windows.7",
        "windows.7.virtio",
        compatible_nic="e1000",
    ),
    GuestOs(
        r"windows8(_64)?Guest",
        "Windows 8 (no common preference: Windows 10's is the closest)",
        OsFamily.WINDOWS,
        "windows.10",
        "windows.10.virtio",
    ),
    GuestOs(
        r"winNet\w*Guest",
        "Windows Server 2003",
        OsFamily.WINDOWS,
        "windows.2k3",
        None,
        compatible_nic="e1000",
    ),
    GuestOs(r"winXP\w*Guest", "Windows XP", OsFamily.WINDOWS, "windows.xp", None, compatible_nic="e1000"),
    GuestOs(r"rhel10_64Guest", "Red Hat Enterprise Linux 10", OsFamily.LINUX, "rhel.10", "rhel.10"),
    GuestOs(r"rhel9_64Guest", "Red Hat Enterprise Linux 9", OsFamily.LINUX, "rhel.9", "rhel.9", "rhel9"),
    GuestOs(r"rhel8_64Guest", "Red Hat Enterprise Linux 8", OsFamily.LINUX, "rhel.8", "rhel.8", "rhel8"),
    GuestOs(r"rhel7(_64)?Guest", "Red Hat Enterprise Linux 7", OsFamily.LINUX, "rhel.7", "rhel.7", "rhel7"),
    GuestOs(
        r"rhel[2-6](_64)?Guest|redhatGuest",
        "Red Hat Enterprise Linux 6 or older (no rhel preference)",
        OsFamily.LINUX,
        "linux",
        "linux",
    ),
    GuestOs(
        r"centos9_64Guest",
        "CentOS Stream 9",
        OsFamily.LINUX,
        "centos.stream9",
        "centos.stream9",
        "centos-stream9",
    ),
    GuestOs(r"centos8_64Guest", "CentOS 8", OsFamily.LINUX, "rhel.8", "rhel.8"),
    GuestOs(r"centos7(_64)?Guest", "CentOS 7", OsFamily.LINUX, "rhel.7", "rhel.7"),
    GuestOs(r"centos6(_64)?Guest", "CentOS 6", OsFamily.LINUX, "linux", "linux", "centos6"),
    GuestOs(r"centos(64)?Guest", "CentOS 4/5", OsFamily.LINUX, "linux", "linux"),
    GuestOs(r"oracleLinux\w*Guest", "Oracle Linux", OsFamily.LINUX, "oraclelinux", "oraclelinux"),
    GuestOs(r"ubuntu(64)?Guest", "Ubuntu", OsFamily.LINUX, "ubuntu", "ubuntu", "ubuntu"),
    GuestOs(r"debian\d*(_64)?Guest", "Debian", OsFamily.LINUX, "debian", "debian"),
    GuestOs(r"sles\w*Guest", "SUSE Linux Enterprise Server", OsFamily.LINUX, "sles", "sles"),
    GuestOs(r"opensuse(64)?Guest", "openSUSE", OsFamily.LINUX, "opensuse.leap", "opensuse.leap", "opensuse"),
    GuestOs(r"fedora(64)?Guest", "Fedora", OsFamily.LINUX, "fedora", "fedora", "fedora"),
    GuestOs(
        r"(rockylinux|almalinux)_64Guest",
        "Rocky/Alma Linux (version not in the id)",
        OsFamily.LINUX,
        "linux",
        "linux",
    ),
    GuestOs(
        r"vmwarePhoton64Guest|other\w*[Ll]inux\w*Guest|\w*[Ll]inux\w*Guest",
        "other Linux",
        OsFamily.LINUX,
        "linux",
        "linux",
    ),
)
_COMPILED = tuple((re.compile(f"^(?:{row.pattern})$"), row) for row in GUEST_OS_TABLE)

GI = 2**30
MI = 2**20
# What each preference requires (common-instancetypes v1.7.0 ``spec.requirements``): (sockets, memory bytes).
# KubeVirt rejects a VM below them (kubevirt v1.9.0 pkg/instancetype/preference/requirements/cpu.go and
# memory.go, called from pkg/virt-api/webhooks/validating-webhook/admitters/vms-admitter.go). The CPU
# requirement is counted in sockets, these preferences' (default) preferred topology (apply/cpu.go
# GetPreferredTopology), so a 1-socket x 2-core Windows 11 VM does not meet windows.11's 2.
PREFERENCE_REQUIREMENTS: dict[str, tuple[int, int]] = {
    "centos.stream9": (1, 1536 * MI),
    "debian": (1, 512 * MI),
    "fedora": (1, 2 * GI),
    "opensuse.leap": (1, 2 * GI),
    "oraclelinux": (2, 4 * GI),
    "rhel.10": (1, 1536 * MI),
    "rhel.7": (1, 1 * GI),
    "rhel.8": (1, 1536 * MI),
    "rhel.9": (1, 1536 * MI),
    "sles": (1, 2 * GI),
    "ubuntu": (1, 2 * GI),
    "windows.10": (1, 2 * GI),
    "windows.10.virtio": (1, 2 * GI),
    "windows.11": (2, 4 * GI),
    "windows.11.virtio": (2, 4 * GI),
    "windows.2k12": (1, 512 * MI),
    "windows.2k12.virtio": (1, 512 * MI),
    "windows.2k16": (1, 2 * GI),
    "windows.2k16.virtio": (1, 2 * GI),
    "windows.2k19": (1, 2 * GI),
    "windows.2k19.virtio": (1, 2 * GI),
    "windows.2k22": (1, 2 * GI),
    "windows.2k22.virtio": (1, 2 * GI),
    "windows.2k25": (1, 2 * GI),
    "windows.2k25.virtio": (1, 2 * GI),
    "windows.2k3": (1, 256 * MI),
    "windows.2k8": (1, 512 * MI),
    "windows.2k8.virtio": (1, 512 * MI),
    "windows.7": (1, 2 * GI),
    "windows.7.virtio": (1, 2 * GI),
    "windows.xp": (1, 128 * MI),
}

# CIM OSType ids with a single vSphere guest id (govmomi ovf/cim.go, the entries without a version).
CIM_GUEST_IDS: dict[int, str] = {
    36: "otherLinuxGuest",
    79: "redhatGuest",
    93: "ubuntuGuest",
    94: "ubuntu64Guest",
    101: "otherLinux64Guest",
    103: "windows7Server64Guest",
    105: "windows7Guest",
    107: "centos64Guest",
    112: "windows8Server64Guest",
    115: "windows9Server64Guest",
}


def guest_os(guest_id: str | None) -> GuestOs | None:
    """The table row for a vSphere guest id, or ``None`` when the table has none."""
    if not guest_id:
        return None
    for regex, row in _COMPILED:
        if regex.match(guest_id):
            return row
    return None
