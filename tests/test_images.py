"""Files on storage: downloads (cloud images, ISO images, container templates) and cloud-init snippets."""

from __future__ import annotations

from typing import Any

import pytest
from lab import Lab, lab, only, resources, synth_json
from pvecdk import (
    ChecksumAlgorithm,
    ConfigError,
    ContentType,
    Decompression,
    DirStorage,
    DownloadedFile,
    NfsStorage,
    Snippet,
    Storage,
    _cdk,
)

URL = "https://cloud.example.org/images/debian-13-genericcloud-amd64.qcow2"
SHA512 = "0123456789abcdef" * 8


def _images(lb: Lab) -> Storage:
    return NfsStorage(lb.stack, "images", server="10.0.0.100", export="/srv/images",
                      content=[ContentType.IMPORT, ContentType.ISO, ContentType.VZTMPL, ContentType.SNIPPETS])


def _download(lb: Lab, **kw: Any) -> DownloadedFile:
    args: dict[str, Any] = {"cluster": lb.cluster, "storage": _images(lb), "url": URL, "checksum": SHA512,
                            "checksum_algorithm": ChecksumAlgorithm.SHA512}
    args.update(kw)
    return DownloadedFile(lb.stack, "debian", **args)


def _ids_on(lb: Lab, file: Any) -> dict[str, str]:
    """What ``file.file_id_on(node)`` refers to, per node, as synthesized."""
    for n in lb.nodes:
        _cdk.TerraformOutput(lb.stack, f"{file.node.id}-on-{n.name}", value=file.file_id_on(n))
    outputs = synth_json(lb.stack)["output"]
    return {n.name: outputs[f"{file.node.id}-on-{n.name}"]["value"] for n in lb.nodes}


# ------------------------------------------------------------------------------------------------ downloads


def test_shared_storage_downloads_once_as_import_content() -> None:
    lb = lab()
    image = _download(lb)
    (res,) = resources(lb.stack, "proxmox_download_file")
    assert res["content_type"] == "import" and res["file_name"] == "debian-13-genericcloud-amd64.qcow2"
    assert res["checksum"] == SHA512 and res["checksum_algorithm"] == "sha512"
    assert res["node_name"] == "pve1" and res["url"] == URL
    assert res["datastore_id"].startswith("${proxmox_storage_nfs."), "the download waits for the storage"
    assert res["depends_on"] == ["pvecdk_cluster.Cluster_Membership_EC0F6DFD"]
    assert image.node_names == ("pve1",) and image.content is ContentType.IMPORT
    assert all(image.available_on(n) for n in lb.nodes)
    assert set(_ids_on(lb, image).values()) == {"${proxmox_download_file.debian_E6F5C0D0.id}"}, \
        "one volume for every node"


def test_local_storage_downloads_on_every_node_or_those_given() -> None:
    lb = lab()
    iso = DownloadedFile(lb.stack, "alpine", cluster=lb.cluster, storage=lb.local,
                         url="http://mirror.example.org/alpine-virt.iso.gz", decompression=Decompression.GZ,
                         checksum="ab" * 32, checksum_algorithm="sha256")
    tmpl = DownloadedFile(lb.stack, "ct", cluster=lb.cluster, storage=lb.local, nodes=[lb.nodes[1]],
                          url="http://example.org/debian-12-standard_12.7-1_amd64.tar.zst", checksum="cd" * 16,
                          checksum_algorithm=ChecksumAlgorithm.MD5)
    by_file = {}
    for r in resources(lb.stack, "proxmox_download_file"):
        by_file.setdefault(r["file_name"], []).append(r)
    assert sorted(r["node_name"] for r in by_file["alpine-virt.iso"]) == ["pve1", "pve2", "pve3"]
    assert {r["decompression_algorithm"] for r in by_file["alpine-virt.iso"]} == {"gz"}
    assert {r["content_type"] for r in by_file["alpine-virt.iso"]} == {"iso"}
    (ct,) = by_file["debian-12-standard_12.7-1_amd64.tar.zst"]
    assert ct["node_name"] == "pve2" and ct["content_type"] == "vztmpl"
    ids = _ids_on(lb, iso)
    assert all(ids[n].startswith(f"${{proxmox_download_file.alpine_Resource-{n}_") for n in ("pve1", "pve2", "pve3"))
    assert len(set(ids.values())) == 3, "each node's copy is its own resource"
    assert tmpl.available_on(lb.nodes[1]) and not tmpl.available_on(lb.nodes[0])


def test_a_qcow2_image_published_as_img_is_stored_under_a_name_pve_imports() -> None:
    lb = lab()
    _download(lb, url="https://cloud.example.org/noble-server-cloudimg-amd64.img",
              file_name="noble.qcow2", content=ContentType.IMPORT, verify_tls=False, upload_timeout_seconds=900)
    (res,) = resources(lb.stack, "proxmox_download_file")
    assert (res["file_name"], res["content_type"], res["verify"], res["upload_timeout"]) == (
        "noble.qcow2", "import", False, 900)


@pytest.mark.parametrize(("algorithm", "digits"), [("md5", 32), ("sha1", 40), ("sha224", 56), ("sha256", 64),
                                                   ("sha384", 96), ("sha512", 128)])
def test_checksum_length_is_checked_exactly_at_the_algorithms_length(algorithm: str, digits: int) -> None:
    assert ChecksumAlgorithm(algorithm).hex_digits == digits
    _download(lab(), checksum="a" * digits, checksum_algorithm=algorithm)
    for wrong in (digits - 1, digits + 1):
        with pytest.raises(ConfigError) as excinfo:
            _download(lab(), checksum="a" * wrong, checksum_algorithm=algorithm)
        p = only(excinfo)
        assert (p.path, p.field) == ("test/debian", "checksum")
        assert p.problem == f"a {algorithm} checksum is {digits} hex digits, got {wrong} characters"


