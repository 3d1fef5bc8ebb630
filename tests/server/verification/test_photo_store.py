"""Identity photos at rest: AES-256-GCM with the server's key, bound to their session and kind."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from server.verification.crypto import KEY_FILE, CipherError, DataCipher
from server.verification.photos import PhotoStore

DATA = Path(__file__).resolve().parents[1] / "identity" / "data"
SID = "sess-photo-0001"


@pytest.fixture
def jpeg() -> bytes:
    return (DATA / "obama.jpg").read_bytes()


def test_key_is_created_once_owner_only_and_reloaded(tmp_path: Path) -> None:
    first = DataCipher.load_or_create(tmp_path / "keys")
    path = tmp_path / "keys" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    again = DataCipher.load_or_create(tmp_path / "keys")
    assert again.key_id == first.key_id
    blob = first.encrypt(b"secret", b"what")
    assert again.decrypt(blob, b"what") == b"secret"
    path.write_text("short\n")
    with pytest.raises(ValueError):
        DataCipher.load_or_create(tmp_path / "keys")


def test_blobs_are_bound_authenticated_and_key_specific(tmp_path: Path) -> None:
    cipher = DataCipher.load_or_create(tmp_path / "a")
    blob = cipher.encrypt(b"portrait bytes", b"photo:s1:id_portrait")
    assert b"portrait bytes" not in blob and DataCipher.is_encrypted(blob)
    assert blob != cipher.encrypt(b"portrait bytes", b"photo:s1:id_portrait")  # fresh nonce each time
    with pytest.raises(CipherError):
        cipher.decrypt(blob, b"photo:s2:id_portrait")  # another session's name
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(CipherError):
        cipher.decrypt(bytes(tampered), b"photo:s1:id_portrait")
    with pytest.raises(CipherError):
        DataCipher.load_or_create(tmp_path / "b").decrypt(blob, b"photo:s1:id_portrait")
    with pytest.raises(CipherError):
        cipher.decrypt(b"\xff\xd8 plain jpeg", b"x")


def test_photos_on_disk_hold_no_image_bytes(tmp_path: Path, jpeg: bytes) -> None:
    store = PhotoStore(tmp_path / "identity_photos")
    assert (tmp_path / "keys" / KEY_FILE).exists()  # the key lives with the server's keys, not with the photos
    store.put(SID, "id_portrait", jpeg)
    on_disk = store.path(SID, "id_portrait").read_bytes()
    assert not on_disk.startswith(b"\xff\xd8") and b"JFIF" not in on_disk and b"Exif" not in on_disk
    assert jpeg[100:132] not in on_disk  # no stretch of the image survives
    assert stat.S_IMODE(store.path(SID, "id_portrait").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path(SID, "id_portrait").parent.stat().st_mode) == 0o700
    assert store.get(SID, "id_portrait") == jpeg
    assert store.kinds(SID) == ["id_portrait"]
    # a new store over the same data dir (a restart) reads it with the same key
    assert PhotoStore(tmp_path / "identity_photos").get(SID, "id_portrait") == jpeg
    store.delete(SID, "id_portrait")
    assert store.get(SID, "id_portrait") is None and store.kinds(SID) == []


def test_a_photo_moved_to_another_session_or_kind_does_not_open(tmp_path: Path, jpeg: bytes) -> None:
    store = PhotoStore(tmp_path / "identity_photos")
    store.put(SID, "network_photo", jpeg)
    other = "sess-photo-0002"
    store.put(other, "network_photo", b"\xff\xd8 someone else")
    store.path(other, "network_photo").write_bytes(store.path(SID, "network_photo").read_bytes())
    assert store.get(other, "network_photo") is None
    store.path(SID, "live").write_bytes(store.path(SID, "network_photo").read_bytes())
    assert store.get(SID, "live") is None
    assert store.get(SID, "network_photo") == jpeg


def test_a_photo_stored_in_clear_by_an_older_version_is_encrypted_on_first_read(tmp_path: Path, jpeg: bytes) -> None:
    store = PhotoStore(tmp_path / "identity_photos")
    legacy = store.path(SID, "id_front")
    legacy.parent.mkdir(mode=0o700, parents=True)
    legacy.write_bytes(jpeg)
    assert store.get(SID, "id_front") == jpeg
    assert DataCipher.is_encrypted(legacy.read_bytes())
    assert store.get(SID, "id_front") == jpeg


def test_bad_references_are_refused(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "identity_photos")
    with pytest.raises(ValueError):
        store.put("../../etc", "id_front", b"x")
    with pytest.raises(ValueError):
        store.put(SID, "passport", b"x")
    assert store.get("../x", "id_front") is None
