"""checkov over the synthesized stacks: every finding fixed, or waived in its construct with a reason."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from modules.operations.plan_review import review
from modules.operations.static_checks import run_checkov, waiver_for, waivers

# Between them these turn on every optional resource: lock table, NACL, endpoints, Ignition bucket,
# the existing-infrastructure options (KMS keys, an existing VPC, zone and profile), and the
# credentials tier behind CloudFront (sts) and in a public bucket (existing).
VARIANTS = ("default", "restricted", "internal", "govcloud", "install_dir", "existing", "sts")


@pytest.fixture(scope="module")
def scans(synthesized):
    def scan(name):
        return run_checkov(sorted((synthesized.outdir(name) / "stacks").iterdir()))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(VARIANTS, pool.map(scan, VARIANTS)))


def test_every_finding_is_waived_in_its_construct(scans):
    for variant, (passed, findings) in scans.items():
        assert passed > 100, f"{variant}: checkov checked almost nothing"
        unwaived = [f for f in findings if f.waiver is None]
        assert unwaived == [], f"{variant}: fix these or waive them with a reason: {unwaived}"


def test_every_waiver_in_the_output_is_used_and_explained(scans, synthesized):
    """A waiver written into a stack answers a finding on that very resource: none is stale."""
    for variant, (_, findings) in scans.items():
        used = {(f.stack, f.kind, f.resource, f.check_id) for f in findings}
        for folder in (synthesized.outdir(variant) / "stacks").iterdir():
            for (kind, resource, check_id), reason in waivers(folder).items():
                assert {(folder.name, kind, resource, check_id), (folder.name, None, resource, check_id)} & used, \
                    f"{variant}: stale waiver {check_id} on {kind}.{resource}"
                assert len(reason) > 30, (resource, check_id, reason)


def test_waivers_are_read_from_the_stacks_that_were_scanned(scans, synthesized):
    """A waiver in one stack does not excuse the same name in another: the compute stack's scan
    alone reports its findings, waived by the compute stack's own resource."""
    folder = synthesized.stack_dir("default", "compute")
    passed, findings = run_checkov([folder])
    assert {f.stack for f in findings} == {"ocp4-compute"}
    assert {(f.resource, f.check_id) for f in findings} == {(name, check) for _, name, check in waivers(folder)}


def test_a_waiver_excuses_its_own_resource_type_only():
    waived = {("aws_instance", "bootstrap", "CKV_AWS_88"): "a public IP by design, for the installer's gather"}
    assert waiver_for(waived, "aws_instance", "bootstrap", "CKV_AWS_88") is not None
    assert waiver_for(waived, None, "bootstrap", "CKV_AWS_88") is not None  # checkov left the type out
    assert waiver_for(waived, "aws_security_group", "bootstrap", "CKV_AWS_88") is None
    assert waiver_for(waived, "aws_instance", "bootstrap", "CKV_AWS_135") is None
    # Without the type, two resources of one name that both waive the check leave it unknown which one it is.
    both = {**waived, ("aws_s3_bucket", "bootstrap", "CKV_AWS_88"): "another resource of the same name"}
    assert waiver_for(both, None, "bootstrap", "CKV_AWS_88") is None


def test_the_plan_review_reports_the_static_checks(scans):
    passed, findings = scans["default"]
    text = review([], static=(passed, findings)).markdown()
    assert f"{passed} passed, {len(findings)} failed" in text
    assert "**not waived**" not in text
