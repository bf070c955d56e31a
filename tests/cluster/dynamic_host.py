"""Pulumi's real Python dynamic-provider host, driven over gRPC the way the engine drives it.

``python -m pulumi.dynamic`` prints its port; the engine then calls Configure once and Check/Diff/Create/
Update/Read/Delete with properties as protobuf Structs, the provider pickled (by dill) under ``__provider``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

URN = "urn:pulumi:dev::story::kubevirt:index:VirtualMachine$pulumi-python:dynamic:Resource::{name}"


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


class DynamicHost:
    """One ``python -m pulumi.dynamic`` process and a stub to it; ``close`` stops it by its pid."""

    def __init__(self, provider: ResourceProvider, name: str = "snapshot-before") -> None:
        self.provider_text = serialize_provider(provider)
        self.urn = URN.format(name=name)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(proto.ConfigureRequest(args=_struct({})))

    def with_provider(self, props: Mapping[str, Any]) -> struct_pb2.Struct:
        return _struct({**props, PROVIDER_KEY: self.provider_text})

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.stub.Check(
            proto.CheckRequest(urn=self.urn, olds=self.with_provider(olds), news=self.with_provider(news))
        )
        return _plain(answer.inputs)

    def create(self, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        answer = self.stub.Create(proto.CreateRequest(urn=self.urn, properties=self.with_provider(props)))
        return answer.id, _plain(answer.properties)

    def diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        return self.stub.Diff(
            proto.DiffRequest(
                id=id_, urn=self.urn, olds=self.with_provider(olds), news=self.with_provider(news)
            )
        )

    def update(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.stub.Update(
            proto.UpdateRequest(
                id=id_, urn=self.urn, olds=self.with_provider(olds), news=self.with_provider(news)
            )
        )
        return _plain(answer.properties)

    def apply(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        """What ``pulumi up`` does to an existing resource: Check, Diff, then Update if Diff says so."""
        inputs = self.check(olds, news)
        if self.diff(id_, olds, inputs).changes != proto.DiffResponse.DIFF_SOME:
            return dict(olds)
        return self.update(id_, olds, inputs)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