def test_rejects_a_checksum_that_is_not_hex() -> None:
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), checksum="z" * 128)
    assert only(excinfo).problem == "a sha512 checksum is 128 hex digits, got 128 characters that are not all hex"


@pytest.mark.parametrize("url", ["ftp://example.org/debian.qcow2", "file:///srv/debian.qcow2", "debian.qcow2",
                                 "https:///debian.qcow2"])
def test_rejects_a_url_pve_does_not_download(url: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), url=url)
    p = only(excinfo)
    assert p.field == "url" and "http:// or https://" in p.fix


def test_rejects_an_image_name_import_content_does_not_take() -> None:
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), url="https://cloud.example.org/noble.img", content=ContentType.IMPORT)
    p = only(excinfo)
    assert p.field == "file_name"
    assert p.problem == "PVE stores import content only under a name ending .qcow2, .raw, .vmdk, .ova, got 'noble.img'"


def test_rejects_decompression_of_anything_but_an_iso_image() -> None:
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), url=URL + ".gz", decompression="gz")
    p = only(excinfo)
    assert (p.field, p.problem) == ("decompression", "PVE decompresses only ISO images, not import content")


def test_rejects_a_storage_that_does_not_hold_the_content() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        DownloadedFile(lb.stack, "debian", cluster=lb.cluster, storage=lb.nfs, url=URL, checksum=SHA512,
                       checksum_algorithm="sha512")
    p = only(excinfo)
    assert (p.field, p.problem) == ("storage", "storage nfs-backup does not hold import (it holds backup, iso)")
    assert p.fix == "use a storage with import in its content, or add import to nfs-backup's content"


def test_rejects_a_storage_given_by_name() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        DownloadedFile(lb.stack, "debian", cluster=lb.cluster, storage="local", url=URL, checksum=SHA512,
                       checksum_algorithm="sha512")
    p = only(excinfo)
    assert p.field == "storage" and "Storage.from_id" in p.fix


def test_rejects_nodes_for_shared_storage_and_nodes_the_storage_lacks() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        _download(lb, nodes=[lb.nodes[0]])
    assert (only(excinfo).field, only(excinfo).fix) == ("nodes", "leave nodes unset")
    scratch = DirStorage(lb.stack, "scratch", path="/srv/scratch", content=[ContentType.ISO], nodes=[lb.nodes[0]])
    with pytest.raises(ConfigError) as excinfo:
        DownloadedFile(lb.stack, "iso", cluster=lb.cluster, storage=scratch, nodes=[lb.nodes[0], lb.nodes[2]],
                       url="https://example.org/a.iso", checksum="ab" * 32, checksum_algorithm="sha256")
    p = only(excinfo)
    assert (p.field, p.problem) == ("nodes", "storage scratch is not defined on node pve3")


def test_rejects_a_name_that_says_no_content() -> None:
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), url="https://example.org/download?id=5")
    assert only(excinfo).field in ("file_name", "content")
    with pytest.raises(ConfigError) as excinfo:
        _download(lab(), url="https://example.org/image.bin")
    p = only(excinfo)
    assert p.field == "content" and "pass content=" in p.fix


def test_every_problem_of_one_download_is_reported_at_once() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        DownloadedFile(lb.stack, "iso", cluster=lb.cluster, storage=lb.nfs, checksum="abc",
                       checksum_algorithm="sha256", url="https://example.org/a.qcow2.gz", decompression="gz")
    assert sorted(p.field for p in excinfo.value.problems) == ["checksum", "decompression", "storage"]


# ------------------------------------------------------------------------------------------------- snippets


def test_a_snippet_is_uploaded_once_to_shared_storage_and_to_each_node_of_local() -> None:
    lb = lab()
    shared = Snippet(lb.stack, "agent", cluster=lb.cluster, storage=_images(lb), file_name="agent.yaml",
                     data="#cloud-config\npackages: [qemu-guest-agent]\n")
    scratch = DirStorage(lb.stack, "scratch", path="/srv/scratch", content=[ContentType.SNIPPETS],
                         nodes=[lb.nodes[0], lb.nodes[1]])
    local = Snippet(lb.stack, "net", cluster=lb.cluster, storage=scratch, file_name="net.yaml",
                    data="network:\n  version: 2\n")
    files = resources(lb.stack, "proxmox_virtual_environment_file")
    by_name: dict[str, list[str]] = {}
    for f in files:
        assert f["content_type"] == "snippets"
        by_name.setdefault(f["source_raw"]["file_name"], []).append(f["node_name"])
    assert by_name == {"agent.yaml": ["pve1"], "net.yaml": ["pve1", "pve2"]}
    assert shared.available_on(lb.nodes[2]) and not local.available_on(lb.nodes[2])
    problem = local.problem_on(lb.nodes[2], "test/vm", "cloud_init.network_data")
    assert problem is not None and problem.fix == "add pve3 to its nodes, or leave nodes unset"


def test_rejects_a_snippet_on_storage_without_snippets_or_empty() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        Snippet(lb.stack, "s", cluster=lb.cluster, storage=lb.local, file_name="u.yaml", data="x")
    p = only(excinfo)
    assert (p.field, p.problem) == ("storage", "storage local does not hold snippets (it holds backup, iso, vztmpl)")
    with pytest.raises(ConfigError) as excinfo:
        Snippet(lb.stack, "s", cluster=lb.cluster, storage=_images(lb), file_name="../u.yaml", data="  ")
    assert sorted(p.field for p in excinfo.value.problems) == ["data", "file_name"]
