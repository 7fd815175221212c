"""What hassfest and the HACS action check on this repository, offline.

The real validators run on GitHub (.github/workflows/validate.yml) and cannot run here: this
mirrors the rules of theirs that apply to a custom integration (hassfest's manifest,
translations, services and icons plugins; HACS's hacs.json, manifest, brands and information
checks; the brands repository's image rules), and adds the cross-checks that keep our own
files consistent: every action translated and with an icon, every raised translation key and
repair issue translated, French complete, hacs.json's minimum the one a test leg runs.

    python -m tests.validate [REPO]     prints each problem; exits 1 if there is one
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
import sys
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from PIL import Image
import yaml

REPO = Path(__file__).resolve().parent.parent
DOMAIN = "lockbridge"

# hassfest manifest.py: the keys a custom integration's manifest may have.
MANIFEST_KEYS = {
    "domain", "name", "integration_type", "config_flow", "mqtt", "zeroconf", "ssdp",
    "bluetooth", "homekit", "dhcp", "usb", "documentation", "quality_scale", "requirements",
    "dependencies", "after_dependencies", "codeowners", "loggers", "disabled", "iot_class",
    "single_config_entry", "preview_features", "version", "issue_tracker", "import_executor",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push",
}  # fmt: skip
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
# hassfest dependencies.py: components an integration may import without depending on them.
PLATFORMS = {"binary_sensor", "button", "calendar", "lock", "select", "sensor"}
# hassfest also lets any integration import `homeassistant` (exposed entities, the core).
ALLOWED_IMPORTS = PLATFORMS | {"diagnostics", "repairs", "homeassistant"}
# HACS utils/validate.py: hacs.json's keys and their types.
HACS_KEYS: dict[str, type] = {
    "name": str, "content_in_root": bool, "hide_default_branch": bool, "render_readme": bool,
    "zip_release": bool, "filename": str, "hacs": str, "homeassistant": str,
    "persistent_directory": str, "country": object,
}  # fmt: skip
# Home Assistant 2026.11's built-in HACS, the Marketplace, reads hacs.json but not these.
MARKETPLACE_IGNORES = {"render_readme"}
# Home Assistant's brands integration (ALLOWED_IMAGES) and the brands repository's rules.
BRAND_FILES = {
    f"{dark}{kind}{hidpi}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for hidpi in ("", "@2x")
}
KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
PLACEHOLDER = re.compile(r"{([^{}]*)}")
IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]+$")


def load_json(path: Path, problems: list[str]) -> Any:
    """A JSON file, or None with a problem said."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problems.append(f"{path.name}: not readable JSON ({err})")
        return None


def strings(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted path, text) of a translation tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    elif isinstance(tree, str):
        yield path, tree


def keys(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted path, key) of a translation tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield path, key
            yield from keys(value, f"{path}.{key}" if path else key)


# ---- manifest.json (hassfest and HACS) ------------------------------------------------


