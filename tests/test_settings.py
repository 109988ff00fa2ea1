"""The settings object: defaults, sources in order, clear errors, and the README table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.settings import CONFIG_FILE_VARIABLE, Settings, SettingsError, env_name, load_settings
from tests.conftest import ROOT


def test_defaults_work_on_a_fresh_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.kb_dir == Path("kb_articles")
    assert settings.data_dir == Path(".frontdesk")
    assert settings.embedding_model == "all-MiniLM-L6-v2"
    assert settings.chroma_url == "" and settings.embedded
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_beats_config_file_and_keywords_beat_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "frontdesk.toml"
    config.write_text('kb_dir = "from-file"\nport = 9000\n', encoding="utf-8")
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(config))
    monkeypatch.setenv("FRONTDESK_PORT", "9100")
    settings = load_settings()
    assert settings.kb_dir == Path("from-file") and settings.port == 9100
    assert load_settings(port=9200).port == 9200


def test_missing_config_file_named_explicitly_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match=r"FRONTDESK_CONFIG=.*nope\.toml: no such file"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FRONTDESK_PORT", "eighty", "FRONTDESK_PORT='eighty': Input should be a valid integer"),
        ("FRONTDESK_CHROMA_URL", "ftp://x", "FRONTDESK_CHROMA_URL='ftp://x': Value error"),
        ("FRONTDESK_LOG_LEVEL", "loud", "FRONTDESK_LOG_LEVEL='LOUD'"),
        ("FRONTDESK_CHUNK_OVERLAP_WORDS", "100", "chunk_overlap_words must be less than half"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings()


def test_chroma_url_selects_server_mode() -> None:
    settings = Settings(chroma_url="http://127.0.0.1:8001/")
    assert settings.chroma_url == "http://127.0.0.1:8001" and not settings.embedded


def test_readme_settings_table_lists_every_setting_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(FRONTDESK_[A-Z0-9_]+)` \| ([^|]+) \| (.+) \|$", readme, re.MULTILINE)
    rows = {name: default for name, default, _ in table}
    help_texts = {name: text for name, _, text in table}
    documented = set(rows) - {CONFIG_FILE_VARIABLE}
    assert documented == {env_name(name) for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        shown = rows[env_name(name)].strip()
        default = field.default
        if isinstance(default, dict) and default:
            # long rule sets: the table points at the README block that shows them as JSON
            assert shown == "(see below)", env_name(name)
            block = f"{env_name(name)}='{json.dumps(default)}'"
            assert block in readme, f"README shows no {block}"
            continue
        default = str(default).lower() if isinstance(default, bool) else default
        expected = f"`{default}`" if default != "" else "(empty)"
        assert shown == expected, f"README shows {shown} for {env_name(name)}"
        assert help_texts[env_name(name)] == field.description, env_name(name)
