"""validate / build / load: the bad-input list, variables, disabled, pointers, paths and plugins.

Each bad input is checked in JSON and in YAML: the problem's line:column is found by searching
the file's text for the offending token, independently of the parsers.
"""

import json
import sys
import textwrap

import pytest
from conftest import CONFIGS, valid_entry

import lrpol
from lrpol import ConfigError, DecayOnStep, ReducePoly, build, load, registry, validate

JSON_TEMPLATE = """\
{{
  "epochs": 10,
  "learning_rate": 0.1,
  "train": {{
    "lr_policy": {policy}
  }}
}}
"""

YAML_TEMPLATE = """\
epochs: 10
learning_rate: 0.1
train:
  lr_policy:
{policy}
"""


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line:column of the only occurrence of needle in text, or of the '|' inside it."""
    offset = max(needle.find("|"), 0)
    needle = needle.replace("|", "")
    assert text.count(needle) == 1, f"{needle!r} must occur exactly once"
    before = text[: text.index(needle) + offset]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def only_problem(problems):
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def check_bad(write, name, text, needle, json_path, message, code, **options):
    """validate reports exactly one problem there, and load raises ConfigError with the same record."""
    path = write(name, text)
    problem = only_problem(validate(path, **options))
    assert (problem.line, problem.column) == position(text, needle)
    assert (problem.file, problem.json_path, problem.code) == (str(path), json_path, code)
    assert message in problem.message + "; " + problem.hint
    with pytest.raises(ConfigError) as info:
        load(path, **{k: v for k, v in options.items() if k != "strict"})
    assert info.value.problems == (problem,)
    assert str(info.value) == str(problem)


POLICY = "$.train.lr_policy"

# (id, JSON policy, its needle, YAML policy lines, their needle, JSON path, message fragment, code).
# The needle is the text where the problem must point: the bad value, the bad key, or, for
# something missing, the key of the object that lacks it.
BAD_ENTRIES = [
    ("unknown-name",
     '{"name": "ReducePloy", "args": {"poly_power": 0.9}}', '"ReducePloy"',
     "    name: ReducePloy\n    args: {poly_power: 0.9}", "ReducePloy",
     f"{POLICY}.name", "unknown policy 'ReducePloy'; did you mean 'ReducePoly'?", "unknown-policy"),
    ("misspelt-argument",
     '{"name": "DecayOnStep", "args": {"decay_rato": 0.5, "decay_ratio": 0.5, "decay_freq": 3}}', '"decay_rato"',
     "    name: DecayOnStep\n    args: {decay_rato: 0.5, decay_ratio: 0.5, decay_freq: 3}", "decay_rato",
     f"{POLICY}.args.decay_rato", "unknown argument for DecayOnStep; did you mean 'decay_ratio'?", "unknown-argument"),
    ("missing-argument",
     '{"name": "DecayOnStep", "args": {"decay_ratio": 0.5}}', '"args"',
     "    name: DecayOnStep\n    args: {decay_ratio: 0.5}", "args:",
     f"{POLICY}.args.decay_freq", "missing required argument 'decay_freq' for DecayOnStep (an integer >= 1)", "missing-argument"),
    ("missing-args",
     '{"name": "ReducePoly"}', '"lr_policy"',
     "    name: ReducePoly", "lr_policy:",
     f"{POLICY}.args.poly_power", "missing required argument 'poly_power'", "missing-argument"),
    ("string-for-number",
     '{"name": "ReducePoly", "args": {"poly_power": "0.5"}}', '"0.5"',
     "    name: ReducePoly\n    args: {poly_power: '0.5'}", "'0.5'",
     f"{POLICY}.args.poly_power", 'expected a number, got a string ("0.5")', "wrong-type"),
    ("bool-for-int",
     '{"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": true}}', "true",
     "    name: DecayOnStep\n    args: {decay_ratio: 0.5, decay_freq: true}", "true",
     f"{POLICY}.args.decay_freq", "expected an integer, got a boolean (true)", "wrong-type"),
    ("fraction-for-int",
     '{"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 2.5}}', "2.5",
     "    name: DecayOnStep\n    args: {decay_ratio: 0.5, decay_freq: 2.5}", "2.5",
     f"{POLICY}.args.decay_freq", "expected an integer, got 2.5", "wrong-type"),
    ("out-of-range",
     '{"name": "DecayOnStep", "args": {"decay_ratio": 1.5, "decay_freq": 3}}', "1.5",
     "    name: DecayOnStep\n    args: {decay_ratio: 1.5, decay_freq: 3}", "1.5",
     f"{POLICY}.args.decay_ratio", "must be > 0 and <= 1, got 1.5", "out-of-range"),
    ("out-of-range-int",
     '{"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 0, "reduction_rate": 0.5}}', ": |0,",
     "    name: ReduceOnPlateau\n    args: {plateau_count_trigger: 0, reduction_rate: 0.5}", ": |0,",
     f"{POLICY}.args.plateau_count_trigger", "must be >= 1, got 0", "out-of-range"),
    ("bad-choice",
     '{"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5, "mode": "maxx"}}', '"maxx"',
     "    name: ReduceOnPlateau\n    args: {plateau_count_trigger: 2, reduction_rate: 0.5, mode: maxx}", "maxx",
     f"{POLICY}.args.mode", "must be 'min' or 'max', got \"maxx\"; did you mean 'max'?", "invalid-choice"),
    ("name-and-path-builds-the-path",  # as Clara does: the path is the class, the name is ignored
     '{"name": "ReducePoly", "path": "my_pkg.Poly", "args": {"poly_power": 0.9}}', '"my_pkg.Poly"',
     "    name: ReducePoly\n    path: my_pkg.Poly\n    args: {poly_power: 0.9}", "my_pkg.Poly",
     f"{POLICY}.path", "path 'my_pkg.Poly' is not in the allowlist", "path-not-allowed"),
    ("neither-name-nor-path",
     '{"args": {"poly_power": 0.9}}', '{"args"',
     "    args: {poly_power: 0.9}", "args:",
     POLICY, "needs 'name' (a registered policy) or 'path'", "missing-name"),
    ("args-not-object",
     '{"name": "ReducePoly", "args": [0.9]}', "[0.9]",
     "    name: ReducePoly\n    args: [0.9]", "[0.9]",
     f"{POLICY}.args", "'args' must be an object, got an array", "wrong-type"),
    ("unknown-entry-key",
     '{"name": "ReduceCosine", "arg": {"rate": 0.9}}', '"arg"',
     "    name: ReduceCosine\n    arg: {rate: 0.9}", "arg:",
     f"{POLICY}.arg", "unknown key 'arg' in a policy entry; did you mean 'args'?", "unknown-key"),
    ("disabled-not-bool",
     '{"name": "ReduceCosine", "disabled": "yes"}', '"yes"',
     "    name: ReduceCosine\n    disabled: 'yes'", "'yes'",
     f"{POLICY}.disabled", "'disabled' must be a boolean, got a string", "wrong-type"),
    ("undefined-variable",
     '{"name": "ReducePoly", "args": {"poly_power": "{POWR}"}}', '"{POWR}"',
     "    name: ReducePoly\n    args: {poly_power: '{POWR}'}", "'{POWR}'",
     f"{POLICY}.args.poly_power", "undefined variable 'POWR'", "undefined-variable"),
    ("path-outside-allowlist",
     '{"path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 2}}', '"lrpol_sample',
     "    path: lrpol_sample_policies.ScaledConstant\n    args: {factor: 2}", "lrpol_sample",
     f"{POLICY}.path", "path 'lrpol_sample_policies.ScaledConstant' is not in the allowlist", "path-not-allowed"),
]
IDS = [case[0] for case in BAD_ENTRIES]


@pytest.mark.parametrize("case", BAD_ENTRIES, ids=IDS)
def test_bad_entry_in_json(write, case):
    _, policy, needle, _, _, json_path, message, code = case
    check_bad(write, "config.json", JSON_TEMPLATE.format(policy=policy), needle, json_path, message, code, allow_paths=["elsewhere"])


@pytest.mark.parametrize("case", BAD_ENTRIES, ids=IDS)
def test_bad_entry_in_yaml(write, case):
    _, _, _, policy, needle, json_path, message, code = case
    check_bad(write, "config.yaml", YAML_TEMPLATE.format(policy=policy), needle, json_path, message, code, allow_paths=["elsewhere"])


def test_all_problems_are_reported_at_once_sorted_by_position(write):
    text = textwrap.dedent("""\
        {
          "train": {
            "lr_policy": {
              "name": "ReduceOnPlateau",
              "args": {
                "reduction_rate": 2,
                "plateau_count_triger": 3,
                "mode": "up"
              },
              "disabled": 0
            }
          }
        }
        """)
    problems = validate(write("many.json", text))
    assert [(p.line, p.column, p.json_path, p.code) for p in problems] == [
        (5, 7, "$.train.lr_policy.args.plateau_count_trigger", "missing-argument"),
        (6, 27, "$.train.lr_policy.args.reduction_rate", "out-of-range"),
        (7, 9, "$.train.lr_policy.args.plateau_count_triger", "unknown-argument"),
        (8, 17, "$.train.lr_policy.args.mode", "invalid-choice"),
        (10, 19, "$.train.lr_policy.disabled", "wrong-type"),
    ]
    assert problems[2].hint == "did you mean 'plateau_count_trigger'?"
    with pytest.raises(ConfigError) as info:
        load(write("many.json", text))
    assert list(info.value.problems) == problems
    assert str(info.value).splitlines()[2] == (
        f"{write('many.json', text)}:7:9: $.train.lr_policy.args.plateau_count_triger: "
        "unknown argument for ReduceOnPlateau; did you mean 'plateau_count_trigger'?"
    )


@pytest.mark.parametrize(
    "name, text, needle, code, message",
    [
        ("nan.json", '{"name": "ReducePoly", "args": {"poly_power": NaN}}', "NaN", "non-finite", "NaN is not valid JSON"),
        ("inf.json", '{"name": "ReduceCosine", "args": {"rate": Infinity}}', "Infinity", "non-finite", "Infinity is not valid JSON"),
        ("dup.json", '{"name": "ReducePoly", "args": {"poly_power": 0.9, "poly_power": 0.8}}', '"poly_power": 0.8', "duplicate-key", "duplicate key 'poly_power'"),
        ("dup.yaml", "name: ReducePoly\nargs:\n  poly_power: 0.9\n  poly_power: 0.8\n", "poly_power: 0.8", "duplicate-key", "duplicate key 'poly_power'"),
        ("yinf.yaml", "name: ReduceCosine\nargs: {rate: .inf}\n", ".inf", "non-finite", "must be a finite number, got inf"),
    ],
)
def test_non_finite_numbers_and_duplicate_keys(write, name, text, needle, code, message):
    path = write(name, text)
    problem = only_problem(validate(path))
    assert (problem.line, problem.column, problem.code) == (*position(text, needle), code)
    assert message in problem.message
    with pytest.raises(ConfigError):
        load(path)


@pytest.mark.parametrize(
    "name, text, mark, code",
    [
        ("bad.json", '{"name": "ReducePoly",\n "args": {"poly_power": 0.9,}}', (2, 28), "syntax"),
        ("bad.json", '{"name": "ReducePoly" "args": {}}', (1, 23), "syntax"),
        ("bad.yaml", "name: ReducePoly\nargs: {poly_power: 0.9\n", (3, 1), "syntax"),
        ("bad.yaml", "name: ReducePoly\n  args: x\n", (2, 7), "syntax"),
        ("empty.json", "", (1, 1), "empty"),
        ("empty.yaml", "\n  \n", (1, 1), "empty"),
    ],
)
def test_malformed_and_empty_files(write, name, text, mark, code):
    path = write(name, text)
    problem = only_problem(validate(path))
    assert ((problem.line, problem.column), problem.code, problem.json_path) == (mark, code, "$")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.problems == (problem,)


@pytest.mark.parametrize("name, text, mark", [("c.yaml", "# nothing here\n", (1, 1)), ("n.yaml", "\n~\n", (2, 1)), ("n.json", " null", (1, 2))])
def test_a_document_with_no_data_is_empty(write, name, text, mark):
    problem = only_problem(validate(write(name, text)))
    assert (problem.code, (problem.line, problem.column)) == ("empty", mark)
    assert problem.message == "the document is empty (null); expected a component entry or a train config"


def test_missing_file_is_unreadable(tmp_path):
    problem = only_problem(validate(tmp_path / "nope.json"))
    assert problem.code == "unreadable" and "cannot read file" in problem.message


def test_yaml_tags_are_refused_without_running_anything(write, tmp_path):
    marker = tmp_path / "ran"
    text = f"name: ReducePoly\nargs: !!python/object/apply:os.system ['touch {marker}']\n"
    problems = validate(write("evil.yaml", text))
    assert any(p.code == "yaml-tag" and (p.line, p.column) == (2, 7) for p in problems)
    with pytest.raises(ConfigError):
        load(write("evil.yaml", text))
    assert not marker.exists()


# -- valid configs -------------------------------------------------------------------------------

EXAMPLES = sorted(CONFIGS.glob("*.json")) + sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_configs_are_valid(path):
    assert validate(path) == []
    assert isinstance(load(path), lrpol.LRPolicy)


@pytest.mark.parametrize("stem", sorted({p.stem for p in EXAMPLES}))
def test_json_and_yaml_examples_mean_the_same(stem):
    from lrpol.reading import read_document

    json_doc, yaml_doc = read_document(CONFIGS / f"{stem}.json"), read_document(CONFIGS / f"{stem}.yaml")
    assert json_doc.data == yaml_doc.data
    assert load(CONFIGS / f"{stem}.json") == load(CONFIGS / f"{stem}.yaml")


def test_yaml_floats_follow_yaml_1_2(write):
    path = write("f.yaml", "learning_rate: 1e-3\ntrain:\n  lr_policy: {name: ReduceOnPlateau, args: {plateau_count_trigger: 2, reduction_rate: 5e-1, min_lr: 1e-6}}\n")
    policy = load(path)
    assert (policy.reduction_rate, policy.min_lr) == (0.5, 1e-6)


def test_bare_entry_file_and_schema_key(write):
    text = '{"$schema": "../schemas/lr_policy.schema.json", "name": "ReducePoly", "args": {"poly_power": 2}}'
    assert load(write("entry.json", text)) == ReducePoly(poly_power=2.0)


def test_pointer_picks_another_place(write):
    text = json.dumps({"stages": [{"policy": {"name": "ReduceCosine"}}, {"policy": valid_entry("DecayOnStep")}]})
    path = write("stages.json", text)
    assert load(path, pointer="/stages/1/policy") == DecayOnStep(decay_ratio=0.5, decay_freq=3)
    problem = only_problem(validate(path, pointer="/stages/2/policy"))
    assert (problem.code, problem.json_path) == ("missing-entry", "$.stages[2].policy")
    assert problem.message == "nothing at /stages/2/policy"


def test_pointer_must_be_a_json_pointer(write):
    path = write("a.json", "{}")
    problem = only_problem(validate(path, pointer="train/lr_policy"))
    assert (problem.code, problem.message) == ("invalid-pointer", "'train/lr_policy' is not a JSON pointer")
    with pytest.raises(ConfigError):
        load(path, pointer="train")


def test_disabled_entry_builds_no_policy(write):
    assert build({"name": "ReduceCosine", "disabled": True}) is None
    assert load(write("d.yaml", "train:\n  lr_policy: {name: ReducePoly, disabled: true, args: {poly_power: 1}}\n")) is None
    # disabled entries are still checked: a typo is a typo
    problems = validate({"name": "ReducePoly", "disabled": True, "args": {"poly_pwer": 1}})
    assert [p.code for p in problems] == ["missing-argument", "unknown-argument"]


def test_build_takes_a_mapping_and_reports_json_paths():
    assert build(valid_entry("ReduceOnPlateau")).plateau_count_trigger == 2
    with pytest.raises(ConfigError) as info:
        build({"name": "ReducePoly", "args": {"poly_power": -1}})
    assert str(info.value) == "<config>: $.args.poly_power: must be > 0, got -1"
    assert info.value.problems[0].line is None


# -- {VAR} substitution --------------------------------------------------------------------------

def test_variables_from_the_config_and_the_caller(write):
    config = {
        "epochs": 10,
        "decay_every": 200,
        "ratio": 0.1,
        "train": {"lr_policy": {"name": "DecayOnStep", "args": {"decay_ratio": "{ratio}", "decay_freq": "{decay_every}"}}},
    }
    path = write("vars.json", json.dumps(config))
    assert load(path) == DecayOnStep(decay_ratio=0.1, decay_freq=200)
    assert load(path, variables={"decay_every": 50}) == DecayOnStep(decay_ratio=0.1, decay_freq=50)


def test_variable_keeps_its_type_only_when_it_is_the_whole_string():
    entry = {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": "{N}", "reduction_rate": 0.5, "mode": "m{N}"}}
    problems = validate(entry, variables={"N": 3})
    assert [(p.json_path, p.message) for p in problems] == [("$.args.mode", "must be 'min' or 'max', got \"m3\"")]


def test_variables_may_refer_to_variables_but_not_in_a_cycle():
    entry = {"name": "ReducePoly", "args": {"poly_power": "{a}"}}
    assert build(entry, variables={"a": "{b}", "b": 2}) == ReducePoly(poly_power=2.0)
    problem = only_problem(validate(entry, variables={"a": "{b}", "b": "{a}"}))
    assert problem.message == "variable 'a' refers to itself (a -> b -> a)"


def test_undefined_variable_suggests_a_close_one():
    problem = only_problem(validate({"name": "ReducePoly", "args": {"poly_power": "{powr}"}}, variables={"power": 1}))
    assert problem.hint == "did you mean 'power'?"


def test_run_settings_are_checked(write):
    text = '{"epochs": 0, "learning_rate": "fast", "train": {"lr_policy": {"name": "ReduceCosine"}}}'
    problems = validate(write("run.json", text))
    assert [(p.json_path, p.code) for p in problems] == [("$.epochs", "out-of-range"), ("$.learning_rate", "wrong-type")]


# -- path entries: allowlist, resolved-object checks ---------------------------------------------

def test_path_import_needs_the_allowlist_and_validate_never_imports(write):
    entry = {"path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 2}}
    sys.modules.pop("lrpol_sample_policies", None)
    assert validate(entry) == []  # shape only: no import
    assert [p.code for p in validate(entry, strict=True)] == ["unchecked-path"]
    assert [p.code for p in validate(entry, allow_paths=["other_pkg"])] == ["path-not-allowed"]
    assert "lrpol_sample_policies" not in sys.modules
    policy = build(entry, allow_paths=["lrpol_sample_policies"])
    assert policy.evaluate(lrpol.TrainContext(initial_lr=0.1, total_epochs=1)) == 0.2


def test_path_allowlist_from_the_environment(monkeypatch):
    monkeypatch.setenv("LRPOL_ALLOW_PATHS", "somewhere_else, lrpol_sample_policies")
    assert build({"path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 3}}).factor == 3.0


def test_path_prefix_matches_whole_module_names():
    with pytest.raises(ConfigError) as info:
        build({"path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 3}}, allow_paths=["lrpol_sample"])
    assert info.value.problems[0].code == "path-not-allowed"


@pytest.mark.parametrize(
    "path, code, message",
    [
        ("lrpol_sample_policies.system", "not-a-policy", "which is not an LRPolicy subclass"),
        ("lrpol_sample_policies.Reexported", "path-not-allowed", "lrpol.policies.poly.ReducePoly, which is defined outside the allowlist"),
        ("lrpol_sample_policies.Missing", "not-a-policy", "resolves to None"),
        ("lrpol_sample_policies.nowhere.Cls", "import-error", "cannot import module 'lrpol_sample_policies.nowhere'"),
        ("lrpol_sample_policies", "invalid-path", "is not a dotted path to a class"),
    ],
)
def test_path_is_judged_by_what_it_resolves_to(path, code, message):
    with pytest.raises(ConfigError) as info:
        build({"path": path, "args": {"factor": 2}}, allow_paths=["lrpol_sample_policies"])
    problem = only_problem(info.value.problems)
    assert (problem.code, problem.json_path) == (code, "$.path")
    assert message in problem.message


def test_path_class_arguments_are_checked_after_import():
    allow = ["lrpol_sample_policies"]
    # validate does not import, so it checks only the shape and the allowlist
    assert lrpol.validate({"path": "lrpol_sample_policies.ScaledConstant", "args": {"factr": 2}}, allow_paths=allow) == []
    with pytest.raises(ConfigError) as info:
        build({"path": "lrpol_sample_policies.ScaledConstant", "args": {"factr": 2}}, allow_paths=allow)
    assert [(p.json_path, p.code, p.hint) for p in info.value.problems] == [
        ("$.args.factor", "missing-argument", ""),
        ("$.args.factr", "unknown-argument", "did you mean 'factor'?"),
    ]


def test_undeclared_constructor_errors_become_config_errors():
    with pytest.raises(ConfigError) as info:
        build({"path": "lrpol_sample_policies.Undeclared", "args": {"scale": -1}}, allow_paths=["lrpol_sample_policies"])
    problem = only_problem(info.value.problems)
    assert (problem.json_path, problem.code) == ("$.args", "rejected")
    assert problem.message == "path lrpol_sample_policies.Undeclared rejected its arguments: ValueError: scale must be > 0, got -1"
    with pytest.raises(ConfigError, match="TypeError"):
        build({"path": "lrpol_sample_policies.Undeclared", "args": {"size": 1}}, allow_paths=["lrpol_sample_policies"])


# -- registry and plugins ------------------------------------------------------------------------

def test_register_returns_the_class_and_refuses_duplicates(monkeypatch):
    monkeypatch.setattr(registry, "_policies", dict(registry._policies))
    from dataclasses import dataclass

    @lrpol.register("Halved")
    @dataclass(frozen=True)
    class Half(lrpol.LRPolicy):
        def evaluate(self, ctx):
            return ctx.initial_lr / 2

    assert Half.__name__ == "Half" and registry.lookup("Halved") is Half
    assert build({"name": "Halved"}).evaluate(lrpol.TrainContext(initial_lr=1.0, total_epochs=1)) == 0.5
    with pytest.raises(ValueError, match=r"'Halved' is already registered by tests?.*Half"):
        lrpol.register(name="Halved")(Half)
    with pytest.raises(ValueError, match="'ReducePoly' is already registered"):
        lrpol.register(ReducePoly)
    with pytest.raises(TypeError, match="only LRPolicy subclasses"):
        lrpol.register(dict)


def test_entry_point_plugins_load_lazily_once(tmp_path, monkeypatch):
    site = tmp_path / "site"
    dist = site / "lrpol_demo-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lrpol-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[lrpol.policies]\nDemoConstant = lrpol_demo_plugin:DemoConstant\nBrokenDemo = lrpol_demo_missing:Nope\n"
    )
    (site / "lrpol_demo_plugin.py").write_text(textwrap.dedent("""\
        from dataclasses import dataclass
        from lrpol import LRPolicy
        from lrpol.arguments import arg

        @dataclass(frozen=True)
        class DemoConstant(LRPolicy):
            \"\"\"A constant LR, from a plugin.\"\"\"
            lr: float = arg(doc="the LR", gt=0)

            def evaluate(self, ctx):
                return self.lr
        """))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_policies", dict(registry._policies))
    monkeypatch.setattr(registry, "_pending_plugins", None)
    monkeypatch.setattr(registry, "_broken_plugins", {})

    assert build(valid_entry("ReducePoly")) == ReducePoly(poly_power=0.9)
    assert "lrpol_demo_plugin" not in sys.modules  # built-in names never touch plugins
    assert "DemoConstant" in registry.known_names()
    assert "lrpol_demo_plugin" not in sys.modules  # listing names does not import either
    problem = only_problem(validate({"name": "DemoConstant", "args": {"lr": 0}}))
    assert (problem.json_path, problem.code) == ("$.args.lr", "out-of-range")
    assert build({"name": "DemoConstant", "args": {"lr": 0.3}}).lr == 0.3
    assert "lrpol_demo_plugin" in sys.modules
    problem = only_problem(validate({"name": "BrokenDemo"}))
    assert problem.code == "plugin-error"
    assert "plugin policy 'BrokenDemo' failed to load: lrpol_demo_missing:Nope: ModuleNotFoundError" in problem.message
    monkeypatch.delitem(sys.modules, "lrpol_demo_plugin")


def test_path_to_a_non_policy_in_a_file_points_at_the_path(write):
    text = 'epochs: 1\ntrain:\n  lr_policy:\n    path: lrpol_sample_policies.system\n    args: {}\n'
    path = write("evil.yaml", text)
    with pytest.raises(ConfigError) as info:
        load(path, allow_paths=["lrpol_sample_policies"])
    problem = only_problem(info.value.problems)
    assert (problem.line, problem.column, problem.json_path, problem.code) == (4, 11, "$.train.lr_policy.path", "not-a-policy")


def test_mappings_built_in_code_with_odd_values_get_problems_not_exceptions():
    assert [(p.json_path, p.code) for p in validate({"name": "ReduceCosine", "args": {1: 2}})] == [("$.args[1]", "non-string-key")]
    problem = only_problem(validate({"name": "ReducePoly", "args": {"poly_power": 10**400}}))
    assert (problem.code, problem.message) == ("non-finite", "must be a finite number, at most 1.8e308 in size, got an integer of 401 digits")


def test_a_train_config_is_recognised_even_with_a_top_level_name(write):
    config = {"name": "run1", "epochs": 10, "train": {"lr_policy": valid_entry("ReducePoly")}}
    assert validate(config) == []
    assert build(config) == ReducePoly(poly_power=0.9)
    assert load(write("run.json", json.dumps(config))) == ReducePoly(poly_power=0.9)


def test_disabled_entry_is_built_and_checked_like_an_enabled_one():
    entry = {"path": "lrpol_sample_policies.Undeclared", "disabled": True, "args": {"scale": -1}}
    with pytest.raises(ConfigError, match="rejected its arguments"):
        build(entry, allow_paths=["lrpol_sample_policies"])
    assert build({**entry, "args": {"scale": 2}}, allow_paths=["lrpol_sample_policies"]) is None


def test_variables_are_substituted_in_args_and_disabled_only():
    assert build({"name": "ReduceCosine", "disabled": "{OFF}"}, variables={"OFF": True}) is None
    problem = only_problem(validate({"name": "{POLICY}"}, variables={"POLICY": "ReduceCosine"}))
    assert (problem.json_path, problem.code) == ("$.name", "unknown-policy")


def test_schema_key_must_be_a_string():
    problem = only_problem(validate({"$schema": 5, "name": "ReduceCosine"}))
    assert (problem.json_path, problem.message) == ("$['$schema']", "'$schema' must be a string, got an integer")


def test_variable_expansion_is_bounded():
    doubling = {f"v{i}": f"{{v{i + 1}}}{{v{i + 1}}}" for i in range(20)} | {"v20": "x"}
    problem = only_problem(validate({"name": "ReducePoly", "args": {"poly_power": "{v0}"}}, variables=doubling))
    assert problem.message == "substituting variables makes a string of more than 65,536 characters"
    chain = {f"v{i}": f"{{v{i + 1}}}" for i in range(2000)} | {"v2000": 1}
    problem = only_problem(validate({"name": "ReducePoly", "args": {"poly_power": "{v0}"}}, variables=chain))
    assert problem.message.startswith("variables refer to variables more than 32 levels deep")


@pytest.mark.parametrize("variables", [{1: 2}, {"a": [1]}, ["a"]])
def test_bad_variables_argument_is_a_type_error(variables):
    with pytest.raises(TypeError, match="variables must"):
        validate({"name": "ReduceCosine"}, variables=variables)


def test_top_level_keys_that_are_not_strings_are_not_variables():
    config = {1: 2, "p": 2, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": "{p}"}}}}
    assert validate(config) == []
    assert validate({"name": "ReducePoly", "args": {"poly_power": 1}, None: 1})[0].json_path == "$[None]"