def check_manifest(integration: Path) -> list[str]:
    """hassfest's custom-integration manifest schema, key order and config flow file."""
    problems: list[str] = []
    manifest = load_json(integration / "manifest.json", problems)
    if not isinstance(manifest, dict):
        return problems or ["manifest.json: not an object"]
    if extra := set(manifest) - MANIFEST_KEYS:
        problems.append(f"manifest.json: keys not allowed: {sorted(extra)}")
    for key in ("domain", "name", "documentation", "codeowners", "iot_class", "version"):
        if key not in manifest:
            problems.append(f"manifest.json: '{key}' is required")
    if manifest.get("domain") != integration.name:
        problems.append("manifest.json: domain does not match the folder name")
    order = sorted(manifest, key=lambda k: {"domain": ".domain", "name": ".name"}.get(k, k))
    if list(manifest) != order:
        problems.append(f"manifest.json: keys must be ordered domain, name, then a-z: {order}")
    for key in ("documentation", "issue_tracker"):
        if not str(manifest.get(key, "https://")).startswith("https://"):
            problems.append(f"manifest.json: '{key}' must be an https URL")
    if "issue_tracker" not in manifest:
        problems.append("manifest.json: HACS requires 'issue_tracker'")
    owners = manifest.get("codeowners", [])
    if not isinstance(owners, list) or not all(str(o).startswith("@") for o in owners):
        problems.append("manifest.json: codeowners must be a list of @names")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"manifest.json: iot_class must be one of {sorted(IOT_CLASSES)}")
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        problems.append("manifest.json: unknown integration_type")
    if manifest.get("config_flow"):
        if "integration_type" not in manifest:
            problems.append("manifest.json: a config flow needs an explicit integration_type")
        if not (integration / "config_flow.py").is_file():
            problems.append("manifest.json: config_flow is true but there is no config_flow.py")
    version = AwesomeVersion(str(manifest.get("version", "")))
    if not isinstance(manifest.get("version"), str) or version.strategy in (
        AwesomeVersionStrategy.UNKNOWN,
        AwesomeVersionStrategy.SPECIALCONTAINER,
    ):
        problems.append("manifest.json: 'version' must be a valid version string")
    for requirement in manifest.get("requirements", []):
        if " " in requirement or "==" not in requirement:
            problems.append(f"manifest.json: requirement {requirement!r} is not pkg==version")
    depends = set(manifest.get("dependencies", [])) | set(manifest.get("after_dependencies", []))
    for source in integration.rglob("*.py"):
        imported = re.findall(r"homeassistant\.components\.([a-z_]+)", source.read_text("utf-8"))
        # hassfest: a platform of another integration (logbook.py) may import that one.
        own_platform = {source.stem} if source.parent == integration else set()
        for component in set(imported) - ALLOWED_IMPORTS - depends - own_platform:
            problems.append(
                f"{source.relative_to(integration)}: imports {component} without "
                "listing it in the manifest's dependencies"
            )
    for path in integration.rglob("*.json"):
        load_json(path, problems)
    init = (integration / "__init__.py").read_text("utf-8")
    if re.search(r"^(async )?def (async_)?setup\(", init, re.M) and "CONFIG_SCHEMA" not in init:
        problems.append("__init__.py: a setup function needs a CONFIG_SCHEMA")
    return problems


# ---- translations ----------------------------------------------------------------------


def _check_flow(name: str, flow: dict[str, Any]) -> list[str]:
    problems = []
    for step_id, step in flow.get("step", {}).items():
        for part in (step, *step.get("sections", {}).values()):
            if extra := set(part.get("data_description", {})) - set(part.get("data", {})):
                problems.append(f"{name}.step.{step_id}: data_description without data: {extra}")
    return problems


def check_translation_schema(translation: dict[str, Any], name: str) -> list[str]:
    """hassfest's rules on every key and string of strings.json / translations/en.json."""
    problems = [
        f"{name}: key {key!r} under {path or 'the top'} is not a lowercase slug"
        for path, key in keys(translation)
        if not KEY.match(key)
    ]
    for path, text in strings(translation):
        where = f"{name}: {path}"
        if text != text.strip():
            problems.append(f"{where}: leading or trailing space")
        if re.search(r"<[a-zA-Z/]", text):
            problems.append(f"{where}: HTML")
        if re.search(r"https?://", text):
            problems.append(f"{where}: a URL (use a description placeholder)")
        if re.search(r"'{[^{}]*}'", text):
            problems.append(f"{where}: a placeholder in single quotes")
        if re.search(r"(.+\[%)|(%\].+)", text):
            problems.append(f"{where}: text combined with a [%key:...%] reference")
        for placeholder in PLACEHOLDER.findall(text):
            if not IDENTIFIER.match(placeholder):
                problems.append(f"{where}: placeholder {{{placeholder}}} is not an identifier")
            if path.startswith("entity.") and ".state" in path:
                problems.append(f"{where}: no placeholder in a state translation")
    flows = {"config": translation.get("config", {}), "options": translation.get("options", {})}
    for kind, flow in translation.get("config_subentries", {}).items():
        flows[f"config_subentries.{kind}"] = flow
        if "user" not in flow.get("initiate_flow", {}) or "entry_type" not in flow:
            problems.append(
                f"{name}: config_subentries.{kind} needs initiate_flow.user, entry_type"
            )
    for flow_name, flow in flows.items():
        problems += _check_flow(f"{name}: {flow_name}", flow)
    for issue_id, issue in translation.get("issues", {}).items():
        if "title" not in issue or ("description" in issue) == ("fix_flow" in issue):
            problems.append(
                f"{name}: issues.{issue_id} needs a title and one of description/fix_flow"
            )
    for key, exception in translation.get("exceptions", {}).items():
        if "message" not in exception:
            problems.append(f"{name}: exceptions.{key} has no message")
    return problems


