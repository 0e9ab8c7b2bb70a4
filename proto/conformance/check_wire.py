"""Wire-compatibility check of rmq's .proto files against the official RocketMQ descriptors.

The reference is the descriptor set compiled into the official PyPI package
`rocketmq-python-client` (modules `rocketmq.grpc_protocol.*_pb2`), code nobody on this project
wrote. Every message, field (number, type, label, type name, oneof membership, proto3
presence), map entry, enum value, oneof and RPC signature found there must exist in ours with
the same shape. Items only we have are allowed only when they are named in NEWER_THAN_REFERENCE
(protocol additions after the release the package ships); any other extra item is a failure,
because a renamed item shows up as one missing and one extra.

Usage:
    python check_wire.py OURS.bin              compare, print a report, exit 1 on any difference
    python check_wire.py OURS.bin --self-test  also prove that a changed field number is caught
"""

from __future__ import annotations

import argparse
import sys

from google.protobuf import descriptor_pb2

PACKAGE = "apache.rocketmq.v2"

# Proto release 2.2.0 added these after the release the official Python package embeds.
NEWER_THAN_REFERENCE = {
    "field apache.rocketmq.v2.Settings.client_properties",
    "message apache.rocketmq.v2.Settings.ClientPropertiesEntry",
    "field apache.rocketmq.v2.Settings.ClientPropertiesEntry.key",
    "field apache.rocketmq.v2.Settings.ClientPropertiesEntry.value",
    "enum_value apache.rocketmq.v2.Code.INVALID_CLIENT_PROPERTIES",
}

TYPE_NAMES = {v: k for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}
LABEL_NAMES = {v: k for k, v in descriptor_pb2.FieldDescriptorProto.Label.items()}


def official_files() -> list[descriptor_pb2.FileDescriptorProto]:
    from rocketmq.grpc_protocol import admin_pb2, definition_pb2, service_pb2

    files = []
    for module in (definition_pb2, service_pb2, admin_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        files.append(proto)
    return files


def our_files(path: str) -> list[descriptor_pb2.FileDescriptorProto]:
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        fds.ParseFromString(f.read())
    return [f for f in fds.file if f.package == PACKAGE]


def flatten(files) -> dict[str, str]:
    """Maps a stable item name to a description of its wire-relevant shape."""
    items: dict[str, str] = {}

    def enum(e, scope):
        name = f"{scope}.{e.name}"
        items[f"enum {name}"] = f"{len(e.value)} values"
        for v in e.value:
            items[f"enum_value {name}.{v.name}"] = f"number={v.number}"

    def message(m, scope):
        name = f"{scope}.{m.name}"
        items[f"message {name}"] = f"map_entry={m.options.map_entry}"
        for nested in m.nested_type:
            message(nested, name)
        for e in m.enum_type:
            enum(e, name)
        oneofs: dict[str, list[str]] = {}
        for f in m.field:
            oneof = ""
            if f.HasField("oneof_index") and not f.proto3_optional:
                oneof = m.oneof_decl[f.oneof_index].name
                oneofs.setdefault(oneof, []).append(f.name)
            items[f"field {name}.{f.name}"] = (
                f"number={f.number} label={LABEL_NAMES[f.label]} type={TYPE_NAMES[f.type]}"
                f" type_name={f.type_name or '-'} oneof={oneof or '-'}"
                f" proto3_optional={f.proto3_optional}"
            )
        for oneof, members in oneofs.items():
            items[f"oneof {name}.{oneof}"] = "members=" + ",".join(sorted(members))

    for file in files:
        scope = file.package
        for e in file.enum_type:
            enum(e, scope)
        for m in file.message_type:
            message(m, scope)
        for s in file.service:
            items[f"service {scope}.{s.name}"] = f"{len(s.method)} rpcs"
            for rpc in s.method:
                items[f"rpc {scope}.{s.name}.{rpc.name}"] = (
                    f"{'stream ' if rpc.client_streaming else ''}{rpc.input_type} -> "
                    f"{'stream ' if rpc.server_streaming else ''}{rpc.output_type}"
                )
    return items


def compare(ours: dict[str, str], official: dict[str, str]) -> list[str]:
    problems = []
    for key, shape in sorted(official.items()):
        if key not in ours:
            problems.append(f"MISSING  {key}  (official: {shape})")
        elif ours[key] != shape and not _count_differs_only_by_newer(key, ours, official):
            problems.append(f"DIFFERS  {key}\n    ours:     {ours[key]}\n    official: {shape}")
    for key in sorted(set(ours) - set(official)):
        if key not in NEWER_THAN_REFERENCE:
            problems.append(f"EXTRA    {key}  (ours: {ours[key]})")
    return problems


def _count_differs_only_by_newer(key: str, ours: dict[str, str], official: dict[str, str]) -> bool:
    """Enum and service sizes may differ only by the allowed newer items they contain."""
    kind, _, name = key.partition(" ")
    if kind not in ("enum", "service"):
        return False
    child = "enum_value" if kind == "enum" else "rpc"
    newer = sum(1 for k in NEWER_THAN_REFERENCE if k.startswith(f"{child} {name}."))
    return int(ours[key].split()[0]) - newer == int(official[key].split()[0])


def self_test(our_path: str, official: dict[str, str]) -> bool:
    """Changes one field number in a copy of our descriptors; the check must notice."""
    files = our_files(our_path)
    for file in files:
        for m in file.message_type:
            if m.name == "SendResultEntry":
                for f in m.field:
                    if f.name == "recall_handle":
                        f.number = 6
    problems = compare(flatten(files), official)
    caught = any("SendResultEntry.recall_handle" in p for p in problems)
    print(f"self-test: SendResultEntry.recall_handle renumbered 5 -> 6: "
          f"{'caught' if caught else 'NOT caught'} ({len(problems)} difference(s))")
    return caught


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("descriptor_set", help="our encoded FileDescriptorSet")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()

    import importlib.metadata

    version = importlib.metadata.version("rocketmq-python-client")
    official = flatten(official_files())
    ours = flatten(our_files(args.descriptor_set))
    problems = compare(ours, official)

    kinds: dict[str, int] = {}
    for key in official:
        kinds[key.split(" ")[0]] = kinds.get(key.split(" ")[0], 0) + 1
    summary = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    newer = sorted(set(ours) - set(official))
    print(f"reference: rocketmq-python-client {version} ({len(official)} items: {summary})")
    for problem in problems:
        print(problem)
    matched = len(official) - sum(1 for p in problems if not p.startswith("EXTRA"))
    print(f"{matched} of {len(official)} official items match; "
          f"{len(newer)} newer item(s) only in ours: {', '.join(newer) or 'none'}")

    ok = not problems
    if args.self_test:
        ok = self_test(args.descriptor_set, official) and ok
    print(f"wire conformance: {'1 passed, 0 failed' if ok else '0 passed, 1 failed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
