"""Sweeps on Ray: a tiny grid, its tidy CSV, the resume, and the same rows without Ray."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from studentgym.experiment.sweep import load_sweep, run_sweep

TINY_SWEEP = {
    "settings": {
        "students": 1200,
        "episodes": 400,
        "dqn_steps": 300,
        "eval_students": 120,
        "validation_students": 80,
        "recommender_students": 150,
        "n_boot": 100,
        "train_on": ["classifier"],
        "predictor_study": False,
        "capacity_study": False,
        "save_cohort": False,
        "robustness": ["default"],
    },
    "grid": {"seed": [0, 1], "student_model": ["weaker_effects", "deprived_population"]},
}


CSVS = {
    "sweep.csv": ["policy"],
    "robustness_matrix.csv": ["judged_on", "policy"],
}


def _grid(folder, spec) -> str:
    path = folder / "grid.yml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def _sorted(frame: pd.DataFrame, keys) -> pd.DataFrame:
    return frame.drop(columns="seconds").sort_values(keys).reset_index(drop=True)


def test_a_tiny_sweep_on_ray_resumes_and_equals_the_runs_without_ray(tmp_path, local_ray):
    runs = load_sweep(_grid(tmp_path, TINY_SWEEP), quick=True)
    assert len(runs) == 4 and len({run.run_id for run in runs}) == 4
    lines = []
    assert run_sweep(runs, tmp_path / "ray", log=lines.append) == []
    assert any("submitted to Ray" in line for line in lines)
    sweep = pd.read_csv(tmp_path / "ray" / "sweep.csv", dtype={"run_id": str})
    assert set(sweep["run_id"]) == {run.run_id for run in runs}
    assert sweep.groupby("run_id")["policy"].nunique().eq(11).all()
    models = ("weaker_effects", "deprived_population")
    assert set(zip(sweep["seed"], sweep["student_model"], strict=True)) == {
        (s, m) for s in (0, 1) for m in models
    }
    for column in ("return_minus_no_intervention_ci_low", "verdict_vs_recommender"):
        assert sweep[column].notna().any(), column
    matrix = pd.read_csv(tmp_path / "ray" / "robustness_matrix.csv", dtype={"run_id": str})
    assert len(matrix) == 4 * 11 and set(matrix["judged_on"]) == {"default"}
    # each run happens in its student model: the clairvoyant oracle, judged in the run's
    # world and in the default one on the same students, gains less when effects are weaker
    key = ["run_id", "policy"]
    in_run = sweep.set_index(key)["return_minus_no_intervention"]
    in_default = matrix.set_index(key)["return_minus_no_intervention"].loc[in_run.index]
    weaker = sweep.loc[sweep["student_model"] == "weaker_effects", "run_id"].unique()
    for run_id in weaker:
        assert in_run.loc[(run_id, "oracle")] < in_default.loc[(run_id, "oracle")]
    for run in runs:  # ... and teaches its population: no less deprived half to compare
        folder = tmp_path / "ray" / "runs" / run.run_id
        gap = pd.read_csv(folder / "policy_benchmark.csv")["imd_success_gap"]
        deprived = run.values["student_model"] == "deprived_population"
        assert gap.isna().all() == deprived, run.values
        summary = (folder / "summary.md").read_text()
        assert f"student_model={run.values['student_model']}" in summary
        assert not (folder / "cohort").exists() and not (folder / "model_scores.csv").exists()

    before = (tmp_path / "ray" / "sweep.csv").read_bytes()
    lines.clear()
    assert run_sweep(runs, tmp_path / "ray", log=lines.append) == []
    assert lines == ["sweep: 4 runs, 4 already in " + str(tmp_path / "ray" / "sweep.csv")]
    assert (tmp_path / "ray" / "sweep.csv").read_bytes() == before

    # an interrupted sweep: one run's rows never reached the CSV. The next invocation,
    # without Ray, runs only that one, in this process, and writes the same rows
    ray_rows = {name: pd.read_csv(tmp_path / "ray" / name, dtype={"run_id": str}) for name in CSVS}
    lost = next(run for run in runs if run.values == {"seed": 0, "student_model": "weaker_effects"})
    sweep[sweep["run_id"] != lost.run_id].to_csv(tmp_path / "ray" / "sweep.csv", index=False)
    lines.clear()
    assert run_sweep(runs, tmp_path / "ray", use_ray=False, log=lines.append) == []
    assert lines[0].startswith("sweep: 4 runs, 3 already in") and len(lines) == 2
    for name, keys in CSVS.items():
        again = pd.read_csv(tmp_path / "ray" / name, dtype={"run_id": str})
        assert len(again) == len(ray_rows[name])  # replaced, not appended twice
        pd.testing.assert_frame_equal(
            _sorted(again[again["run_id"] == lost.run_id], keys),
            _sorted(ray_rows[name][ray_rows[name]["run_id"] == lost.run_id], keys),
        )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"grid": {"student_model": ["default", "gentle"]}}, "unknown student model 'gentle'"),
        ({"grid": {"epsiodes": [100]}}, "unknown setting 'epsiodes'"),
        ({"settings": {"dqn.learning_rat": 0.1}}, "'learning_rat'"),
        ({"settings": {"robustness": ["default", "harsh"]}}, "unknown student model 'harsh'"),
        ({"sweeps": {}}, "unknown section(s) ['sweeps']"),
        ({"grid": {"episodes": [0]}}, "episodes must be >= 1"),
    ],
)
def test_a_bad_grid_is_refused_before_any_run_naming_the_problem(tmp_path, change, named):
    spec = {**TINY_SWEEP, **change}
    if "grid" in change:
        spec["grid"] = {**TINY_SWEEP["grid"], **change["grid"]}
    if "settings" in change:
        spec["settings"] = {**TINY_SWEEP["settings"], **change["settings"]}
    with pytest.raises(ValueError) as refused:
        load_sweep(_grid(tmp_path, spec), quick=True)
    assert named in str(refused.value) and "grid.yml" in str(refused.value)


def test_the_sweep_script_refuses_a_bad_grid_and_starts_nothing(tmp_path, run_script):
    spec = {**TINY_SWEEP, "grid": {"student_model": ["default", "gentle"]}}
    out = tmp_path / "out"
    result = run_script("sweep.py", _grid(tmp_path, spec), "--quick", "--out", str(out))
    assert result.returncode == 2 and "unknown student model 'gentle'" in result.stderr
    assert not out.exists()
