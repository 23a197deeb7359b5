"""The generated dbt project of the serving layer, checked by the real dbt-core 1.10 with both
adapters of requirements.lock (dbt-sqlite, dbt-sqlserver), without a database.

What is checked: the golden files under cli/test/golden/dbt (jest's
cli/test/dbt-project-golden.test.ts proves `streampulse generate` writes them byte for byte).

- `dbt parse` succeeds for both profile targets, in-process (dbtRunner): `sqlite` and
  `azure`. The sources resolve per target as the two serving databases name them: on Azure SQL
  [serving].[analytics_*] and [gold].[<mart>] with `_run_date` cast to DATETIME2 for freshness
  (dbt's freshness wants a timestamp); on SQLite the bare views and gold__<mart> in `main`.
- `dbt compile --target azure --no-populate-cache` (no connection) renders every test as T-SQL
  that sqlglot's `tsql` parser accepts, with strings compared byte-wise (COLLATE
  Latin1_General_100_BIN2) and Unicode literals (N'...'), as `serve test`'s T-SQL does
  (sql/src/serving-checks.ts). What Azure SQL itself would say is not checked here.
- The azure profile is a valid dbt-sqlserver credential (its SQLServerCredentials class) using
  Entra ID through the Azure CLI: dbt-sqlserver's README documents `authentication: CLI` (the
  az login session; the adapter asks azure-identity's AzureCliCredential for the token) — no
  password or secret in the file. Nothing connects: Azure SQL is not reachable here, and
  pyodbc's driver manager (libodbc) is not installed on this machine (the deploy workflow's
  runner has the Microsoft ODBC driver); the adapter imports pyodbc only to connect.

The run of the tests on a real serving database is tests/test/dbt.test.ts (jest, dbt-sqlite).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "cli" / "test" / "golden" / "dbt"

dbt_main = pytest.importorskip("dbt.cli.main", reason="dbt-core is installed by scripts/setup.sh (requirements.lock)")


def _parse(tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    project = tmp_path / target
    shutil.copytree(GOLDEN, project)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DBT_VERSION_CHECK", "false")
    monkeypatch.setenv("STREAMPULSE_SERVING_DB", str(tmp_path / "never-opened.sqlite"))
    monkeypatch.setenv("STREAMPULSE_SQL_SERVER", "sql-streampulse-dev.database.windows.net")
    monkeypatch.setenv("STREAMPULSE_SQL_DATABASE", "sqldb-streampulse-serving")
    res = dbt_main.dbtRunner().invoke(
        ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--target", target, "--log-path", str(project / "logs")]
    )
    assert res.success, res.exception
    return res.result.to_dict() if hasattr(res.result, "to_dict") else res.result.writable_manifest().to_dict()


@pytest.mark.parametrize(
    ("target", "adapter", "view_schema", "gold_schema", "gold_identifier", "loaded_at"),
    [
        ("sqlite", "sqlite", "main", "main", "gold__analytics_kpi_monthly", "_run_date"),
        ("azure", "sqlserver", "serving", "gold", "analytics_kpi_monthly", "cast(_run_date as datetime2)"),
    ],
)
def test_dbt_parse_resolves_the_sources_per_target(tmp_path, monkeypatch, target, adapter, view_schema, gold_schema, gold_identifier, loaded_at):
    manifest = _parse(tmp_path, target, monkeypatch)
    assert manifest["metadata"]["adapter_type"] == adapter
    view = manifest["sources"]["source.streampulse_serving.serving.analytics_kpi_monthly"]
    assert (view["schema"], view["identifier"]) == (view_schema, "analytics_kpi_monthly")
    gold = manifest["sources"]["source.streampulse_serving.gold.analytics_kpi_monthly"]
    assert (gold["schema"], gold["identifier"], gold["loaded_at_field"]) == (gold_schema, gold_identifier, loaded_at)
    assert gold["freshness"]["error_after"]["period"] == "hour"
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    exposures = manifest["exposures"].values()
    # every test and exposure the files declare (one test per serving check, one exposure per card)
    sources = yaml.safe_load((GOLDEN / "models" / "sources.yml").read_text())["sources"]
    declared = [
        t
        for s in sources
        for table in s["tables"]
        for t in table.get("data_tests", []) + [t for c in table["columns"] for t in c.get("data_tests", [])]
    ]
    assert len(tests) == len(declared) > 0
    assert sorted(n["name"] for n in tests) == sorted(next(iter(t.values()))["name"] for t in declared)
    cards = yaml.safe_load((GOLDEN / "models" / "exposures.yml").read_text())["exposures"]
    assert {e["type"] for e in exposures} == {"dashboard"} and len(exposures) == len(cards) == 10
    assert all(e["depends_on"]["nodes"][0].startswith("source.streampulse_serving.serving.") for e in exposures)


def test_azure_profile_is_a_dbt_sqlserver_credential_with_entra_cli_auth(monkeypatch):
    from dbt.adapters.sqlserver.sqlserver_auth import AZURE_AUTH_FUNCTIONS, uses_aad_token_authentication
    from dbt.adapters.sqlserver.sqlserver_credentials import SQLServerCredentials

    profile = yaml.safe_load((GOLDEN / "profiles.yml").read_text())["streampulse_serving"]
    azure = dict(profile["outputs"]["azure"])
    assert azure.pop("type") == "sqlserver"
    azure.pop("threads")
    # the env_var() calls, as dbt renders them
    env = {"STREAMPULSE_SQL_SERVER": "sql-streampulse-dev.database.windows.net", "STREAMPULSE_SQL_DATABASE": "sqldb-streampulse-serving"}
    for key, value in list(azure.items()):
        if isinstance(value, str) and value.startswith("{{ env_var('"):
            azure[key] = env[value.split("'")[1]]
    creds = SQLServerCredentials.from_dict(SQLServerCredentials.translate_aliases(azure))
    assert creds.host == "sql-streampulse-dev.database.windows.net"
    assert creds.database == "sqldb-streampulse-serving"
    assert creds.schema == "dbt_test"
    assert creds.authentication == "cli"
    assert creds.encrypt is True and creds.trust_cert is False
    assert creds.UID is None and creds.PWD is None and creds.client_secret is None
    # Entra ID: a token from the Azure CLI session (azure-identity, the `azure` extra)
    assert uses_aad_token_authentication(creds)
    assert AZURE_AUTH_FUNCTIONS["cli"].__name__ == "get_cli_access_token"
    import azure.identity  # noqa: F401  the extra that the token path needs is installed


def test_dbt_compile_renders_every_test_as_tsql_that_parses(tmp_path, monkeypatch):
    import sqlglot
    from sqlglot.errors import ErrorLevel

    project = tmp_path / "azure-compile"
    shutil.copytree(GOLDEN, project)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DBT_VERSION_CHECK", "false")
    monkeypatch.setenv("STREAMPULSE_SERVING_DB", str(tmp_path / "never-opened.sqlite"))
    monkeypatch.setenv("STREAMPULSE_SQL_SERVER", "sql-streampulse-dev.database.windows.net")
    monkeypatch.setenv("STREAMPULSE_SQL_DATABASE", "sqldb-streampulse-serving")
    res = dbt_main.dbtRunner().invoke(
        ["compile", "--project-dir", str(project), "--profiles-dir", str(project), "--target", "azure", "--no-populate-cache", "--log-path", str(project / "logs")]
    )
    assert res.success, res.exception
    compiled = sorted((project / "target" / "compiled" / "streampulse_serving" / "models" / "sources.yml").glob("*.sql"))
    assert len(compiled) > 0
    for f in compiled:
        sql = f.read_text()
        sqlglot.parse_one(sql, read="tsql", error_level=ErrorLevel.RAISE)
        assert '"sqldb-streampulse-serving"."serving".' in sql, f.name
    plan = (compiled[0].parent / "accepted_values__analytics_subscription_health__plan_tier.sql").read_text()
    assert "\"plan_tier\" COLLATE Latin1_General_100_BIN2 not in (N'basic', N'premium', N'standard', N'unknown')" in plan
    grain = (compiled[0].parent / "unique__analytics_subscription_health__month__plan_tier__region.sql").read_text()
    assert 'group by "month", "plan_tier" COLLATE Latin1_General_100_BIN2, "region" COLLATE Latin1_General_100_BIN2' in grain
