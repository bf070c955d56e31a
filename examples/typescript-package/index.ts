// Written by hand against ../../package/schema.json: the SDK `@pulumi/kubevirt` that `pulumi package add
// ../../package` generates (into sdks/kubevirt, referenced by Pulumi.yaml's `packages`) could not be generated
// here, because the Pulumi CLI is not installed. Names follow Pulumi's codegen: camelCase properties, one
// `<Type>Args` input interface per schema type, enums as string values.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import * as kubevirt from "@pulumi/kubevirt";

// Values taken from other resources: unknown at the first preview, known during `pulumi up`.
const ns = new k8s.core.v1.Namespace("shop", { metadata: { name: "shop" } });
const key = new tls.PrivateKey("ops", { algorithm: "ED25519" });

const network = new kubevirt.Network("vlan", {
    namespace: ns.metadata.name,
    name: "vlan120",
    bridge: "br1",
    vlan: 120,
});

const data = new kubevirt.Disk("data", {
    namespace: ns.metadata.name,
    name: "data",
    size: "20Gi",
    source: { blank: true },
});

const web = new kubevirt.VirtualMachine("web", {
    namespace: ns.metadata.name,
    name: "web",
    memory: { guest: "2Gi" },
    cpu: { sockets: 2 },
    rootDisk: {
        image: { registry: { url: "docker://quay.io/containerdisks/fedora:40" } },
        size: "12Gi",
    },
    disks: [{ disk: "data" }],
    nics: [
        { name: "default" },
        { name: "vlan", network: "vlan120", binding: "bridge", macAddress: "02:00:00:00:01:20" },
    ],
    sshKeys: { keys: [key.publicKeyOpenssh] },
    cloudInit: { userData: pulumi.secret("#cloud-config\npackage_update: true\n") },
}, { dependsOn: [network, data] });

export const vmName = web.vmName;
export const vmNamespace = web.namespace;
export const diskNames = web.diskNames;
