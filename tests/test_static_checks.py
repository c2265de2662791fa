"""checkov over the synthesized stacks: every finding fixed, or waived in its construct with a reason."""
from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor

import pytest

from modules.plan_review import review
from modules.static_checks import WAIVERS, run_checkov

# Between them these turn on every optional resource: lock table, NACL, endpoints, Ignition bucket.
VARIANTS = ("default", "restricted", "internal", "govcloud", "install_dir")


@pytest.fixture(scope="module")
def scans(synthesized):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda name: run_checkov(synthesized.outdir(name) / "stacks"), VARIANTS)
        return dict(zip(VARIANTS, results))


def test_every_finding_is_waived_in_its_construct(scans):
    for variant, (passed, findings) in scans.items():
        assert passed > 100, f"{variant}: checkov checked almost nothing"
        unwaived = [f for f in findings if f.waiver is None]
        assert unwaived == [], f"{variant}: fix these or waive them with a reason: {unwaived}"


def test_no_waiver_is_stale_or_unexplained(scans):
    used = {(check_id, pattern) for _, findings in scans.values() for f in findings
            for (check_id, pattern) in WAIVERS
            if check_id == f.check_id and fnmatch.fnmatchcase(f.resource, pattern)}
    assert set(WAIVERS) <= used, f"waivers nothing needs any more: {sorted(set(WAIVERS) - used)}"
    assert all(len(reason) > 30 for reason in WAIVERS.values())


def test_the_plan_review_reports_the_static_checks(scans):
    passed, findings = scans["default"]
    text = review([], static=(passed, findings)).markdown()
    assert f"{passed} passed, {len(findings)} failed" in text
    assert "**not waived**" not in text
