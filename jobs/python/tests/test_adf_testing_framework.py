"""Microsoft's data-factory-testing-framework (PyPI, pinned in requirements.lock) reads the
generated Data Factory factory: the golden files of pipelines/test/golden/adf, which
pipelines/test/generate.test.ts keeps equal to the generator's output.

The framework decides what is dynamic by the form Data Factory Studio writes: it turns
every ``{"value": …, "type": "Expression"}`` object (exactly those two keys) into a
DataFactoryElement that it evaluates, and leaves every other value — a plain ``"@…"``
string included — a literal (``_data_factory_element_replacer._is_obj_expression_dict``).
So these tests prove that a third-party reader of the Studio form finds every dynamic
value of the generated pipelines, and that its grammar (lark, pure Python) parses each.

What they do not do: evaluate. The framework evaluates expressions with a .NET assembly
(Microsoft.Azure.DataFactoryTestingFramework.Expressions, net5.0) through pythonnet's
coreclr host, and importing the package loads that runtime (its _pythonnet/__init__.py:
``pythonnet.load("coreclr")``; its docs: "Install the dotnet runtime … Version 8.0 is
recommended"). No .NET runtime is installable from the package registries this project
uses, so where none is found the .NET half is replaced by a stub that refuses to evaluate,
and only the framework's Python half (deserializer, Studio-form reader, grammar) runs.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "pipelines" / "test" / "golden" / "adf"


def _dotnet_root() -> str | None:
    try:
        from clr_loader.util.find import find_dotnet_root

        return str(find_dotnet_root())
    except Exception:  # noqa: BLE001 - clr_loader raises RuntimeError or OSError when there is none
        return None


DOTNET = _dotnet_root()
if DOTNET is None:
    # the framework's .NET half cannot load here: stand in for it with a stub that refuses to evaluate
    stub_pkg = types.ModuleType("data_factory_testing_framework._pythonnet")
    stub_pkg.__path__ = []  # a package, so its submodule below is importable
    stub_eval = types.ModuleType("data_factory_testing_framework._pythonnet.data_factory_testing_framework_expressions_evaluator")

    class _NoDotnetEvaluator:
        @staticmethod
        def evaluate(expression: str, state: Any) -> Any:  # noqa: ANN401
            raise RuntimeError(f"no .NET runtime: data-factory-testing-framework cannot evaluate {expression!r} here")

    stub_eval.DataFactoryTestingFrameworkExpressionsEvaluator = _NoDotnetEvaluator  # type: ignore[attr-defined]
    sys.modules.setdefault(stub_pkg.__name__, stub_pkg)
    sys.modules.setdefault(stub_eval.__name__, stub_eval)

from data_factory_testing_framework import TestFramework, TestFrameworkType  # noqa: E402
from data_factory_testing_framework._expression_runtime.data_factory_expression.expression_transformer import (  # noqa: E402
    ExpressionTransformer,
)
from data_factory_testing_framework.models import DataFactoryElement  # noqa: E402
from data_factory_testing_framework.state import PipelineRunState  # noqa: E402

PIPELINES = ["pl_ingest_dataset", "pl_ingest_wave", "pl_daily_master", "pl_hourly_master"]


def _holds_expression(text: str) -> bool:
    """A template with an expression: starts with @ (not @@) or interpolates @{…} (pipelines/src/studio-form.ts)."""
    return (text.startswith("@") and not text.startswith("@@")) or "@{" in text.replace("@@", "")


def _json_expressions(v: Any, out: list[str]) -> list[str]:  # noqa: ANN401
    """The values of the Studio's Expression objects in generated JSON, in document order."""
    if isinstance(v, dict):
        if v.get("type") == "Expression" and set(v) == {"value", "type"}:
            out.append(v["value"])
        else:
            for x in v.values():
                _json_expressions(x, out)
    elif isinstance(v, list):
        for x in v:
            _json_expressions(x, out)
    return out


