"""Each exercise run directly (no papermill) in its quick profile on synthetic data, its typed result checked."""

import io
import re
import json

import numpy as np
import pytest

from assignment2.core import ensemble, network
from assignment2.study import rule, store
from assignment2.study.progress import Progress
from assignment2.study.exercises import analysis, bonus, cyclical_lr, final_model, gradient_check, lambda_search, overfit
from assignment2.study.exercises.base import InputError, Result
from assignment2.study.splits import load_split


@pytest.fixture(scope="module")
def study(synthetic_root, tmp_path_factory):
    """Every exercise run once, in order, each result saved into its folder; (folder, store, results)."""
    folder = tmp_path_factory.mktemp("exercises")
    runs = store.RunStore(folder / "runs", Progress("exercises", io.StringIO()))
    root = str(synthetic_root)
    runs.trained_work, runs.expected_work, before = {}, {}, [0.0]

    def trained(name: str, result):
        """``result``, the work its exercise trained and expected noted."""
        runs.trained_work[name], before[0] = runs.progress.done - before[0], runs.progress.done
        runs.expected_work[name] = runs.progress.expected
        return result

    made = {"01": gradient_check.run(gradient_check.GradientCheckSettings(data_root=root).quick_profile(), runs),
            "02": overfit.run(overfit.OverfitSettings(data_root=root, n_images=50), runs)}
    before[0] = runs.progress.done
    made["03"] = trained("03", cyclical_lr.run(cyclical_lr.CyclicalSettings(data_root=root).quick_profile(), runs))
    made["04"] = trained("04", lambda_search.run(lambda_search.LambdaSearchSettings(data_root=root).quick_profile(),
                                                 runs))
    made["05"] = trained("05", final_model.run(final_model.FinalModelSettings(data_root=root).quick_profile(),
                                               made["04"], runs))
    made["06"] = trained("06", bonus.run(bonus.BonusSettings(data_root=root, mixes=[[0.5, 2.0]]).quick_profile(),
                                         made["05"], runs))
    made["07"] = analysis.run(analysis.AnalysisSettings(data_root=root, units=4, mistakes=4), made["05"], made["06"],
                              runs)
    for name, result in made.items():
        result.save(folder / name)
    return folder, runs, made


def test_the_quick_profile_fills_only_the_parameters_left_at_their_default():
    quick = cyclical_lr.CyclicalSettings.from_parameters({"n_s_three": 400, "seeds": [0, 1, 2, 3, 4], "other": 1},
                                                         quick=True)
    assert (quick.n_s_three, quick.seeds) == (400, [0, 1, 2, 3, 4])      # given: kept
    assert (quick.n_s_one, quick.hidden_sizes) == (20, [20, 40])         # left at the default: the quick value
    assert cyclical_lr.CyclicalSettings.from_parameters({}, quick=False).n_s_one == 500


def test_every_result_reads_back_as_it_was_written(study):
    folder, _, made = study
    for name, result in made.items():
        again = type(result).load(folder / name)
        assert again.summary == result.summary and type(again.summary) is result.SUMMARY, name
        assert set(again.tables) == {table for table, rows in result.tables.items() if rows}, name
        assert {k: h.val_acc for k, h in again.histories.items()} == \
            {k: h.val_acc for k, h in result.histories.items()}, name


def test_the_gradient_check_agrees_with_finite_differences_in_every_setting(study):
    check = study[2]["01"]
    assert check.summary.max_rel < 1e-6 and check.summary.official_data is False
    assert {(row["augmented"], row["d"]) for row in check.rows} == {(False, 3072), (False, 20), (True, 3072)}
    assert {row["m"] for row in check.rows} == {2, 50}                   # the quick profile's m_full


def test_overfitting_reaches_every_training_image(study):
    result = study[2]["02"]
    assert result.summary.train_acc == 1.0 and result.summary.epochs == 800 * 10 // 50
    assert result.history.train_acc[-1] == result.summary.train_acc


def test_the_cyclical_runs_summarise_their_seeds_and_the_sizes(study):
    result = study[2]["03"]
    for name, cycles in cyclical_lr.SCHEDULES.items():
        seeds = result.tables[f"{name}_seeds"]
        schedule = getattr(result.summary, name)
        assert [row.seed for row in seeds] == [0, 1] and schedule.cycles == cycles
        assert schedule.test_accs == [row.test_acc for row in seeds]
        assert schedule.test_acc_mean == pytest.approx(np.mean(schedule.test_accs))
    assert [row["method"] for row in result.tables["cost_methods"]] == ["full", "running_mean", "ema"]
    assert set(result.cost_histories()) == {"full", "running_mean", "ema"}
    assert [row.hidden for row in result.summary.hidden_sizes] == [20, 40]
    assert {(row.eta_scaling, row.batch_size) for row in result.summary.batch_sizes} == \
        {(s, b) for s in ("fixed", "linear") for b in (20, 50)}


def test_the_lambda_search_chooses_by_the_rule_among_the_confirmed(study):
    result = study[2]["04"]
    confirmed = result.tables["confirmed"]
    assert result.summary.best_lambda == confirmed[0]["lambda"] and confirmed[0]["chosen"]
    assert confirmed[0]["candidate"] or confirmed[0]["kept"]
    assert len(result.tables["coarse"]) == 4 and len(result.tables["fine"]) == 3
    lo, hi = result.summary.fine_range
    assert all(lo <= np.log10(row["lambda"]) <= hi for row in result.tables["fine"])
    assert {row["seed"] for row in result.tables["confirm"]} == {0, 1}


