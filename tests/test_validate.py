"""The offline validators: this repository passes, and each kind of fault is caught."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import shutil
from typing import Any

from PIL import Image
import pytest

from tests.validate import REPO, main, validate


def test_this_repository_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate() == []
    assert main([]) == 0
    assert capsys.readouterr().out == "validators: no problem\n"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The files the validators read, copied so that a test can break them."""
    shutil.copytree(REPO / "custom_components", tmp_path / "custom_components")
    for name in ("hacs.json", "README.md", "requirements_test_min.txt"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


INTEGRATION = Path("custom_components/lockbridge")


def unordered_manifest(repo: Path) -> None:
    path = repo / INTEGRATION / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({"name": data.pop("name"), **data}), "utf-8")


def french_missing(repo: Path) -> None:
    edit_json(
        repo / INTEGRATION / "translations/fr.json",
        lambda fr: fr["services"]["sync"].pop("description"),
    )


def french_placeholder(repo: Path) -> None:
    def change(fr: Any) -> None:
        fr["services"]["create_code"]["fields"]["pin"]["description"] = "4 à 8 chiffres."

    edit_json(repo / INTEGRATION / "translations/fr.json", change)


def french_left_english(repo: Path) -> None:
    def change(fr: Any) -> None:
        fr["options"]["step"]["init"]["data"]["buffer_before"] = "Early access (minutes)"

    edit_json(repo / INTEGRATION / "translations/fr.json", change)


def french_half_english(repo: Path) -> None:
    def change(fr: Any) -> None:
        fr["selector"]["stay"]["options"]["next"] = "Le prochain voyageur to arrive"

    edit_json(repo / INTEGRATION / "translations/fr.json", change)


def en_differs(repo: Path) -> None:
    edit_json(repo / INTEGRATION / "translations/en.json", lambda en: en.pop("issues"))


def url_in_text(repo: Path) -> None:
    for name in ("strings.json", "translations/en.json"):

        def change(tree: Any) -> None:
            tree["exceptions"]["sync_failed"]["message"] = "See https://example.com"

        edit_json(repo / INTEGRATION / name, change)


def untranslated_exception(repo: Path) -> None:
    for name in ("strings.json", "translations/en.json", "translations/fr.json"):
        edit_json(repo / INTEGRATION / name, lambda tree: tree["exceptions"].pop("sync_failed"))


def action_without_icon(repo: Path) -> None:
    edit_json(repo / INTEGRATION / "icons.json", lambda icons: icons["services"].pop("sync"))


def state_icon_is_default(repo: Path) -> None:
    def change(icons: Any) -> None:
        occupancy = icons["entity"]["sensor"]["occupancy"]
        occupancy["state"]["vacant"] = occupancy["default"]

    edit_json(repo / INTEGRATION / "icons.json", change)


def small_icon(repo: Path) -> None:
    Image.new("RGBA", (200, 200)).save(repo / INTEGRATION / "brand/icon.png")


def logo_same_as_icon(repo: Path) -> None:
    shutil.copy(repo / INTEGRATION / "brand/icon.png", repo / INTEGRATION / "brand/logo.png")


def minimum_not_tested(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda hacs: hacs.update(homeassistant="2025.1.0"))


def hacs_unknown_key(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda hacs: hacs.update(iot_class="cloud_polling"))


def hacs_key_the_marketplace_ignores(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda hacs: hacs.update(render_readme=True))


def undeclared_dependency(repo: Path) -> None:
    path = repo / INTEGRATION / "repairs.py"
    path.write_text(path.read_text("utf-8") + "\nimport homeassistant.components.mqtt\n")


def logbook_imported_elsewhere(repo: Path) -> None:
    """logbook.py may import the logbook integration; another module may not."""
    path = repo / INTEGRATION / "door.py"
    path.write_text(path.read_text("utf-8") + "\nimport homeassistant.components.logbook\n")


def no_config_schema(repo: Path) -> None:
    path = repo / INTEGRATION / "__init__.py"
    path.write_text(path.read_text("utf-8").replace("CONFIG_SCHEMA = ", "SCHEMA = "), "utf-8")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (unordered_manifest, "manifest.json: keys must be ordered domain, name"),
        (french_missing, "translations/fr.json: missing services.sync.description"),
        (french_placeholder, "services.create_code.fields.pin.description has other placeh"),
        (french_left_english, "fr.json: options.step.init.data.buffer_before is still English"),
        (french_half_english, "fr.json: selector.stay.options.next has English words ['to']"),
        (en_differs, "translations/en.json differs from strings.json"),
        (url_in_text, "strings.json: exceptions.sync_failed.message: a URL"),
        (untranslated_exception, "exceptions.sync_failed: raised but not translated"),
        (action_without_icon, "icons.json: no icon for action sync"),
        (state_icon_is_default, "icons.json: entity.sensor.occupancy state vacant = default"),
        (small_icon, "brand/icon.png: (200, 200), must be 256 px square"),
        (logo_same_as_icon, "brand/logo.png is the same file as brand/icon.png"),
        (minimum_not_tested, "hacs.json: homeassistant '2025.1.0' is not the version"),
        (hacs_unknown_key, "hacs.json: key 'iot_class' not allowed"),
        (hacs_key_the_marketplace_ignores, "hacs.json: key 'render_readme' is not read by"),
        (undeclared_dependency, "repairs.py: imports mqtt without listing it"),
        (logbook_imported_elsewhere, "door.py: imports logbook without listing it"),
        (no_config_schema, "__init__.py: a setup function needs a CONFIG_SCHEMA"),
    ],
)
def test_a_fault_is_reported(
    copy: Path, fault: Callable[[Path], None], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert validate(copy) == []
    fault(copy)

    problems = validate(copy)
    assert any(expected in problem for problem in problems), problems
    assert main([str(copy)]) == 1
    assert expected in capsys.readouterr().out