def flat(tree: Any) -> dict[str, str]:
    """A translation tree as {dotted path: text}."""
    return dict(strings(tree))


def check_languages(english: dict[str, Any], others: dict[str, Any]) -> list[str]:
    """Each language has exactly the English keys, with the same placeholders."""
    problems = []
    base = flat(english)
    for language, tree in others.items():
        theirs = flat(tree)
        for path in sorted(set(base) - set(theirs)):
            problems.append(f"translations/{language}.json: missing {path}")
        for path in sorted(set(theirs) - set(base)):
            problems.append(f"translations/{language}.json: {path} is not in en.json")
        for path in sorted(set(base) & set(theirs)):
            if set(PLACEHOLDER.findall(base[path])) != set(PLACEHOLDER.findall(theirs[path])):
                problems.append(f"translations/{language}.json: {path} has other placeholders")
            if theirs[path] == base[path] and not _same_in_every_language(base[path]):
                problems.append(f"translations/{language}.json: {path} is still English")
            elif english_words := _english_words(theirs[path]):
                problems.append(
                    f"translations/{language}.json: {path} has English words {english_words}"
                )
    return problems


#: Words a translation keeps: names of products and clouds, units, and words French shares.
KEPT_WORDS = frozenset(
    {"lockbridge", "the", "keys", "smoobu", "hotelrunner", "pin", "api", "id", "hmac", "min"}
    | {"airbnb", "booking", "com", "vrbo", "ical"}
    | {"codes", "code"}
)
#: Words no French sentence has: their presence means a sentence was left in English.
ENGLISH_WORDS = frozenset(
    {"the", "and", "of", "is", "are", "with", "your", "you", "this", "to", "from", "when", "for"}
    | {"not", "has", "have", "no", "or", "in", "at", "by", "be", "will", "it"}
)


def _english_words(text: str) -> list[str]:
    """English words of a translated text, brand names ("The Keys") left aside."""
    plain = PLACEHOLDER.sub("", text).replace("The Keys", "")
    return sorted({w for w in re.findall(r"[^\W\d_]+", plain) if w.casefold() in ENGLISH_WORDS})


def _same_in_every_language(text: str) -> bool:
    """True for a text with nothing to translate: names, placeholders, figures, signs."""
    words = re.findall(r"[^\W\d_]+", PLACEHOLDER.sub("", text))
    return all(word.casefold() in KEPT_WORDS for word in words)


def raised_keys(integration: Path) -> set[str]:
    """Translation keys of the errors the code raises: literal ones, `invalid("...")`, and
    constants named `..._ERROR` (a source's own)."""
    found: set[str] = set()
    for source in integration.rglob("*.py"):
        text = source.read_text("utf-8")
        found.update(re.findall(r'translation_key="([a-z0-9_]+)"', text))
        found.update(re.findall(r'^[A-Z_]+_ERROR: Final = "([a-z0-9_]+)"$', text, re.MULTILINE))
        for call in re.findall(r"\binvalid\(([^)]*)\)", text):
            found.update(re.findall(r'"([a-z0-9_]+)"', call.split("=")[0]))
    return found


