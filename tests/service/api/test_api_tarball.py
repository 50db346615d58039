"""``POST /v1/reviews`` with the new side as a tarball instead of a files map."""

from __future__ import annotations

import base64
import io
import tarfile

from tests.service.api.apistack import DIFF, FILES, ApiStack


def _tar(entries: dict[str, bytes], *, mode: str = "w:gz", link: str | None = None) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo("evil-link")
            info.type = tarfile.SYMTYPE
            info.linkname = link
            archive.addfile(info)
    return base64.b64encode(buffer.getvalue()).decode()


async def test_a_tarball_of_the_tree_is_reviewed_like_files(stack: ApiStack) -> None:
    tree = {"./app.py": FILES["app.py"].encode(), "README.md": b"unrelated\n"}
    review_id = await stack.submit(files={}, tarball=_tar(tree, link="/etc/passwd"))
    record = await stack.finished(review_id)
    assert [(f["path"], f["line"]) for f in record["review"]["findings"]] == [
        ("app.py", 2),
        ("app.py", 3),
    ]


async def test_bad_tarballs_are_refused_naming_the_field(stack: ApiStack) -> None:
    cases = {
        "not base64": "%%%",
        "not a tar": base64.b64encode(b"plain text").decode(),
        "outside": _tar({"../app.py": b"x\n"}, mode="w"),
        "not UTF-8": _tar({"app.py": b"\xff\xfe\x00"}),
    }
    for why, tarball in cases.items():
        answer = await stack.client.post(
            "/v1/reviews", json={"diff": DIFF, "tarball": tarball}, headers=stack.auth()
        )
        assert answer.status_code == 422, (why, answer.text)
        assert answer.json()["field"] == "tarball", why
    both = await stack.client.post(
        "/v1/reviews",
        json={"diff": DIFF, "files": FILES, "tarball": _tar({})},
        headers=stack.auth(),
    )
    assert (both.status_code, both.json()["field"]) == (422, "tarball")
    missing = await stack.client.post(
        "/v1/reviews",
        json={"diff": DIFF, "tarball": _tar({"other.py": b"x\n"})},
        headers=stack.auth(),
    )
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid_change")