def test_the_final_models_record_the_runs_a_later_exercise_reads(study):
    _, runs, made = study
    result = made["05"]
    assert result.summary.lam == made["04"].summary.best_lambda
    for m, model in result.summary.models.items():
        [run] = [runs.load(key) for key in model.runs]
        assert run.config.hidden == m == model.hidden and run.config.lam == made["04"].summary.best_lambda
        assert model.test_accs == [row.test_acc for row in result.tables["final_runs"] if row.hidden == m]


def test_the_bonus_reports_the_networks_it_chose_and_tested(study, synthetic_root):
    _, runs, made = study
    s = made["06"].summary
    assert [row.kept for row in s.ablation[:1]] == [None] and s.margin == rule.MARGIN
    single, ens = s.single, s.ensemble
    chosen = [runs.load(key) for key in single.runs]
    assert [run.config.seed for run in chosen] == single.seeds == [0, 1, 2]
    assert bool(chosen[0].config.distill) == single.distilled and single.config == chosen[0].config
    _, _, (X, y) = load_split("search", synthetic_root, dtype="float32")
    assert single.test_accs == [network.accuracy(run.final, X, y) for run in chosen]
    members = [runs.load(member.run) for member in ens.members]
    one = ensemble.fold_runs(members, ens.snapshots, ens.mirror)         # the ensemble is this one network
    assert ens.test_acc == float((network.probabilities(one, X).argmax(axis=1) == y).mean())
    assert (ens.size.hidden, ens.size.parameters) == (one.W1.shape[0], network.size(one))
    assert ens.size.averages == ens.networks * (1 + ens.mirror) and single.mirror.size.hidden == 2 * single.size.hidden
    mirror_accs = [network.accuracy(ensemble.fold([run.final], mirror=True), X, y) for run in chosen]
    assert single.mirror.test_accs == pytest.approx(mirror_accs, abs=2 / len(y))
    assert ens.of == " and ".join(ens.groups) and ens.steps[-1].step == len(ens.steps) - 1
    assert s.distillation.students and made["06"].chosen_label in ("a student", "a teacher")


def test_the_analysis_finds_the_recorded_networks_and_refuses_others(study, synthetic_root, tmp_path):
    folder, runs, made = study
    result = made["07"]
    labels = [row["label"] for row in result.summary.models]
    assert result.figure_labels == [labels[1], labels[2], labels[3]]
    hidden = [*made["05"].summary.models, made["06"].summary.single.config.hidden]
    assert set(result.shown.units) == {f"m = {m}" for m in hidden}
    assert all(m.shape == (10, 10) for m in result.confusions().values())
    changed = json.loads((folder / "05" / "results.json").read_text())
    first = next(iter(changed["models"].values()))
    first["test_accs"][0] += 0.01
    (tmp_path / "results.json").write_text(json.dumps(changed))
    with pytest.raises(InputError, match="test accuracy .* recorded by its exercise"):
        analysis.run(analysis.AnalysisSettings(data_root=str(synthetic_root)), final_model.FinalModel.load(tmp_path),
                     made["06"], runs)


@pytest.mark.parametrize("content, message", [
    (None, "results.json is missing"),
    ('{"lam": 0.01,\n', r"results.json cannot be read \(JSONDecodeError: it is cut short or not JSON\)"),
    ('{"lam": 0.01}', r"results.json is not a results.json of this version \(required field missing @ \$.n_s"),
    ('{"lam": 0.01, "other": 1}', "extra fields found"),
])
def test_a_bad_input_names_its_file_and_the_notebook_that_writes_it(tmp_path, content, message):
    if content is not None:
        (tmp_path / "results.json").write_text(content)
    with pytest.raises(InputError, match=message) as err:
        final_model.FinalModel.load(tmp_path)
    text = str(err.value)
    assert "\n" not in text and str(tmp_path / "results.json") in text
    assert "notebook 05_final_model writes it: run `make report`, or `papermill notebooks/05_final_model.ipynb" in text


def test_a_result_is_saved_with_its_results_json_last(tmp_path, monkeypatch):
    """An interrupted save leaves no results.json: a later exercise never reads a half-saved folder."""
    result = Result({"x": 1}, {"rows": [{"a": 1}]})
    monkeypatch.setattr("assignment2.study.exercises.base.save_table", lambda *a: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        result.save(tmp_path)
    assert not (tmp_path / "results.json").exists()


def test_each_notebook_that_trains_tells_ahead_the_work_it_trains(study):
    """The plan behind the time left: each exercise trains the work it expected (06: when the wide layer is kept,
    as in every build so far; else less); the lines name the time left in the notebook and in the build."""
    _, runs, made = study
    for name in ("03", "04", "05"):
        assert runs.trained_work[name] == pytest.approx(runs.expected_work[name], rel=1e-12), name
    if made["06"].summary.ablation[1].kept:
        assert runs.trained_work["06"] == pytest.approx(runs.expected_work["06"], rel=1e-12)
    else:
        assert 0 < runs.trained_work["06"] < runs.expected_work["06"]
    lines = runs.progress.stream.getvalue()
    assert re.search(r"left in this step, \d+ (s|min) in exercises, \d+ (s|min) in the build", lines)


def test_the_build_ahead_is_the_later_notebooks_expected_work():
    at = lambda cls: cls.from_parameters({}, quick=True)
    images = 1000
    later = sum(at(cls).expected_work(images) for cls in (final_model.FinalModelSettings, bonus.BonusSettings))
    assert at(lambda_search.LambdaSearchSettings).later_work(images) == later > 0
    assert at(bonus.BonusSettings).later_work(images) == 0
    assert at(cyclical_lr.CyclicalSettings).later_work(images) > later