def check_translations(integration: Path) -> list[str]:
    """Schema, en = strings.json, other languages complete, raised keys and issues translated."""
    problems: list[str] = []
    source = load_json(integration / "strings.json", problems)
    english = load_json(integration / "translations" / "en.json", problems)
    if not isinstance(source, dict) or not isinstance(english, dict):
        return problems
    problems += check_translation_schema(source, "strings.json")
    if source != english:
        problems.append("translations/en.json differs from strings.json")
    others = {
        path.stem: load_json(path, problems)
        for path in sorted((integration / "translations").glob("*.json"))
        if path.stem != "en"
    }
    problems += check_languages(english, others)
    exceptions = set(english.get("exceptions", {}))
    raised = raised_keys(integration)
    problems += [f"exceptions.{key}: raised but not translated" for key in raised - exceptions]
    problems += [f"exceptions.{key}: translated but never raised" for key in exceptions - raised]
    repairs = (integration / "repairs.py").read_text("utf-8")
    issues = set(re.findall(r'^[A-Z_]+ = "([a-z_]+)"$', repairs, re.MULTILINE))
    for source in (integration / "sources").glob("*.py"):  # each source's own issues
        text = source.read_text("utf-8")
        issues.update(re.findall(r'^[A-Z_]+_ISSUE: Final = "([a-z_]+)"$', text, re.MULTILINE))
    translated = set(english.get("issues", {}))
    problems += [f"issues.{key}: raised but not translated" for key in issues - translated]
    problems += [f"issues.{key}: translated but never raised" for key in translated - issues]
    return problems


# ---- services.yaml and icons.json ------------------------------------------------------


def check_services_and_icons(integration: Path) -> list[str]:
    """Every action described, translated (with its fields) and with an icon; icons valid."""
    problems: list[str] = []
    services = yaml.safe_load((integration / "services.yaml").read_text("utf-8")) or {}
    english = load_json(integration / "translations" / "en.json", problems) or {}
    icons = load_json(integration / "icons.json", problems) or {}
    constants = (integration / "const.py").read_text("utf-8")
    registered = set(re.findall(r'^SERVICE_[A-Z_]+(?:: Final)? = "([a-z_]+)"', constants, re.M))
    if registered != set(services):
        problems.append(f"services.yaml lists {sorted(services)}, the code {sorted(registered)}")
    translated = english.get("services", {})
    for service, spec in services.items():
        text = translated.get(service, {})
        if not {"name", "description"} <= set(text):
            problems.append(f"services.{service}: no translated name and description")
        fields = (spec or {}).get("fields", {})
        for field, field_spec in fields.items():
            if "name" not in text.get("fields", {}).get(field, {}):
                problems.append(f"services.{service}.fields.{field}: not translated")
            if extra := set(field_spec or {}) - {
                "name", "description", "example", "default", "required", "advanced", "selector",
                "filter",
            }:  # fmt: skip
                problems.append(f"services.yaml: {service}.{field} has unknown keys {extra}")
            select = (field_spec or {}).get("selector", {}).get("select") or {}
            if (key := select.get("translation_key")) and key not in english.get("selector", {}):
                problems.append(f"services.yaml: selector translation_key {key} not translated")
        if extra := set(text.get("fields", {})) - set(fields):
            problems.append(f"services.{service}: translated fields not in services.yaml: {extra}")
        if "service" not in icons.get("services", {}).get(service, {}):
            problems.append(f"icons.json: no icon for action {service}")
    for path, icon in strings(icons):
        if not icon.startswith("mdi:"):
            problems.append(f"icons.json: {path} is not an mdi: icon")
    entities = english.get("entity", {})
    for platform, by_key in icons.get("entity", {}).items():
        for key, spec in by_key.items():
            states = entities.get(platform, {}).get(key, {}).get("state")
            for state, icon in spec.get("state", {}).items():
                if icon == spec.get("default"):
                    problems.append(f"icons.json: entity.{platform}.{key} state {state} = default")
                if states is not None and state not in states:
                    problems.append(f"icons.json: entity.{platform}.{key} unknown state {state}")
    return problems


