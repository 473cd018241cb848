import json

import pytest

from assignment2.study import store
from assignment2.__main__ import main
from bench.timing import run_flops
from assignment2.core.train import TrainConfig


def test_train_command(synthetic_root, tmp_path, capsys):
    out = tmp_path / "h.json"
    code = main(["train", "--root", str(synthetic_root), "--n-s", "10", "--batch-size", "50",
                 "--dtype", "float32", "--out", str(out), "--store", str(tmp_path / "runs")])
    assert code == 0
    assert "test accuracy" in capsys.readouterr().out
    assert json.loads(out.read_text())["config"]["dtype"] == "float32"


def test_train_command_takes_the_bonus_options(synthetic_root, tmp_path, capsys):
    out = tmp_path / "h.json"
    code = main(["train", "--root", str(synthetic_root), "--n-s", "10", "--batch-size", "50", "--hidden", "20",
                 "--flip", "--translate", "2", "--dropout", "0.2", "--out", str(out),
                 "--store", str(tmp_path / "runs")])
    assert code == 0
    config = json.loads(out.read_text())["config"]
    assert (config["flip"], config["translate"], config["dropout"]) == (True, 2, 0.2)
    assert main(["train", "--root", str(synthetic_root), "--no-flip", "--translate", "16"]) == 2
    assert "error: translate must be an integer number of pixels from 0 to 15, got 16" in capsys.readouterr().err


def test_search_command_resumes_from_the_store(synthetic_root, tmp_path, capsys, monkeypatch):
    args = ["search", "--root", str(synthetic_root), "--n", "2", "--n-s", "5", "--batch-size", "100",
            "--results", str(tmp_path / "r.csv"), "--store", str(tmp_path / "runs")]
    assert main(args) == 0
    monkeypatch.setattr(store, "train_task", lambda *a: pytest.fail("a stored run was trained again"))
    assert main(args) == 0
    assert "2 runs in" in capsys.readouterr().out.splitlines()[-1]


def test_bad_option_gives_a_message_not_a_traceback(synthetic_root, capsys):
    assert main(["train", "--root", str(synthetic_root), "--eta-min", "0.5"]) == 2
    assert "error: eta_min must be <= eta_max (0.1)" in capsys.readouterr().err


def test_run_flops_grow_with_the_work_of_a_run():
    """Every product of a run scales with the hidden units; the updates with the images seen; the records with
    the images evaluated."""
    flops = lambda n_eval=10_000, **changes: run_flops(TrainConfig(**changes), 10_000, n_eval)
    assert flops(hidden=100) == 2 * flops(hidden=50)
    assert flops(n_cycles=3) - flops(n_cycles=2) == flops(n_cycles=2) - flops(n_cycles=1) > 0
    assert flops(batch_size=200, n_s=250) == flops(batch_size=100, n_s=500)     # as many images, as many records
    assert flops(n_eval=20_000) - flops() == flops() - flops(n_eval=0) > 0


def test_the_help_explains_every_option_with_its_choices_and_default(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: python -m assignment2 search")
    assert "--lam" not in text and "--distill" not in text      # a search draws lambda; distillation needs a teacher
    for shown in ("{full,running_mean,ema}", "{float64,float32}", "{cyclical,range_test}", "{ex3,search,final}",
                  "lambdas to draw (default: 20)", "(default: -5)", "45,000 images", "(default: search)"):
        assert shown in text, shown
    assert "``" not in text


def test_a_repeated_train_says_it_read_the_run_from_the_store(synthetic_root, tmp_path, capsys):
    args = ["train", "--root", str(synthetic_root), "--n-s", "5", "--batch-size", "50", "--out", str(tmp_path / "h.json"),
            "--store", str(tmp_path / "runs")]
    assert main(args) == 0 and "trained and kept in" in capsys.readouterr().out
    assert main(args) == 0 and "the run was read from the run store" in capsys.readouterr().out


def test_the_robustness_check_without_a_build_stops_at_once_with_one_line(tmp_path, capsys):
    import time
    from bench.robustness import main as robustness
    start = time.perf_counter()
    assert robustness(["--build", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert time.perf_counter() - start < 5 and err.count("\n") == 1 and "04_lambda_search/results.json is missing" in err
    assert not (tmp_path / "out").exists()


def test_the_robustness_check_compares_the_chosen_network_but_for_its_seed_and_learning_rates():
    """The chosen config names its first seed, which disjoint seeds always change: only the rest is compared."""
    from dataclasses import replace
    from bench.robustness import Choices
    from assignment2.core.config import TrainConfig
    chosen = TrainConfig(hidden=1024, whiten=0.3, flip=True, translate=2, seed=0, eta_max=0.1)
    mine = Choices({}, chosen, True, (("teachers",), 3, True))
    assert mine.network == replace(mine, config=replace(chosen, seed=10, eta_max=0.2)).network
    assert mine.network != replace(mine, config=replace(chosen, whiten=0.1)).network
