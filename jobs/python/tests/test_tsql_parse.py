"""Every generated T-SQL file parses with a real T-SQL parser: sqlglot's `tsql` dialect.

What is parsed: the golden files under sql/test/golden/ — `streampulse/` (the shipped
contracts) and `pii-fixture/` (the shipped contracts plus a mart serving a kept e-mail,
so dynamic data masking is emitted). jest (sql/test/serving-tsql.test.ts) proves the
generator reproduces those files byte for byte; this test also regenerates the
shipped set with the built CLI (`streampulse sql generate`) and checks it equals the
golden files, so what is parsed is what `streampulse generate` writes. Deterministic:
no clock, no randomness, no network.

Files are split into batches on `GO` lines exactly as `splitBatches` (sql/src/serving-tsql.ts)
and sqlcmd do; each batch is parsed with ErrorLevel.RAISE, so any syntax sqlglot
rejects fails the test.

Honest about sqlglot's limits: for some T-SQL statements sqlglot (30.x) has no grammar
and falls back to a generic `exp.Command` holding the text (it does not check that
text). Those statements are listed in FALLBACKS with the reason; for each we assert it
is not an error, that it is a Command, and that its text matches the documented
T-SQL syntax (a regular expression written from Microsoft's reference). A statement
that falls back and is not listed fails the test, and so does a listed kind that is
never seen (then sqlglot or the generator changed: update the list).

One clause sqlglot rejects outright rather than falling back: a column definition's
`MASKED WITH (FUNCTION = '…')` in CREATE TABLE (the staging tables mask served PII
columns inline). parse_file checks each such clause against the documented syntax
(kind `column_masked` below), records it like a fallback, and removes it before parsing,
so the rest of the CREATE TABLE is still parsed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "sql" / "test" / "golden"
SCENARIOS = ["streampulse", "pii-fixture"]
GO = re.compile(r"^[ \t]*GO[ \t]*(?:\r?\n|$)", re.IGNORECASE | re.MULTILINE)

# the masking functions of Microsoft's dynamic data masking reference
MASK_FUNCTION = r"(email\(\)|default\(\)|partial\(\d+,\"[^\"']*\",\d+\)|random\(\d+, ?\d+\))"
# a column definition's masking clause in CREATE TABLE (`column_name data_type MASKED WITH (FUNCTION = '…') NULL`)
COLUMN_MASKED = re.compile(r" MASKED WITH \(FUNCTION = '[^']*'\)")

# statement kinds sqlglot 30.x parses as a generic Command, with the documented syntax they must follow
FALLBACKS: dict[str, tuple[re.Pattern[str], str]] = {
    "column_masked": (
        re.compile(rf"^MASKED WITH \(FUNCTION = '{MASK_FUNCTION}'\)$"),
        "a column definition's MASKED WITH in CREATE TABLE: sqlglot rejects it; checked here and removed before parsing",
    ),
    "create_security_policy": (
        re.compile(
            r"^CREATE SECURITY POLICY \[security\]\.\[rls_\w+\]\s+ADD FILTER PREDICATE \[security\]\.\[fn_rls_\w+\]\(\[\w+\]\) ON \[gold\]\.\[\w+\]\s+"
            r"WITH \(STATE = ON, SCHEMABINDING = ON\)$"
        ),
        "CREATE SECURITY POLICY: no sqlglot grammar",
    ),
    "drop_security_policy": (re.compile(r"^DROP SECURITY POLICY IF EXISTS \[security\]\.\[rls_\w+\]$"), "DROP SECURITY POLICY: no sqlglot grammar"),
    "add_masked": (
        re.compile(rf"^ALTER TABLE \[gold\]\.\[\w+\] ALTER COLUMN \[\w+\] ADD MASKED WITH \(FUNCTION = '{MASK_FUNCTION}'\)$"),
        "dynamic data masking (ALTER COLUMN … ADD MASKED WITH): no sqlglot grammar",
    ),
    "create_user_external": (re.compile(r"^CREATE USER \[[^\]]+\] FROM EXTERNAL PROVIDER$"), "CREATE USER … FROM EXTERNAL PROVIDER: no sqlglot grammar"),
    "create_role": (re.compile(r"^CREATE ROLE \[\w+\] AUTHORIZATION \[dbo\]$"), "CREATE ROLE: no sqlglot grammar"),
    "alter_role": (re.compile(r"^ALTER ROLE \[\w+\] ADD MEMBER \[[^\]]+\]$"), "ALTER ROLE … ADD MEMBER: no sqlglot grammar"),
    "grant": (
        re.compile(r"^GRANT (SELECT|INSERT|UPDATE|DELETE|ALTER|EXECUTE)(, (SELECT|INSERT|UPDATE|DELETE|ALTER|EXECUTE))* ON (SCHEMA|OBJECT)::\[\w+\](\.\[\w+\])? TO \[\w+\]$"),
        "GRANT … ON SCHEMA:: / OBJECT::: no sqlglot grammar",
    ),
}


def batches(text: str) -> list[str]:
    """The batches of a migration file, as splitBatches does it (comment-only ones dropped)."""
    out = []
    for b in GO.split(text):
        if any(line.strip() and not line.strip().startswith("--") for line in b.split("\n")):
            out.append(b.strip())
    return out


def strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    sql = "\n".join(line for line in sql.split("\n") if not line.strip().startswith("--"))
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def fallback_kind(sql: str) -> str | None:
    text = strip_comments(sql)
    for kind, (pattern, _why) in FALLBACKS.items():
        if pattern.match(text):
            return kind
    return None


def parse_file(path: Path) -> tuple[list[exp.Expression], list[str]]:
    """All statements of a file and the text of every Command fallback inside them."""
    statements: list[exp.Expression] = []
    commands: list[str] = []
    for i, batch in enumerate(batches(path.read_text()), start=1):
        if batch.lstrip().upper().startswith("CREATE TABLE") or "\nCREATE TABLE" in batch.upper():
            commands.extend(m.group(0).strip() for m in COLUMN_MASKED.finditer(batch))
            batch = COLUMN_MASKED.sub("", batch)
        try:
            parsed = sqlglot.parse(batch, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as e:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{path.relative_to(REPO)} batch {i} does not parse as T-SQL: {e}\n{batch[:800]}")
        for s in parsed:
            if s is None:
                continue
            statements.append(s)
            for c in s.find_all(exp.Command):
                commands.append(c.sql(dialect="tsql"))
    return statements, commands


def golden_files() -> list[Path]:
    files = sorted(p for s in SCENARIOS for p in (GOLDEN / s).glob("*.sql"))
    assert len(files) == 2 * 9, f"expected 8 migrations + serving_tests.sql per scenario, found {[str(f) for f in files]}"
    return files


def test_the_cli_writes_the_golden_files(tmp_path: Path) -> None:
    if not (REPO / "cli" / "dist" / "src" / "bin.js").exists():
        pytest.fail("the workspace is not built (cli/dist missing): run scripts/setup.sh (tsc -b) first")
    # the golden files name the sql package's default principals; the CLI names a stack's unless told
    defaults = ["--metabase-principal", "id-streampulse-metabase", "--loader-principal", "adf-streampulse"]
    p = subprocess.run(["node", "cli/dist/src/bin.js", "sql", "generate", "--out", str(tmp_path), *defaults], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    written = {f.name: f.read_text() for f in (tmp_path / "sql").glob("*.sql")}
    written["serving_tests.sql"] = (tmp_path / "sql" / "tests" / "serving_tests.sql").read_text()
    golden = {f.name: f.read_text() for f in (GOLDEN / "streampulse").glob("*.sql")}
    assert written == golden


def test_the_cli_names_the_stacks_principals(tmp_path: Path) -> None:
    # without flags, the users are the dev stack's (infra names them: adf-<prefix>-<env>, <prefix>-id-metabase-<env>)
    for stack, flags in (("dev", []), ("prod", ["--stack", "prod"])):
        out = tmp_path / stack
        p = subprocess.run(["node", "cli/dist/src/bin.js", "sql", "generate", "--out", str(out), *flags], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        users = [strip_comments(c) for c in parse_file(out / "sql" / "0007_roles_and_grants.sql")[1] if fallback_kind(c) == "create_user_external"]
        assert users == [f"CREATE USER [spulse-id-metabase-{stack}] FROM EXTERNAL PROVIDER", f"CREATE USER [adf-spulse-{stack}] FROM EXTERNAL PROVIDER"]


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_batch_parses_and_every_fallback_is_a_known_tsql_statement(path: Path) -> None:
    _statements, commands = parse_file(path)
    unknown = [c for c in commands if fallback_kind(c) is None]
    assert unknown == [], f"statements sqlglot could not parse and that are not documented fallbacks: {unknown}"


def test_the_fallbacks_seen_are_exactly_the_documented_ones() -> None:
    seen = {fallback_kind(c) for p in golden_files() for c in parse_file(p)[1]}
    assert seen == set(FALLBACKS), f"seen {sorted(k or '?' for k in seen)}; update FALLBACKS (sqlglot may have learnt a statement)"


def creates(statements: list[exp.Expression], kind: str) -> list[exp.Create]:
    return [c for s in statements for c in s.find_all(exp.Create) if str(c.args.get("kind", "")).upper() == kind]


def test_views_procedures_merges_and_the_rls_function_are_real_parse_trees() -> None:
    path = GOLDEN / "streampulse"
    views, _ = parse_file(path / "0004_serving_views.sql")
    assert [v.this.sql(dialect="tsql") for v in creates(views, "VIEW")] == [
        f"[serving].[{m}]"
        for m in [
            "analytics_cohort_retention",
            "analytics_content_portfolio",
            "analytics_engagement_daily",
            "analytics_funnel_conversion",
            "analytics_kpi_monthly",
            "analytics_payment_quality",
            "analytics_subscription_health",
        ]
    ]
    procs, commands = parse_file(path / "0005_load_procedures.sql")
    assert commands == []
    names = [p.this.sql(dialect="tsql").split(" ")[0] for p in creates(procs, "PROCEDURE")]  # the name, without its parameters
    assert "[serving].[usp_merge_marts]" in names and "[ops].[usp_record_pipeline_run]" in names
    assert len([n for n in names if n.startswith("[gold].[usp_merge_analytics_")]) == 7
    merges = [m for s in procs for m in s.find_all(exp.Merge)]
    assert len(merges) == 8  # one per mart + the pipeline-run record
    rls, _ = parse_file(path / "0008_row_level_security.sql")
    fns = creates(rls, "FUNCTION")
    assert [f.this.sql(dialect="tsql") for f in fns] == ["[security].[fn_rls_analytics_subscription_health](@region VARCHAR(7))"]
    tests, commands = parse_file(path / "serving_tests.sql")
    assert commands == [] and tests and all(isinstance(t, exp.Select) for t in tests)


def test_masking_and_security_statements_follow_the_documented_syntax() -> None:
    masking = parse_file(GOLDEN / "pii-fixture" / "0006_masking.sql")[1]
    assert [strip_comments(c) for c in masking if fallback_kind(c) == "add_masked"] == [
        "ALTER TABLE [gold].[analytics_account_contacts] ALTER COLUMN [email] ADD MASKED WITH (FUNCTION = 'email()')"
    ]
    assert parse_file(GOLDEN / "streampulse" / "0006_masking.sql")[1] == []  # nothing served is PII
    # staging, the copy target, masks the same column inline (kept when the table is re-created)
    staging = parse_file(GOLDEN / "pii-fixture" / "0002_staging_tables.sql")[1]
    assert [c for c in staging if fallback_kind(c) == "column_masked"] == ["MASKED WITH (FUNCTION = 'email()')"]
    assert parse_file(GOLDEN / "streampulse" / "0002_staging_tables.sql")[1] == []
    rls = parse_file(GOLDEN / "streampulse" / "0008_row_level_security.sql")[1]
    assert len([c for c in rls if fallback_kind(c) == "create_security_policy"]) == 1
    users = [strip_comments(c) for c in parse_file(GOLDEN / "streampulse" / "0007_roles_and_grants.sql")[1] if fallback_kind(c) == "create_user_external"]
    assert users == ["CREATE USER [id-streampulse-metabase] FROM EXTERNAL PROVIDER", "CREATE USER [adf-streampulse] FROM EXTERNAL PROVIDER"]
