"""The CI workflows agree with the CLI and with each other: what the review keeps is what the apply takes."""
from __future__ import annotations

import re
import shlex

import pytest
import yaml

import main
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def commands(step: dict) -> list[list[str]]:
    """Every `main.py` command line of a run step, as argv, with `${{ ... }}` as a placeholder; a shell
    variable (`$ALL`: a flag, or nothing) is left out, and so is a redirection."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "NAME", step.get("run", ""))
    found = []
    for line in text.splitlines():
        if "main.py" in line and ".venv/bin/python" in line:
            words = shlex.split(line.split("main.py", 1)[1].split("||")[0].split(">")[0])
            found.append([word for word in words if not word.startswith("$")])
    return found


def uses(job_steps: list[dict], action: str) -> dict:
    [step] = [s for s in job_steps if s.get("uses", "").startswith(action)]
    return step


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_every_command_a_workflow_runs_is_one_main_py_accepts(name):
    found = [argv for job in load(name)["jobs"] for step in steps(load(name), job) for argv in commands(step)]
    assert found, "no main.py command found: the test reads nothing"
    for argv in found:
        main.parser().parse_args(argv)  # exits 64 on a flag that does not exist


def test_the_apply_takes_the_plans_the_review_kept():
    plan, apply = load("plan.yml"), load("apply.yml")
    [review] = [argv for s in steps(plan, "plan") for argv in commands(s) if argv[0] == "plan-review"]
    out = review[review.index("--out") + 1]
    upload = uses(steps(plan, "plan"), "actions/upload-artifact")["with"]
    assert upload["path"].rstrip("/") == out
    download = uses(steps(apply, "apply"), "actions/download-artifact")["with"]
    assert download["name"] == upload["name"] and "matrix.cluster" in download["name"]
    [applied] = [argv for s in steps(apply, "apply") for argv in commands(s) if argv[0] == "apply"]
    assert applied[applied.index("--reviewed") + 1] == download["path"]
    assert download["run-id"] == "${{ needs.review.outputs.run_id }}"


def test_the_apply_runs_after_a_merge_behind_an_approval_one_at_a_time():
    apply = load("apply.yml")
    assert apply[True] == {"push": {"branches": ["main"]}}  # YAML 1.1 reads the key `on` as True
    job = apply["jobs"]["apply"]
    assert job["environment"] == "production" and job["strategy"]["max-parallel"] == 1
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert "pull_request" in load("plan.yml")[True]


def test_pull_requests_review_the_changed_clusters_and_the_nightly_review_plans_every_tier():
    plan, drift = load("plan.yml"), load("drift.yml")
    [listed] = [argv for s in steps(plan, "clusters") for argv in commands(s)]
    assert listed == ["plan-review", "--list"]  # the matrix: the clusters with a tier to plan
    assert "needs.clusters.outputs.names != '[]'" in plan["jobs"]["plan"]["if"]
    assert "labeled" in plan[True]["pull_request"]["types"]  # the review-all label plans every tier
    assert all("$ALL" in step["run"] for job in ("clusters", "plan") for step in steps(plan, job)
               if "main.py plan-review" in step.get("run", ""))
    assert "schedule" in drift[True]
    [nightly] = [argv for s in steps(drift, "review") for argv in commands(s)]
    assert "--all" in nightly and nightly[nightly.index("--fail-on") + 1] == "attention"


@pytest.mark.parametrize("name, job", [("plan.yml", "plan"), ("apply.yml", "apply"), ("drift.yml", "review")])
def test_a_clusters_job_synthesizes_its_own_cluster_only(name, job):
    """A job per cluster of the matrix: its main.py commands name that cluster (and so synthesize it
    alone, docs/fleets.md); no step synthesizes the fleet first."""
    job_steps = steps(load(name), job)
    found = [argv for step in job_steps for argv in commands(step)]
    assert found and all(argv[argv.index("--cluster") + 1] == "NAME" for argv in found if "--cluster" in argv)
    assert all("--cluster" in argv for argv in found), found
    assert not any("cdktf" in step.get("run", "") or "main.py synth" in step.get("run", "") for step in job_steps)


def test_the_apply_lists_every_page_of_the_reviews_artifacts_and_other_labels_review_nothing():
    listing = next(step["run"] for step in steps(load("apply.yml"), "review") if "/artifacts" in step.get("run", ""))
    assert "--paginate" in listing and "per_page=100" in listing
    assert "github.event.label.name == 'review-all'" in load("plan.yml")["jobs"]["clusters"]["if"]