# ---- brand images ----------------------------------------------------------------------


def check_brand(integration: Path) -> list[str]:
    """The brands repository's rules, for the images Home Assistant serves from brand/."""
    brand = integration / "brand"
    problems = []
    files = {path.name: path for path in brand.glob("*")}
    if "icon.png" not in files:
        problems.append("brand/icon.png is missing (HACS's brands check)")
    for name, path in sorted(files.items()):
        if name not in BRAND_FILES:
            problems.append(f"brand/{name}: not a name Home Assistant serves")
            continue
        with Image.open(path) as image:
            size, kind = image.size, image.format
        scale = 2 if "@2x" in name else 1
        if kind != "PNG":
            problems.append(f"brand/{name}: not a PNG")
        elif "icon" in name and size != (256 * scale, 256 * scale):
            problems.append(f"brand/{name}: {size}, must be {256 * scale} px square")
        elif "logo" in name and not 128 * scale <= min(size) <= 256 * scale:
            problems.append(f"brand/{name}: shortest side {min(size)} not in its bounds")
        pairs = [name.replace("@2x", ""), name.removeprefix("dark_"), name.replace("logo", "icon")]
        for other in {p for p in pairs if p != name and p in files}:
            if path.read_bytes() == files[other].read_bytes():
                problems.append(f"brand/{name} is the same file as brand/{other}")
        if scale == 2 and name.replace("@2x", "") not in files:
            problems.append(f"brand/{name} has no 1x version")
    return problems


# ---- HACS ------------------------------------------------------------------------------


def check_hacs(repo: Path) -> list[str]:
    """hacs.json's schema, README, and the minimum version being the one a test leg runs."""
    problems: list[str] = []
    hacs = load_json(repo / "hacs.json", problems)
    if not isinstance(hacs, dict):
        return problems or ["hacs.json: not an object"]
    for key, value in hacs.items():
        if key not in HACS_KEYS:
            problems.append(f"hacs.json: key {key!r} not allowed")
        elif key in MARKETPLACE_IGNORES:
            problems.append(f"hacs.json: key {key!r} is not read by the Marketplace")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"hacs.json: {key!r} must be a {HACS_KEYS[key].__name__}")
    if "name" not in hacs:
        problems.append("hacs.json: 'name' is required")
    if hacs.get("zip_release") and "filename" not in hacs:
        problems.append("hacs.json: zip_release needs filename")
    if not any(
        p.name.lower() in {"readme", "readme.md", "info", "info.md"} for p in repo.iterdir()
    ):
        problems.append("no README for HACS to show")
    minimum = str(hacs.get("homeassistant", ""))
    pinned = re.search(
        r"^homeassistant==(\S+)", (repo / "requirements_test_min.txt").read_text("utf-8"), re.M
    )
    if pinned is None or pinned.group(1) != minimum:
        problems.append(
            f"hacs.json: homeassistant {minimum!r} is not the version scripts/test --min runs "
            f"({pinned.group(1) if pinned else 'none pinned'})"
        )
    elif f"Home Assistant {minimum}" not in (repo / "README.md").read_text("utf-8"):
        problems.append(f"README.md does not state the minimum, Home Assistant {minimum}")
    return problems


def validate(repo: Path = REPO) -> list[str]:
    """Every problem found, as one line each."""
    integration = repo / "custom_components" / DOMAIN
    return [
        *check_manifest(integration),
        *check_translations(integration),
        *check_services_and_icons(integration),
        *check_brand(integration),
        *check_hacs(repo),
    ]


def main(argv: list[str]) -> int:
    """Print the problems of the repository given (this one by default)."""
    problems = validate(Path(argv[0]) if argv else REPO)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "validators: no problem")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
