"""mlpoc.toml: the example parses, and every invalid value fails naming its field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, load_config, parse_config
from infra.gcp.config import app_engine_location, firestore_database
from infra.main import main
from tests.infra.conftest import AWS_TOML, GCP_TOML, REPO


def _data(text: str = AWS_TOML) -> dict[str, Any]:
    return tomllib.loads(text)


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return str(caught.value)


def test_example_project_file_is_valid() -> None:
    config = load_config(REPO / "mlpoc.toml")
    assert config.cloud == "aws"
    assert config.project.max_deliveries == 5
    assert config.bucket_name == f"{config.name}-data"


def test_derived_names_follow_the_project_name() -> None:
    config = parse_config(_data(GCP_TOML))
    assert (config.queue_name, config.dead_letter_queue_name) == (
        "mlpoc-test-jobs",
        "mlpoc-test-jobs-dlq",
    )
    assert config.table_prefix == "mlpoc-test-"
    assert app_engine_location(config) == "europe-west"
    assert firestore_database(config) == "mlpoc-test-docs"


@pytest.mark.parametrize(
    ("section", "field", "value", "expected"),
    [
        ("budget", "amount", 0, "mlpoc.toml: [budget].amount must be > 0"),
        ("budget", "alert_email", "nobody", "mlpoc.toml: [budget].alert_email must match"),
        ("project", "cloud", "azure", "mlpoc.toml: [project].cloud must be one of"),
        ("project", "max_deliveries", 4, "mlpoc.toml: [project].max_deliveries must be >= 5"),
        ("project", "max_deliveries", 101, "mlpoc.toml: [project].max_deliveries must be <= 100"),
        ("project", "name", "Bad_Name", "mlpoc.toml: [project].name must match"),
        ("api", "max_instances", 0, "mlpoc.toml: [api].max_instances must be >= 1"),
        ("aws", "colour", "blue", "mlpoc.toml: [aws].colour is not a known setting"),
        ("api", "domain", "Not A Domain", "mlpoc.toml: [api].domain must match"),
        ("api", "spot", True, "mlpoc.toml: [api].spot is not a known setting"),
        ("worker", "domain", "x.example.com", "mlpoc.toml: [worker].domain is not a known"),
        ("aws", "container_memory_mb", 512, "mlpoc.toml: [aws].container_memory_mb must be >="),
        ("gcp", "log_retention_days", 0, "mlpoc.toml: [gcp].log_retention_days must be >= 1"),
    ],
)
def test_invalid_value_names_its_field(
    section: str, field: str, value: object, expected: str
) -> None:
    data = _data()
    data.setdefault(section, {})[field] = value
    assert expected in _error(data)


def test_missing_required_field_is_named() -> None:
    data = _data()
    del data["budget"]["alert_email"]
    assert "mlpoc.toml: [budget].alert_email is required" in _error(data)


def test_scaling_bounds_must_be_ordered() -> None:
    data = _data()
    data["worker"] = {"min_instances": 3, "max_instances": 2}
    assert "mlpoc.toml: [worker] max_instances must be >= min_instances" in _error(data)


def test_gcp_needs_project_and_billing_account() -> None:
    data = _data(GCP_TOML)
    del data["gcp"]["project_id"]
    assert "[gcp].project_id is required when [project].cloud = 'gcp'" in _error(data)


def test_app_engine_needs_an_instance() -> None:
    data = _data(GCP_TOML)
    data["worker"] = {"min_instances": 0, "max_instances": 1}
    assert "[worker].min_instances must be >= 1 on App Engine flexible" in _error(data)


def test_app_engine_has_no_spot_workers() -> None:
    data = _data(GCP_TOML)
    data["worker"]["spot"] = True
    message = _error(data)
    assert "[worker].spot = true is not available on App Engine flexible" in message
    data["worker"]["spot"] = False
    assert not parse_config(data).worker.spot


def test_aws_spot_worker_is_accepted_and_off_by_default() -> None:
    assert parse_config(_data()).worker.spot is False
    data = _data()
    data["worker"] = {"spot": True}
    assert parse_config(data).worker.spot is True


def test_aws_worker_is_one_instance() -> None:
    data = _data()
    data["worker"] = {"min_instances": 1, "max_instances": 2}
    assert "[worker].min_instances and max_instances must be 1 on AWS" in _error(data)


def test_aws_container_memory_needs_a_known_instance_or_a_setting() -> None:
    data = _data()
    data["aws"]["worker_instance_type"] = "x9.mega"
    assert "[aws].worker_instance_type 'x9.mega': its memory is not known here" in _error(data)
    data["aws"]["container_memory_mb"] = 6000
    config = parse_config(data)
    assert config.aws.container_memory("x9.mega") == 6000
    data = _data()
    data["aws"]["instance_type"] = "t3.micro"
    assert "[aws].instance_type 't3.micro': its memory is not known" in _error(data)


def test_aws_log_bucket_name_must_fit() -> None:
    data = _data()
    data["aws"]["bucket_name"] = "b" * 60
    assert "[aws].bucket_name must be at most 58 characters" in _error(data)


def test_every_problem_is_reported_at_once() -> None:
    data = _data()
    data["budget"]["amount"] = -1
    data["project"]["region"] = ""
    message = _error(data)
    assert "[budget].amount" in message
    assert "[project].region" in message


def test_config_path_comes_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(GCP_TOML)
    monkeypatch.setenv("MLPOC_CONFIG", str(path))
    assert load_config().cloud == "gcp"


def test_missing_and_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_invalid_config_stops_synthesis_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mlpoc.toml"
    path.write_text(AWS_TOML.replace("amount = 75", "amount = 0"))
    outdir = tmp_path / "out"
    monkeypatch.setenv("MLPOC_CONFIG", str(path))
    monkeypatch.setenv("CDKTF_OUTDIR", str(outdir))
    assert main() == 2
    assert "mlpoc.toml: [budget].amount must be > 0" in capsys.readouterr().err
    assert not outdir.exists()