def _framework_view(v: Any, expressions: list[str], plain: list[str]) -> None:  # noqa: ANN401
    """What the framework made of a value: DataFactoryElements (evaluated) and plain strings holding an expression (literals to it)."""
    if isinstance(v, DataFactoryElement):
        expressions.append(v.expression)
    elif isinstance(v, dict):
        for x in v.values():
            _framework_view(x, expressions, plain)
    elif isinstance(v, list):
        for x in v:
            _framework_view(x, expressions, plain)
    elif isinstance(v, str) and _holds_expression(v):
        plain.append(v)


def _activities(acts: list[Any]) -> list[Any]:  # noqa: ANN401
    out = []
    for a in acts:
        out.append(a)
        for k in ("activities", "if_true_activities", "if_false_activities", "default_activities"):
            inner = getattr(a, k, None)
            if isinstance(inner, list):
                out.extend(_activities(inner))
    return out


def _framework_expressions(root: Path, pipeline: str) -> tuple[list[str], list[str]]:
    tf = TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=str(root))
    expressions: list[str] = []
    plain: list[str] = []
    for a in _activities(tf.get_pipeline_by_name(pipeline).activities):
        own = {k: v for k, v in a.type_properties.items() if k not in ("activities", "ifTrueActivities", "ifFalseActivities")}
        _framework_view(own, expressions, plain)
        # the dataset references of Copy (inputs / outputs) are the activity's own properties in the JSON
        for k in ("inputs", "outputs"):
            _framework_view(a.all_properties.get(k), expressions, plain)
    return expressions, plain


def _golden_expressions(root: Path, pipeline: str) -> list[str]:
    doc = json.loads((root / "pipeline" / f"{pipeline}.json").read_text(encoding="utf-8"))
    return _json_expressions(doc["properties"]["activities"], [])


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_framework_reads_every_dynamic_value_of_the_generated_pipeline_as_an_expression(pipeline: str) -> None:
    expressions, plain = _framework_expressions(GOLDEN, pipeline)
    assert plain == [], f"{pipeline}: plain strings the framework takes literally: {plain}"
    assert sorted(expressions) == sorted(_golden_expressions(GOLDEN, pipeline))
    # the stored procedure parameters, the Databricks job parameters and the Copy's dataset parameters are among them
    if pipeline == "pl_ingest_dataset":
        assert {"@pipeline().RunId", "@pipeline().parameters.bronzeJob", "@pipeline().parameters.landingFile"} <= set(expressions)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_framework_grammar_parses_every_expression_of_the_generated_pipeline(pipeline: str) -> None:
    transformer = ExpressionTransformer()
    expressions, _ = _framework_expressions(GOLDEN, pipeline)
    assert expressions
    for e in expressions:
        transformer.transform_to_dftf_evaluator_expression(e, PipelineRunState())


def test_a_stored_procedure_parameter_written_as_a_plain_string_is_a_literal_to_the_framework(tmp_path: Path) -> None:
    """Why the form matters: the form the generator wrote before (value "@…" beside type String) is not evaluated."""
    for folder in ("pipeline",):
        (tmp_path / folder).mkdir()
        for f in (GOLDEN / folder).glob("*.json"):
            (tmp_path / folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    p = tmp_path / "pipeline" / "pl_ingest_dataset.json"
    doc = json.loads(p.read_text(encoding="utf-8"))
    failure = next(a for a in doc["properties"]["activities"] if a["name"] == "Record ingestion failure")
    failure["typeProperties"]["storedProcedureParameters"]["RunId"] = {"value": "@pipeline().RunId", "type": "String"}
    p.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    expressions, plain = _framework_expressions(tmp_path, "pl_ingest_dataset")
    assert plain == ["@pipeline().RunId"]
    assert expressions.count("@pipeline().RunId") == _golden_expressions(GOLDEN, "pl_ingest_dataset").count("@pipeline().RunId") - 1
